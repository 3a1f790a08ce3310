"""`train(config)`: one resumable training run, from a `TrainConfig` to `generator.keras`.

Checkpoints of both networks, both optimizers and the step counter are written every
`checkpoint_every` steps; calling `train` again with the same config after an interruption
(even SIGKILL) resumes from the last checkpoint and stops at the same total step count. The run
folder's `run.json` records the settings; a resumption with other run-defining settings is
refused. Nothing is written before the networks (and the VGG19 weights of the content loss) are
built, so a run that cannot start leaves nothing that would refuse its corrected rerun.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

import keras
import tensorflow as tf

from ..data import bicubic_upscale, make_dataset
from ..data.degradation import get_degradation
from ..evaluation.metrics import psnr_y
from ..io.atomic import atomic_write
from ..io.model_io import generator_architecture, load_generator, save_generator
from ..models import build_discriminator, build_generator, build_generator_with_policy
from ..version import package_version
from .callbacks import (
    CheckpointSaver,
    HistoryCSV,
    RunFigures,
    StepProgress,
    StopAtStep,
    TensorBoardWriter,
    optimizer_step,
)
from .config import TrainConfig
from .gan import SRGAN, paper_adam
from .losses import VGG19_NOTOP_FILE, VGGWeightsError, build_vgg_feature_extractor

__all__ = ["choose_strategy", "train"]

logger = logging.getLogger(__name__)


def train(config: TrainConfig) -> Path:
    """Trains (or resumes) the run described by `config`; returns the generator's path.

    Raises:
        ValueError, FileNotFoundError: a setting is wrong (the message names its flag), or the
            output folder holds a run with other run-defining settings.
        VGGWeightsError: `--stage srgan` with the VGG content loss, and the VGG19 ImageNet
            weights can be neither found nor downloaded; nothing was written.

    Example:
    >>> config = TrainConfig(data=Path("photos"), output=Path("runs/x4"), steps=1000)
    >>> train(config)  # doctest: +SKIP
    PosixPath('runs/x4/generator.keras')
    """
    config.validate()
    _check_same_run(config)
    if config.mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
    strategy = choose_strategy(config.strategy)
    is_chief = _is_chief(strategy)
    with strategy.scope():
        model = _build_model(config)
        model.compile(
            g_optimizer=paper_adam(config.learning_rate()),
            d_optimizer=paper_adam(config.learning_rate()) if config.stage == "srgan" else None,
            jit_compile="auto" if config.jit is None else config.jit,
        )
    config.output.mkdir(parents=True, exist_ok=True)
    _record_run(config)
    manager = _restore_or_initialise(model, config, strategy, is_chief)
    start_step = optimizer_step(model)
    if start_step < config.steps:
        _fit(model, manager, config, is_chief, start_step)
    generator_path = config.output / "generator.keras"
    if is_chief:
        _save_final_generator(model.generator, generator_path, config,
                              steps=optimizer_step(model))
        logger.info("wrote %s (step %d)", generator_path, optimizer_step(model))
    return generator_path


def choose_strategy(name: str) -> tf.distribute.Strategy:
    """The distribution strategy for `--strategy` (auto: all GPUs when there are several)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _build_model(config: TrainConfig) -> SRGAN:
    generator = build_generator(config.scale, config.num_blocks, config.filters,
                                global_skip=config.global_skip)
    if config.stage == "srresnet":
        return SRGAN(generator, pixel_loss=config.pixel_loss, eval_border=config.scale)
    content_loss = config.content_loss or "vgg"
    feature_extractor = None
    if content_loss == "vgg":
        feature_extractor = _vgg_feature_extractor(config)
    return SRGAN(
        generator,
        build_discriminator(config.crop_size),
        feature_extractor,
        adversarial_weight=config.adversarial_weight,
        pixel_loss="mse" if content_loss == "vgg" else content_loss,
        eval_border=config.scale,
    )


def _vgg_feature_extractor(config: TrainConfig) -> keras.Model:
    weights = None if config.vgg_weights.lower() == "none" else config.vgg_weights
    try:
        return build_vgg_feature_extractor(config.vgg_layer, weights=weights)
    except VGGWeightsError as err:
        raise VGGWeightsError(
            f"--stage srgan: the VGG19 ImageNet weights of the content loss cannot be "
            f"downloaded ({err.reason}); pass a local copy of {VGG19_NOTOP_FILE} with "
            f"--vgg-weights PATH (or put it in {err.cache}/), or train without VGG: "
            "--content-loss mse",
            reason=err.reason, cache=err.cache,
        ) from err


