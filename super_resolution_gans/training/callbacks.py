"""Callbacks of the training run, one job each: stop at the step count, save checkpoints, show
the run's progress, add the run's own figures to the epoch logs, append them to a CSV, write
TensorBoard.

An "epoch" of the training run is `checkpoint_every` steps, so every callback acts at each
checkpoint. Order matters where logs are read: `RunFigures` comes before the writers.

Why not Keras's own: `BackupAndRestore` overwrites one weights file and then an epoch file (not
one atomic step), builds and restores `model.optimizer` only (an SRGAN has two), resumes at an
epoch boundary (not at the step a run stopped at) and deletes its backup when `fit` ends, while
a finished run must still resume to say where it stopped; `tf.train.CheckpointManager` writes
each checkpoint under a new name and then its index, so a kill leaves the last one usable.
`CSVLogger` keys its rows by epoch, not by the run's step, and without validation adds a `val_`
column for every metric, filled with "NA". `TensorBoard` writes scalars against the epoch
index, not the step, and no sample images. Keras's progress bar counts one epoch
(`checkpoint_every` steps), not the run.
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

__all__ = ["CheckpointSaver", "HistoryCSV", "RunFigures", "StepProgress", "StopAtStep",
           "TensorBoardWriter"]

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


class StepProgress(keras.callbacks.Callback):
    """A progress bar over the steps this `fit` has to run: from the run's step when it starts
    (0, or where an interrupted run stopped) to `total_steps`, with the ETA of those steps.

    Use it with `fit(..., verbose=0)`, whose own bar would count one epoch.

    Args:
        total_steps: the step the run stops at (`--steps`).
        verbose: 1 for a bar updated in place (a terminal), 2 for one line at the end.

    Example:
    >>> StepProgress(100).total_steps
    100
    """

    def __init__(self, total_steps: int, verbose: int = 1):
        super().__init__()
        self.total_steps = total_steps
        self.verbose = verbose
        self._first_step = 0
        self._bar: keras.utils.Progbar | None = None

    def on_train_begin(self, logs=None):
        self._first_step = optimizer_step(self.model)
        self._bar = keras.utils.Progbar(
            max(self.total_steps - self._first_step, 0), verbose=self.verbose,
            stateless_metrics=(),  # the logs are already running means: shown as they are
        )

    def on_train_batch_end(self, batch, logs=None):
        done = optimizer_step(self.model) - self._first_step
        self._bar.update(done, list((logs or {}).items()), finalize=False)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.update(optimizer_step(self.model) - self._first_step, finalize=True)


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
