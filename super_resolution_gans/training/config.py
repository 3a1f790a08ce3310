"""`TrainConfig`: every setting of a training run, checked in one place.

The training command only parses its flags into a `TrainConfig`; Python users build one
directly and call `train(config)`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.degradation import DEGRADATION_PRESETS, get_degradation

if TYPE_CHECKING:
    import keras

__all__ = ["RUN_DEFINING_FIELDS", "VGG22", "VGG54", "TrainConfig"]

VGG54 = "block5_conv4"
"""The VGG19 layer of the paper's SRGAN content loss (the default `vgg_layer`)."""
VGG22 = "block2_conv2"
"""The VGG19 layer of the paper's SRGAN-VGG22 content loss."""

RUN_DEFINING_FIELDS = ("stage", "scale", "num_blocks", "filters", "global_skip", "crop_size",
                       "degradation", "content_loss")
"""Settings that must not change between an interrupted run and its resumption."""


@dataclasses.dataclass
class TrainConfig:
    """The settings of one training run (see `python -m super_resolution_gans.train --help`).

    Example:
    >>> config = TrainConfig(data=Path("photos"), output=Path("runs/x4"), steps=1000)
    >>> config.stage, config.schedule()
    ('srresnet', 'constant')
    """

    data: Path
    output: Path
    lr_data: Path | None = None
    val_data: Path | None = None
    val_crop_size: int = 192
    stage: str = "srresnet"
    steps: int = 100_000
    batch_size: int = 16
    crop_size: int = 96
    scale: int = 4
    num_blocks: int = 16
    filters: int = 64
    global_skip: bool = False
    lr: float = 1e-4
    lr_schedule: str | None = None
    pixel_loss: str = "mse"
    content_loss: str | None = None
    degradation: str = "none"
    init: Path | None = None
    vgg_weights: str = "imagenet"
    vgg_layer: str = VGG54
    adversarial_weight: float = 1e-3
    checkpoint_every: int = 500
    strategy: str = "auto"
    mixed_precision: bool = False
    jit: bool | None = None
    seed: int | None = None
    quiet: bool = False

    def schedule(self) -> str:
        """The learning-rate schedule: step for srgan, constant for srresnet, unless set."""
        return self.lr_schedule or ("step" if self.stage == "srgan" else "constant")

    def learning_rate(self) -> float | keras.optimizers.schedules.LearningRateSchedule:
        """The generator's and discriminator's learning rate or schedule for this run."""
        import keras  # here, not at import: the training command's parser reads the defaults

        if self.schedule() == "step":  # the paper's SRGAN: x0.1 after half the steps
            return keras.optimizers.schedules.PiecewiseConstantDecay(
                [self.steps // 2], [self.lr, self.lr * 0.1]
            )
        if self.schedule() == "cosine":
            return keras.optimizers.schedules.CosineDecay(self.lr, self.steps)
        return self.lr

    def validate(self) -> None:
        """Raises ValueError / FileNotFoundError naming the flag that is wrong."""
        positive = ("steps", "batch_size", "crop_size", "val_crop_size", "num_blocks", "filters",
                    "checkpoint_every")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{_flag(name)} must be positive, got {getattr(self, name)}")
        for name in ("crop_size", "val_crop_size"):
            if getattr(self, name) % self.scale:
                raise ValueError(f"{_flag(name)} {getattr(self, name)} must be a multiple of "
                                 f"--scale {self.scale}")
        if self.stage == "srgan" and self.crop_size % 16:
            raise ValueError(f"--crop-size {self.crop_size} must be a multiple of 16 for "
                             "--stage srgan")
        self._validate_losses_and_data()
        for name in ("data", "lr_data", "val_data"):
            folder = getattr(self, name)
            if folder is not None and not Path(folder).is_dir():
                raise FileNotFoundError(f"{_flag(name)} {folder}: no such folder")
        if self.init is not None and not Path(self.init).is_file():
            raise FileNotFoundError(f"--init {self.init}: no such file")

    def _validate_losses_and_data(self) -> None:
        if self.content_loss is not None and self.stage != "srgan":
            raise ValueError("--content-loss is for --stage srgan (use --pixel-loss for srresnet)")
        if self.degradation not in ("none", *DEGRADATION_PRESETS):
            raise ValueError(f"--degradation {self.degradation!r}: not one of none, "
                             f"{', '.join(sorted(DEGRADATION_PRESETS))}")
        if self.degradation != "none":
            if self.lr_data is not None:
                raise ValueError("--degradation makes the LR images; it cannot be used with "
                                 "--lr-data")
            kernel = get_degradation(self.degradation).blur_kernel_size
            if self.crop_size < kernel:
                raise ValueError(f"--crop-size {self.crop_size} must be at least {kernel} "
                                 f"with --degradation {self.degradation}")

    def run_defining(self) -> dict:
        """The settings a resumed run must share (`RUN_DEFINING_FIELDS`)."""
        return {name: getattr(self, name) for name in RUN_DEFINING_FIELDS}

    def as_record(self) -> dict:
        """Every setting as JSON data (paths as strings)."""
        return {key: str(value) if isinstance(value, Path) else value
                for key, value in dataclasses.asdict(self).items()}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
