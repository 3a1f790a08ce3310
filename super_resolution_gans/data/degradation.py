"""Real-world degradations of the LR side: blur, resizing, noise and JPEG, once or twice.

Clean bicubic downscales teach a network that every LR pixel is exact; phone and web photos
carry sensor noise and compression blocks, which such a network sharpens along with the
detail. Following Real-ESRGAN (Wang et al., "Real-ESRGAN: Training Real-World Blind
Super-Resolution with Pure Synthetic Data", ICCVW 2021), the LR image of a training pair is made
from the HR patch by one or two *orders* of

    blur -> resize -> noise -> JPEG

where every step is applied with a probability and random parameters:

- blur: an isotropic or anisotropic (rotated) Gaussian kernel, sigma in ``blur_sigma``;
- resize: up, down or keep with ``resize_probabilities``, by a factor in ``resize_range``
  relative to the HR size in the first of two orders and to the LR size in the last order (so
  its noise and JPEG act at about the LR scale, as in a real LR file), with a random
  interpolation among area, bilinear and bicubic (antialiased when downscaling);
- noise: Gaussian (sigma in ``noise_sigma`` on the 0-255 scale) or Poisson (``poisson_scale``
  times shot noise of the 8-bit photon count), in colour or, with ``gray_noise_probability``,
  the same in every channel;
- JPEG: encoded and decoded by libjpeg at a quality in ``jpeg_quality``.

The last order applied resizes to exactly ``HR size // scale`` (random interpolation) after its
noise and before its JPEG step, so the final JPEG blocks sit on the LR grid, as in a real LR
file. Values are clipped and rounded to 8-bit levels after every step. ``Degradation()`` holds
Real-ESRGAN's published ranges (``options/train_realesrnet_x4plus.yml``; only its two Gaussian
kernel kinds, no sinc filter);
``clean_probability`` keeps a share of plain bicubic pairs (not in Real-ESRGAN) so that a model
keeps its quality on clean inputs.

This module holds the ranges (plain data: no TensorFlow) and the presets. The graph is
``degradation_ops.degrade``: TensorFlow ops with stateless random numbers drawn from one seed per
sample, so the same seed gives the same LR image, and it runs inside ``tf.data`` maps in
parallel.
"""

from __future__ import annotations

import dataclasses
import math

from ..validation import ArgumentError

__all__ = [
    "DEGRADATION_PRESETS",
    "Degradation",
    "DegradationOrder",
    "get_degradation",
]

INTERPOLATIONS = ("area", "bilinear", "bicubic")


def _check_probability(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ArgumentError(name, f"`{name}` must be a probability in [0, 1]; received {value!r}.")


def _check_range(name: str, value: object) -> None:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or value[0] > value[1]
        or value[0] < 0
    ):
        raise ArgumentError(name, f"`{name}` must be a (low, high) pair with 0 <= low <= high; "
                                  f"received {value!r}.")


@dataclasses.dataclass(frozen=True)
class DegradationOrder:
    """The random ranges of one blur -> resize -> noise -> JPEG pass.

    Defaults are Real-ESRGAN's first order. Probabilities are in [0, 1]; ranges are
    ``(low, high)`` pairs sampled uniformly.

    Example:
    >>> DegradationOrder(jpeg_quality=(60, 90)).jpeg_quality
    (60, 90)
    """

    blur_probability: float = 1.0
    blur_sigma: tuple[float, float] = (0.2, 3.0)
    anisotropic_probability: float = 0.36  # Real-ESRGAN: 0.25 aniso of 0.70 Gaussian kernels
    resize_probabilities: tuple[float, float, float] = (0.2, 0.7, 0.1)  # up, down, keep
    resize_range: tuple[float, float] = (0.15, 1.5)
    noise_probability: float = 1.0
    gaussian_noise_probability: float = 0.5  # else Poisson
    noise_sigma: tuple[float, float] = (1.0, 30.0)
    poisson_scale: tuple[float, float] = (0.05, 3.0)
    gray_noise_probability: float = 0.4
    jpeg_probability: float = 1.0
    jpeg_quality: tuple[int, int] = (30, 95)

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("probability"):
                _check_probability(field.name, value)
            elif field.name == "resize_probabilities":
                if len(value) != 3 or min(value) < 0 or not math.isclose(sum(value), 1.0):
                    raise ArgumentError(
                        "resize_probabilities",
                        f"`resize_probabilities` must be 3 non-negative numbers (up, down, "
                        f"keep) summing to 1; received {value!r}."
                    )
            else:
                _check_range(field.name, value)
        if self.resize_range[0] <= 0 or self.resize_range[0] > 1 or self.resize_range[1] < 1:
            raise ArgumentError(
                "resize_range",
                "`resize_range` must be (low, high) with 0 < low <= 1 <= high; "
                f"received {self.resize_range!r}."
            )
        if self.blur_sigma[0] <= 0:
            raise ArgumentError("blur_sigma",
                                f"`blur_sigma` must be positive; received {self.blur_sigma!r}.")
        if not 1 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100:
            raise ArgumentError(
                "jpeg_quality",
                f"`jpeg_quality` must be (low, high) within [1, 100]; received "
                f"{self.jpeg_quality!r}."
            )


