"""Callbacks of the training run, one job each: stop at the step count, save checkpoints,
add the run's own figures to the epoch logs, append them to a CSV, write TensorBoard.

An "epoch" of the training run is `checkpoint_every` steps, so every callback acts at each
checkpoint. Order matters where logs are read: `RunFigures` comes before the writers.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from ..data import bicubic_upscale

__all__ = ["CheckpointSaver", "HistoryCSV", "RunFigures", "StopAtStep", "TensorBoardWriter"]

logger = logging.getLogger(__name__)


def optimizer_step(model) -> int:
    """The run's step: the generator optimizer's iteration count (it survives resumption)."""
    return int(model.g_optimizer.iterations.numpy())


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the run reaches `total_steps`, also mid-epoch after a resumption.

    Example:
    >>> StopAtStep(100).total_steps
    100
    """

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if optimizer_step(self.model) >= self.total_steps:
            self.model.stop_training = True


class CheckpointSaver(keras.callbacks.Callback):
    """Saves a `tf.train.CheckpointManager` at every epoch end, numbered by the step."""

    def __init__(self, manager: tf.train.CheckpointManager):
        super().__init__()
        self.manager = manager

    def on_epoch_end(self, epoch, logs=None):
        self.manager.save(checkpoint_number=optimizer_step(self.model))


class RunFigures(keras.callbacks.Callback):
    """Adds to the epoch logs the wall time of the whole run (across resumptions, continuing
    from `previous_seconds`) and the bicubic baseline's validation PSNR."""

    def __init__(self, previous_seconds: float = 0.0, bicubic_psnr: float | None = None):
        super().__init__()
        self.bicubic_psnr = bicubic_psnr
        self._started = time.monotonic() - previous_seconds

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if self.bicubic_psnr is not None:
            logs["val_bicubic_psnr"] = self.bicubic_psnr
        logs["wall_seconds"] = time.monotonic() - self._started


class HistoryCSV(keras.callbacks.Callback):
    """Appends each epoch's logs to a CSV file (`step` first) and logs one line."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        row = {k: float(v) for k, v in (logs or {}).items()}
        step = optimizer_step(self.model)
        _append_row(self.path, {"step": step, **row})
        logger.info("step %d: checkpoint saved; %s", step,
                    ", ".join(f"{k} {v:.4g}" for k, v in row.items()))

    def last_wall_seconds(self) -> float:
        """The wall time recorded last (0 for a new run)."""
        if not self.path.exists():
            return 0.0
        with self.path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        return float(rows[-1]["wall_seconds"]) if rows and rows[-1].get("wall_seconds") else 0.0


class TensorBoardWriter(keras.callbacks.Callback):
    """Scalars of each epoch and a bicubic | SR | HR strip of one validation sample."""

    def __init__(self, folder: Path, sample: tuple[tf.Tensor, tf.Tensor] | None = None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(folder))
        self.sample = sample

    def on_epoch_end(self, epoch, logs=None):
        with self.writer.as_default(step=optimizer_step(self.model)):
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(value))
            if self.sample is not None:
                lr, hr = self.sample
                sr = tf.clip_by_value(self.model.generator(lr, training=False), 0, 255)
                bicubic = bicubic_upscale(lr, tf.shape(hr)[1:3])
                strip = tf.concat([bicubic, sr, hr], axis=2)
                tf.summary.image("bicubic | sr | hr", tf.cast(tf.round(strip), tf.uint8))
        self.writer.flush()

    @staticmethod
    def available() -> bool:
        """Whether TensorBoard is installed (tf.summary writes nothing without it)."""
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            return False
        return True


def _append_row(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