def _restore_or_initialise(model: SRGAN, config: TrainConfig, strategy, is_chief: bool):
    """The checkpoint manager, after restoring its latest checkpoint or applying `--init`."""
    checkpoint = tf.train.Checkpoint(
        generator=model.generator,
        discriminator=model.discriminator or tf.train.Checkpoint(),
        g_optimizer=model.g_optimizer,
        d_optimizer=model.d_optimizer or tf.train.Checkpoint(),
    )
    folder = config.output / "checkpoints"
    if not is_chief:  # every worker must save; only the chief's copy is kept
        folder = config.output / f".worker{strategy.cluster_resolver.task_id}"
    manager = tf.train.CheckpointManager(checkpoint, folder, max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        logger.info("resumed from step %d (%s)", optimizer_step(model), manager.latest_checkpoint)
        _apply_constant_learning_rate(model, config)
    elif config.init is not None:
        _initialise_generator(model.generator, config.init)
    return manager


def _fit(model: SRGAN, manager, config: TrainConfig, is_chief: bool, start_step: int) -> None:
    dataset = make_dataset(
        config.data, scale=config.scale, crop_size=config.crop_size,
        batch_size=config.batch_size, lr_dir=config.lr_data, training=True,
        seed=None if config.seed is None else config.seed + start_step,
        degradation=None if config.degradation == "none" else config.degradation,
    )
    validation = _validation_dataset(config)
    every = config.checkpoint_every
    model.fit(
        dataset,
        steps_per_epoch=every,
        initial_epoch=start_step // every,
        epochs=math.ceil(config.steps / every),
        validation_data=validation,
        callbacks=_callbacks(manager, config, is_chief, validation),
        verbose=0,  # Keras's bar counts an epoch (checkpoint_every steps); StepProgress the run
        shuffle=False,
    )


def _callbacks(manager, config: TrainConfig, is_chief: bool, validation) -> list:
    callbacks = [StopAtStep(config.steps), CheckpointSaver(manager)]
    if not is_chief:
        return callbacks
    if not config.quiet:
        callbacks.append(StepProgress(config.steps, verbose=1 if sys.stdout.isatty() else 2))
    history = HistoryCSV(config.output / "history.csv")
    callbacks += [RunFigures(history.last_wall_seconds(), _bicubic_psnr(validation, config.scale)),
                  history]
    if TensorBoardWriter.available():
        sample = next(iter(validation.take(1))) if validation is not None else None
        callbacks.append(TensorBoardWriter(config.output / "logs", sample))
    else:
        logger.info("TensorBoard logs skipped: pip install tensorboard to get them")
    return callbacks


def _validation_dataset(config: TrainConfig):
    """The validation crops, decoded once and kept in memory, with a known length (so that
    Keras knows when a validation pass ends instead of warning that the input ran out)."""
    if config.val_data is None:
        return None
    validation = make_dataset(
        config.val_data, scale=config.scale, crop_size=config.val_crop_size, batch_size=1,
        training=False, cache=True,
    )
    batches = int(validation.reduce(0, lambda count, _: count + 1))
    return validation.apply(tf.data.experimental.assert_cardinality(batches))


def _bicubic_psnr(validation, scale: int) -> float | None:
    """Mean PSNR-Y of bicubic upscaling on the validation set: the run's baseline."""
    if validation is None:
        return None
    values = [psnr_y(hr, bicubic_upscale(lr, tf.shape(hr)[1:3]), border=scale)
              for lr, hr in validation]
    return float(tf.reduce_mean(tf.concat(values, axis=0)))


def _apply_constant_learning_rate(model: SRGAN, config: TrainConfig) -> None:
    """A checkpoint restores the learning rate it was saved with; a resumed run uses --lr.
    (Schedules are not in checkpoints: they are rebuilt from the config.)"""
    rate = config.learning_rate()
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return
    for optimizer in (model.g_optimizer, model.d_optimizer):
        if optimizer is not None:
            optimizer.learning_rate = rate
    logger.info("learning rate %g (--lr)", rate)


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


def _is_chief(strategy: tf.distribute.Strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    cluster = resolver.cluster_spec().as_dict()
    return resolver.task_type in ("chief", None) or (
        resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in cluster
    )


def _check_same_run(config: TrainConfig) -> None:
    """Refuses to resume a run folder with other run-defining settings (reads only)."""
    record = config.output / "run.json"
    if not record.exists():
        return
    previous = json.loads(record.read_text())["architecture"]
    settings = config.run_defining()
    changed = {k: (previous.get(k), v) for k, v in settings.items() if previous.get(k) != v}
    if changed:
        details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ValueError(f"--output {config.output} holds a run with other settings "
                         f"({details}); use another --output folder")


def _record_run(config: TrainConfig) -> None:
    """Writes `run.json` (settings, command, version) for a new run; keeps a resumed run's."""
    record = config.output / "run.json"
    if record.exists():
        return
    payload = {"architecture": config.run_defining(), "command": sys.argv,
               "version": package_version(), "flags": config.as_record()}
    with atomic_write(record, "w") as handle:
        handle.write(json.dumps(payload, indent=2))


def _save_final_generator(
    generator: keras.Model, path: Path, config: TrainConfig, *, steps: int
) -> None:
    # A float32 copy: the saved model does not depend on this run's dtype policy.
    architecture = generator_architecture(generator)
    exported = build_generator_with_policy("float32", **architecture)
    exported.set_weights(generator.get_weights())
    adversarial = config.stage == "srgan"
    content_loss = (config.content_loss or "vgg") if adversarial else None
    degradation = None
    if config.degradation != "none":
        degradation = {"preset": config.degradation,
                       **get_degradation(config.degradation).to_dict()}
    save_generator(exported, path, {
        "stage": config.stage,
        "steps": steps,
        "data": str(config.data),
        "batch_size": config.batch_size,
        "crop_size": config.crop_size,
        "learning_rate": config.lr,
        "pixel_loss": config.pixel_loss if not adversarial else None,
        "content_loss": content_loss,
        "vgg": f"{config.vgg_layer} ({config.vgg_weights})" if content_loss == "vgg" else None,
        "degradation": degradation,
        "library_version": package_version(),
    })