REALESRGAN_SECOND_ORDER = DegradationOrder(
    blur_probability=0.8,
    blur_sigma=(0.2, 1.5),
    resize_probabilities=(0.3, 0.4, 0.3),
    resize_range=(0.3, 1.2),
    noise_sigma=(1.0, 25.0),
    poisson_scale=(0.05, 2.5),
)


@dataclasses.dataclass(frozen=True)
class Degradation:
    """A random real-world degradation: one or two `DegradationOrder`s.

    Args:
        first: The first order's ranges.
        second: The second order's ranges, or ``None`` for a first order only.
        second_order_probability: How often the second order is applied.
        clean_probability: How often the LR image is the plain bicubic downscale instead.
        blur_kernel_size: Side of the blur kernels (odd); the HR crop must be at least this.
        interpolations: The resize methods drawn from, uniformly.

    Example:
    >>> Degradation(second=None, clean_probability=0.2).second is None
    True
    """

    first: DegradationOrder = DegradationOrder()
    second: DegradationOrder | None = REALESRGAN_SECOND_ORDER
    second_order_probability: float = 0.5
    clean_probability: float = 0.0
    blur_kernel_size: int = 21
    interpolations: tuple[str, ...] = INTERPOLATIONS

    def __post_init__(self) -> None:
        if not self.interpolations or not set(self.interpolations) <= set(INTERPOLATIONS):
            raise ArgumentError(
                "interpolations",
                f"`interpolations` must be a non-empty subset of {INTERPOLATIONS}; "
                f"received {self.interpolations!r}.",
            )
        _check_probability("second_order_probability", self.second_order_probability)
        _check_probability("clean_probability", self.clean_probability)
        size = self.blur_kernel_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 3 or size % 2 == 0:
            raise ArgumentError(
                "blur_kernel_size",
                f"`blur_kernel_size` must be an odd integer >= 3; received {size!r}.",
            )

    def to_dict(self) -> dict:
        """The ranges as plain data (for run records and model metadata).

        Example:
        >>> Degradation().to_dict()["first"]["jpeg_quality"]
        [30, 95]
        """
        data = dataclasses.asdict(self)
        return _lists(data)


def _lists(value):
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_lists(item) for item in value]
    return value


DEGRADATION_PRESETS: dict[str, Degradation] = {
    # Real-ESRGAN's ranges: strong blur, noise and compression, for badly degraded inputs.
    "realesrgan": Degradation(),
    # Photos from phones and the web: downscaled with an unknown filter, a little blur, moderate
    # noise, JPEG at any quality, a light second pass now and then; a fifth stay clean.
    "photo": Degradation(
        first=DegradationOrder(
            blur_probability=0.3,
            blur_sigma=(0.2, 1.2),
            resize_probabilities=(0.1, 0.3, 0.6),
            resize_range=(0.6, 1.2),
            noise_probability=0.6,
            noise_sigma=(1.0, 12.0),
            poisson_scale=(0.05, 1.0),
            jpeg_probability=0.8,
            jpeg_quality=(30, 95),
        ),
        second=DegradationOrder(
            blur_probability=0.2,
            blur_sigma=(0.2, 0.8),
            resize_probabilities=(0.0, 0.0, 1.0),
            resize_range=(1.0, 1.0),
            noise_probability=0.3,
            noise_sigma=(1.0, 6.0),
            poisson_scale=(0.05, 0.5),
            jpeg_probability=0.8,
            jpeg_quality=(50, 95),
        ),
        second_order_probability=0.2,
        clean_probability=0.2,
    ),
    # Downscaled photos saved as JPEG: the bicubic downscale of the clean pairs, then sensor
    # noise in half of the pairs and JPEG at quality 30 to 95 in most; no blur or resizing, and
    # three in ten pairs stay clean, so that clean inputs lose little. The shipped `realsr_x4`
    # weights were fine-tuned with it (MODEL_CARD.md).
    "web": Degradation(
        first=DegradationOrder(
            blur_probability=0.0,
            resize_probabilities=(0.0, 0.0, 1.0),
            resize_range=(1.0, 1.0),
            noise_probability=0.5,
            noise_sigma=(1.0, 10.0),
            poisson_scale=(0.05, 0.5),
            jpeg_probability=0.85,
            jpeg_quality=(30, 95),
        ),
        second=None,
        clean_probability=0.3,
        interpolations=("bicubic",),
    ),
}


def get_degradation(degradation: Degradation | str | None) -> Degradation | None:
    """A `Degradation` from an instance, a preset name (`DEGRADATION_PRESETS`) or ``None``.

    Example:
    >>> get_degradation("photo").clean_probability
    0.2
    >>> get_degradation(None) is None
    True
    """
    if degradation is None or isinstance(degradation, Degradation):
        return degradation
    if isinstance(degradation, str) and degradation in DEGRADATION_PRESETS:
        return DEGRADATION_PRESETS[degradation]
    raise ArgumentError(
        "degradation",
        f"`degradation` must be None, a Degradation or one of {sorted(DEGRADATION_PRESETS)}; "
        f"received {degradation!r}."
    )

