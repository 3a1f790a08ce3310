"""The training command: `python -m super_resolution_gans.train --data DIR --output DIR ...`.

Runs the paper's two stages on a folder of photos: `--stage srresnet` (generator alone, pixel
MSE) and `--stage srgan` (generator + discriminator, VGG54 content loss + 1e-3 adversarial, or
the paper's SRGAN-MSE with `--content-loss mse`), usually started from the SRResNet result with
`--init`. The flags are parsed into a `TrainConfig` (whose defaults are the flags' defaults) and
run by `training.train`, which checkpoints and resumes (see `training.loop`). The trained
generator is written to `OUTPUT/generator.keras`. Also installed as `srgan-train`. The parser
imports no TensorFlow (see `common`); the body imports `training.loop` when it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..commands import add_output_flags, run_command
from ..data.degradation import DEGRADATION_PRESETS
from ..training.config import TrainConfig

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The training command's argument parser (every flag documented; defaults from
    `TrainConfig`).

    Example:
    >>> args = build_parser().parse_args(["--data", "photos", "--output", "runs/x4"])
    >>> args.stage, args.steps
    ('srresnet', 100000)
    """
    defaults = TrainConfig
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # a flag is matched whole, never by a prefix
        prog="python -m super_resolution_gans.train",
        description="Train an SRResNet or SRGAN generator on a folder of photos (resumable).",
        epilog="Exit status: 0 success, 1 unusable data/run folder/settings, 2 invalid "
               "arguments, 130 interrupted (run the same command again to resume).",
    )
    add = parser.add_argument
    add("--data", required=True, type=Path, metavar="DIR", help="folder of HR training photos")
    add("--lr-data", type=Path, metavar="DIR",
        help="optional folder of paired LR photos (same file names)")
    add("--val-data", type=Path, metavar="DIR",
        help="folder of held-out HR photos, evaluated at checkpoints")
    add("--val-crop-size", type=int, default=defaults.val_crop_size, metavar="N",
        help="HR center crop of each validation photo (a multiple of --scale; default: "
             "%(default)s)")
    add("--output", required=True, type=Path, metavar="DIR",
        help="run folder: checkpoints, logs, generator")
    add("--stage", choices=("srresnet", "srgan"), default=defaults.stage,
        help="srresnet: generator alone with a pixel loss; srgan: adversarial + VGG loss "
             "(default: %(default)s)")
    add("--steps", type=int, default=defaults.steps, metavar="N",
        help="total training steps, counting those of a resumed run (default: %(default)s)")
    add("--batch-size", type=int, default=defaults.batch_size, metavar="N",
        help="global batch size (paper: 16)")
    add("--crop-size", type=int, default=defaults.crop_size, metavar="N",
        help="HR crop size in pixels (paper: 96)")
    add("--scale", type=int, default=defaults.scale, choices=(2, 4, 8),
        help="upscaling factor (default: %(default)s)")
    add("--num-blocks", type=int, default=defaults.num_blocks, metavar="N",
        help="residual blocks (paper: 16)")
    add("--filters", type=int, default=defaults.filters, metavar="N",
        help="filters in the residual trunk (paper: 64)")
    add("--global-skip", action="store_true",
        help="add the bicubic upsampling of the input to the output (fast convergence)")
    add("--lr", type=float, default=defaults.lr, metavar="RATE",
        help="Adam learning rate (paper: 1e-4)")
    add("--lr-schedule", choices=("constant", "step", "cosine"),
        help="constant; step: x0.1 after half the steps (paper's SRGAN); cosine decay to 0. "
             "Default: step for srgan, constant for srresnet")
    add("--pixel-loss", choices=("mse", "l1"), default=defaults.pixel_loss,
        help="content loss of the srresnet stage (paper: mse)")
    add("--content-loss", choices=("vgg", "mse", "l1"),
        help="content loss of the srgan stage: vgg (the --vgg-layer features, paper's "
             "SRGAN-VGG54), mse (the paper's SRGAN-MSE: pixel MSE, no VGG download) or l1. "
             "Default: vgg")
    add("--degradation", choices=("none", *sorted(DEGRADATION_PRESETS)),
        default=defaults.degradation,
        help="LR images of the training pairs: none (clean bicubic downscale, the default), "
             "photo (blur, resizing, noise and JPEG of web and phone photos), web (noise and "
             "JPEG on the bicubic downscale) or realesrgan (Real-ESRGAN's stronger ranges); "
             "see the README")
    add("--init", type=Path, metavar="GENERATOR_FILE",
        help="start the generator from this file (e.g. the srresnet stage's generator.keras)")
    add("--vgg-weights", default=defaults.vgg_weights, metavar="{imagenet,none,PATH}",
        help="VGG19 weights for the srgan content loss: imagenet (the default), none (random, "
             "tests only) or a local copy of the no-top ImageNet weights file")
    add("--vgg-layer", default=defaults.vgg_layer, metavar="LAYER",
        help="VGG19 layer of the content loss (default: %(default)s, the paper's VGG54)")
    add("--adversarial-weight", type=float, default=defaults.adversarial_weight,
        metavar="W", help="weight of -log D(G(lr)) (paper: 1e-3)")
    add("--checkpoint-every", type=int, default=defaults.checkpoint_every, metavar="N",
        help="steps between checkpoints (default: %(default)s)")
    add("--strategy", choices=("auto", "mirrored", "multiworker"), default=defaults.strategy,
        help="auto (the default): all visible GPUs if more than one; mirrored: "
             "MirroredStrategy; multiworker: MultiWorkerMirroredStrategy configured by "
             "TF_CONFIG")
    add("--mixed-precision", action="store_true", help="float16 compute (GPU), float32 weights")
    add("--jit", action=argparse.BooleanOptionalAction, default=defaults.jit,
        help="XLA-compile the train step (default: Keras's choice, on for GPUs)")
    add("--seed", type=int, default=defaults.seed, metavar="N",
        help="seed of the data pipeline (default: fresh randomness)")
    add_output_flags(parser, quiet_help="no per-step progress bar (checkpoint lines are still "
                                        "shown)")
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
    from ..training.loop import train

    # Checkpoint lines are the run's record: shown also with --quiet (no progress bar).
    if not args.verbose:
        logging.getLogger("super_resolution_gans").setLevel(logging.INFO)
    settings = {name: value for name, value in vars(args).items() if name != "verbose"}
    try:
        train(TrainConfig(**settings))
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0
