"""Training CLI: `python -m super_resolution_gans.train --data DIR --output DIR ...`.

Runs the paper's two stages on a folder of photos: `--stage srresnet` (generator alone, pixel
MSE) and `--stage srgan` (generator + discriminator, VGG54 content loss + 1e-3 adversarial),
usually started from the SRResNet result with `--init`. Checkpoints of both networks, both
optimizers and the step counter are written every `--checkpoint-every` steps; running the same
command again after an interruption (even SIGKILL) resumes from the last checkpoint and stops at
the same total step count. The trained generator is written to `OUTPUT/generator.keras`.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from . import __version__
from .data import make_dataset
from .training.degradation import DEGRADATION_PRESETS, get_degradation
from .gan import SRGAN, paper_adam
from .losses import VGG54, build_vgg_feature_extractor
from .metrics import psnr_y
from .model_io import generator_architecture, load_generator, save_generator
from .models import build_discriminator, build_generator, build_generator_with_policy

logger = logging.getLogger("super_resolution_gans.train")

# Flags that must not change between an interrupted run and its resumption.
_ARCHITECTURE_FLAGS = ("stage", "scale", "num_blocks", "filters", "global_skip", "crop_size",
                       "degradation", "content_loss")
# Values of flags added after runs were first recorded (a run.json without them had these).
_FLAG_DEFAULTS_OF_OLD_RUNS = {"degradation": "none", "content_loss": None}


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
             "resizing, noise and JPEG of web and phone photos) or realesrgan (Real-ESRGAN's "
             "stronger ranges); see the README")
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
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        _validate(args)
        train(args)
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _validate(args: argparse.Namespace) -> None:
    positive = ("steps", "batch_size", "crop_size", "val_crop_size", "num_blocks", "filters",
                "checkpoint_every")
    for flag in positive:
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be positive, got {getattr(args, flag)}")
    for flag in ("crop_size", "val_crop_size"):
        if getattr(args, flag) % args.scale:
            raise ValueError(
                f"--{flag.replace('_', '-')} {getattr(args, flag)} must be a multiple of "
                f"--scale {args.scale}"
            )
    if args.stage == "srgan" and args.crop_size % 16:
        raise ValueError(f"--crop-size {args.crop_size} must be a multiple of 16 for --stage srgan")
    for flag in ("data", "lr_data", "val_data"):
        folder = getattr(args, flag)
        if folder is not None and not folder.is_dir():
            raise FileNotFoundError(f"--{flag.replace('_', '-')} {folder}: no such folder")
    if args.content_loss is not None and args.stage != "srgan":
        raise ValueError("--content-loss is for --stage srgan (use --pixel-loss for srresnet)")
    if args.degradation != "none" and args.lr_data is not None:
        raise ValueError("--degradation makes the LR images; it cannot be used with --lr-data")
    if args.degradation != "none":
        kernel = get_degradation(args.degradation).blur_kernel_size
        if args.crop_size < kernel:
            raise ValueError(f"--crop-size {args.crop_size} must be at least {kernel} "
                             f"with --degradation {args.degradation}")
    if args.init is not None and not args.init.is_file():
        raise FileNotFoundError(f"--init {args.init}: no such file")


def choose_strategy(name: str) -> tf.distribute.Strategy:
    """The distribution strategy for `--strategy` (see the flag's help)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def learning_rate(args: argparse.Namespace):
    """The generator's and discriminator's learning rate or schedule for this run."""
    schedule = args.lr_schedule or ("step" if args.stage == "srgan" else "constant")
    if schedule == "step":
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [args.steps // 2], [args.lr, args.lr * 0.1]
        )
    if schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(args.lr, args.steps)
    return args.lr


def _apply_constant_learning_rate(model: SRGAN, args: argparse.Namespace) -> None:
    """A checkpoint restores the learning rate it was saved with; a resumed run uses --lr.
    (Schedules are not in checkpoints: they are rebuilt from the flags.)"""
    rate = learning_rate(args)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return
    for optimizer in (model.g_optimizer, model.d_optimizer):
        if optimizer is not None:
            optimizer.learning_rate = rate
    logger.info("learning rate %g (--lr)", rate)


def train(args: argparse.Namespace) -> Path:
    """Trains (or resumes) the run described by `args`; returns the generator's path."""
    args.output.mkdir(parents=True, exist_ok=True)
    _check_same_run(args)
    if args.mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
    strategy = choose_strategy(args.strategy)
    is_chief = _is_chief(strategy)

    with strategy.scope():
        model = _build_model(args)
        model.compile(
            g_optimizer=paper_adam(learning_rate(args)),
            d_optimizer=paper_adam(learning_rate(args)) if args.stage == "srgan" else None,
            jit_compile="auto" if args.jit is None else args.jit,
        )
    checkpoint = tf.train.Checkpoint(
        generator=model.generator,
        discriminator=model.discriminator or tf.train.Checkpoint(),
        g_optimizer=model.g_optimizer,
        d_optimizer=model.d_optimizer or tf.train.Checkpoint(),
    )
    checkpoint_dir = args.output / "checkpoints"
    if not is_chief:  # every worker must save; only the chief's copy is kept
        checkpoint_dir = args.output / f".worker{strategy.cluster_resolver.task_id}"
    manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        logger.info("resumed from step %d (%s)", _step(model), manager.latest_checkpoint)
        _apply_constant_learning_rate(model, args)
    elif args.init is not None:
        _initialise_generator(model.generator, args.init)

    start_step = _step(model)
    if start_step < args.steps:
        dataset = make_dataset(
            args.data, scale=args.scale, crop_size=args.crop_size, batch_size=args.batch_size,
            lr_dir=args.lr_data, training=True,
            degradation=None if args.degradation == "none" else args.degradation,
            seed=None if args.seed is None else args.seed + start_step,
        )
        validation = _validation_dataset(args)
        every = args.checkpoint_every
        model.fit(
            dataset,
            steps_per_epoch=every,
            initial_epoch=start_step // every,
            epochs=math.ceil(args.steps / every),
            validation_data=validation,
            callbacks=[_RunLogger(model, manager, args, is_chief, validation)],
            verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
            shuffle=False,
        )
    generator_path = args.output / "generator.keras"
    if is_chief:
        _save_final_generator(model.generator, generator_path, args, steps=_step(model))
        logger.info("wrote %s (step %d)", generator_path, _step(model))
    return generator_path


def _build_model(args: argparse.Namespace) -> SRGAN:
    generator = build_generator(
        args.scale, args.num_blocks, args.filters, global_skip=args.global_skip
    )
    if args.stage == "srresnet":
        return SRGAN(generator, pixel_loss=args.pixel_loss, eval_border=args.scale)
    content_loss = args.content_loss or "vgg"
    feature_extractor = None
    if content_loss == "vgg":
        vgg_weights = None if args.vgg_weights.lower() == "none" else args.vgg_weights
        feature_extractor = build_vgg_feature_extractor(args.vgg_layer, weights=vgg_weights)
    return SRGAN(
        generator,
        build_discriminator(args.crop_size),
        feature_extractor,
        adversarial_weight=args.adversarial_weight,
        pixel_loss="mse" if content_loss == "vgg" else content_loss,
        eval_border=args.scale,
    )


def _initialise_generator(generator: keras.Model, path: Path) -> None:
    source = load_generator(path)
    try:
        if generator_architecture(source) != generator_architecture(generator):
            raise ValueError
        generator.set_weights(source.get_weights())
    except ValueError as err:
        raise ValueError(
            f"--init {path}: its architecture {generator_architecture(source)} differs from "
            f"this run's {generator_architecture(generator)}"
        ) from err
    logger.info("generator initialised from %s", path)


def _step(model: SRGAN) -> int:
    return int(model.g_optimizer.iterations.numpy())


def _is_chief(strategy: tf.distribute.Strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type in ("chief", None) or (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )


def _check_same_run(args: argparse.Namespace) -> None:
    """Refuses to resume a run folder with a different architecture; records the flags."""
    record = args.output / "run.json"
    flags = {name: getattr(args, name) for name in _ARCHITECTURE_FLAGS}
    if record.exists():
        previous = {**_FLAG_DEFAULTS_OF_OLD_RUNS, **json.loads(record.read_text())["architecture"]}
        changed = {k: (previous.get(k), v) for k, v in flags.items() if previous.get(k) != v}
        if changed:
            details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
            raise ValueError(
                f"--output {args.output} holds a run with other settings ({details}); "
                "use another --output folder"
            )
        return
    payload = {
        "architecture": flags,
        "command": sys.argv,
        "version": __version__,
        "flags": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    _write_text_atomically(record, json.dumps(payload, indent=2))


def _validation_dataset(args: argparse.Namespace):
    """The validation crops, decoded once and kept in memory, with a known length (so that
    Keras knows when a validation pass ends instead of warning that the input ran out)."""
    if args.val_data is None:
        return None
    validation = make_dataset(
        args.val_data, scale=args.scale, crop_size=args.val_crop_size, batch_size=1,
        training=False, cache=True,
    )
    batches = int(validation.reduce(0, lambda count, _: count + 1))
    return validation.apply(tf.data.experimental.assert_cardinality(batches))


def _save_final_generator(
    generator: keras.Model, path: Path, args: argparse.Namespace, *, steps: int
) -> None:
    # A float32 copy: the saved model does not depend on this run's dtype policy.
    architecture = generator_architecture(generator)
    exported = build_generator_with_policy("float32", **architecture)
    exported.set_weights(generator.get_weights())
    save_generator(exported, path, {
        "stage": args.stage,
        "steps": steps,
        "data": str(args.data),
        "batch_size": args.batch_size,
        "crop_size": args.crop_size,
        "learning_rate": args.lr,
        "pixel_loss": args.pixel_loss if args.stage == "srresnet" else None,
        "content_loss": (args.content_loss or "vgg") if args.stage == "srgan" else None,
        "vgg": (
            f"{args.vgg_layer} ({args.vgg_weights})"
            if args.stage == "srgan" and (args.content_loss or "vgg") == "vgg" else None
        ),
        "degradation": (
            None if args.degradation == "none"
            else {"preset": args.degradation, **get_degradation(args.degradation).to_dict()}
        ),
        "library_version": __version__,
    })


def _write_text_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


class _RunLogger(keras.callbacks.Callback):
    """Checkpoints, TensorBoard scalars and sample images, a CSV history; stops at --steps."""

    def __init__(self, model: SRGAN, manager, args, is_chief: bool, validation):
        super().__init__()
        self._srgan = model
        self._manager = manager
        self._total_steps = args.steps
        self._is_chief = is_chief
        self._history = args.output / "history.csv"
        self._writer = _summary_writer(args.output / "logs") if is_chief else None
        self._sample = next(iter(validation.take(1))) if validation is not None else None
        self._bicubic_psnr = self._baseline_psnr(validation, args.scale)
        # Wall time accumulates over interrupted and resumed sessions of the run.
        self._started = time.monotonic() - _last_wall_seconds(self._history)

    @staticmethod
    def _baseline_psnr(validation, scale: int) -> float | None:
        if validation is None:
            return None
        values = []
        for lr, hr in validation:
            bicubic = tf.image.resize(lr, tf.shape(hr)[1:3], method="bicubic")
            values.append(psnr_y(hr, bicubic, border=scale))
        return float(tf.reduce_mean(tf.concat(values, axis=0)))

    def on_train_batch_end(self, batch, logs=None):
        if _step(self._srgan) >= self._total_steps:
            self._srgan.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        step = _step(self._srgan)
        self._manager.save(checkpoint_number=step)
        if not self._is_chief:
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if self._bicubic_psnr is not None:
            logs["val_bicubic_psnr"] = self._bicubic_psnr
        logs["wall_seconds"] = time.monotonic() - self._started
        if self._writer is not None:
            self._write_summaries(step, logs)
        _append_history(self._history, {"step": step, **logs})
        logger.info("step %d: checkpoint saved; %s", step,
                    ", ".join(f"{k} {v:.4g}" for k, v in logs.items()))

    def _write_summaries(self, step: int, logs: dict[str, float]) -> None:
        with self._writer.as_default(step=step):
            for name, value in logs.items():
                tf.summary.scalar(name, value)
            if self._sample is not None:
                lr, hr = self._sample
                sr = tf.clip_by_value(self._srgan.generator(lr, training=False), 0, 255)
                bicubic = tf.image.resize(lr, tf.shape(hr)[1:3], method="bicubic")
                strip = tf.concat([tf.clip_by_value(bicubic, 0, 255), sr, hr], axis=2)
                tf.summary.image("bicubic | sr | hr", tf.cast(strip, tf.uint8))
        self._writer.flush()


def _summary_writer(folder: Path):
    """A TensorBoard writer, or None (with a note) when TensorBoard is not installed."""
    try:
        import tensorboard  # noqa: F401  (tf.summary needs it to write anything)
    except ImportError:
        logger.info("TensorBoard logs skipped: pip install tensorboard to get them")
        return None
    return tf.summary.create_file_writer(str(folder))


def _last_wall_seconds(path: Path) -> float:
    if not path.exists():
        return 0.0
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return float(rows[-1]["wall_seconds"]) if rows and rows[-1].get("wall_seconds") else 0.0


def _append_history(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


if __name__ == "__main__":
    sys.exit(main())
