"""The training command: `python -m super_resolution_gans.train --data DIR --output DIR ...`.

Runs the paper's two stages on a folder of photos: `--stage srresnet` (generator alone, pixel
MSE) and `--stage srgan` (generator + discriminator, VGG54 content loss + 1e-3 adversarial, or
the paper's SRGAN-MSE with `--content-loss mse`), usually started from the SRResNet result with
`--init`. The flags are parsed into a `TrainConfig` and run by `training.train`, which checkpoints
and resumes (see `training.loop`). The trained generator is written to `OUTPUT/generator.keras`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..data.degradation import DEGRADATION_PRESETS
from ..training.config import TrainConfig
from ..training.loop import train
from ..training.losses import VGG54
from .common import run_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The training command's argument parser (every flag documented)."""
    parser = argparse.ArgumentParser(
        prog="python -m super_resolution_gans.train",
        description="Train an SRResNet or SRGAN generator on a folder of photos (resumable).",
    )
    add = parser.add_argument
    add("--data", required=True, type=Path, help="folder of HR training photos")
    add("--lr-data", type=Path, help="optional folder of paired LR photos (same file names)")
    add("--val-data", type=Path, help="folder of held-out HR photos, evaluated at checkpoints")
    add("--val-crop-size", type=int, default=192,
        help="HR center crop of each validation photo (a multiple of --scale)")
    add("--output", required=True, type=Path, help="run folder: checkpoints, logs, generator")
    add("--stage", choices=("srresnet", "srgan"), default="srresnet",
        help="srresnet: generator alone with a pixel loss; srgan: adversarial + VGG loss")
    add("--steps", type=int, default=100_000, help="total training steps (resumes count)")
    add("--batch-size", type=int, default=16, help="global batch size (paper: 16)")
    add("--crop-size", type=int, default=96, help="HR crop size in pixels (paper: 96)")
    add("--scale", type=int, default=4, choices=(2, 4, 8), help="upscaling factor")
    add("--num-blocks", type=int, default=16, help="residual blocks (paper: 16)")
    add("--filters", type=int, default=64, help="filters in the residual trunk (paper: 64)")
    add("--global-skip", action="store_true",
        help="add the bicubic upsampling of the input to the output (fast convergence)")
    add("--lr", type=float, default=1e-4, help="Adam learning rate (paper: 1e-4)")
    add("--lr-schedule", choices=("constant", "step", "cosine"),
        help="constant; step: x0.1 after half the steps (paper's SRGAN); cosine decay to 0. "
             "Default: step for srgan, constant for srresnet")
    add("--pixel-loss", choices=("mse", "l1"), default="mse",
        help="content loss of the srresnet stage (paper: mse)")
    add("--content-loss", choices=("vgg", "mse", "l1"),
        help="content loss of the srgan stage: vgg (the --vgg-layer features, paper's "
             "SRGAN-VGG54), mse (the paper's SRGAN-MSE: pixel MSE, no VGG download) or l1. "
             "Default: vgg")
    add("--degradation", choices=("none", *sorted(DEGRADATION_PRESETS)), default="none",
        help="LR images of the training pairs: none (clean bicubic downscale), photo (blur, "
             "resizing, noise and JPEG of web and phone photos), web (noise and JPEG on the "
             "bicubic downscale) or realesrgan (Real-ESRGAN's stronger ranges); see the README")
    add("--init", type=Path, metavar="GENERATOR_FILE",
        help="start the generator from this file (e.g. the srresnet stage's generator.keras)")
    add("--vgg-weights", default="imagenet", metavar="{imagenet,none,PATH}",
        help="VGG19 weights for the srgan content loss: imagenet, none (random, tests only) "
             "or a local copy of the no-top ImageNet weights file")
    add("--vgg-layer", default=VGG54, help="VGG19 layer of the content loss (VGG54 = block5_conv4)")
    add("--adversarial-weight", type=float, default=1e-3, help="weight of -log D(G(lr))")
    add("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    add("--strategy", choices=("auto", "mirrored", "multiworker"), default="auto",
        help="auto: all visible GPUs if more than one; mirrored: MirroredStrategy; "
             "multiworker: MultiWorkerMirroredStrategy configured by TF_CONFIG")
    add("--mixed-precision", action="store_true", help="float16 compute (GPU), float32 weights")
    add("--jit", action=argparse.BooleanOptionalAction, default=None,
        help="XLA-compile the train step (default: Keras's choice, on for GPUs)")
    add("--seed", type=int, help="seed of the data pipeline (default: fresh randomness)")
    add("--quiet", action="store_true", help="no per-step progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the training command; returns the exit code.

    Example:
    >>> main(["--data", "photos", "--output", "runs/x4", "--steps", "1000"])  # doctest: +SKIP
    0
    """
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """The command's body: the flags as a `TrainConfig`, trained."""
    # Checkpoint lines are the run's record: shown also with --quiet (no progress bar).
    logging.getLogger("super_resolution_gans").setLevel(logging.INFO)
    try:
        train(TrainConfig(**vars(args)))
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0
