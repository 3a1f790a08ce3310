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
noise and before its JPEG step, so the final JPEG blocks sit on the LR grid, as in a real LR file. Values are clipped and
rounded to 8-bit levels after every step. ``Degradation()`` holds Real-ESRGAN's published ranges
(``options/train_realesrnet_x4plus.yml``; only its two Gaussian kernel kinds, no sinc filter);
``clean_probability`` keeps a share of plain bicubic pairs (not in Real-ESRGAN) so that a model
keeps its quality on clean inputs.

Everything is TensorFlow ops with stateless random numbers drawn from one seed per sample:
the same seed gives the same LR image, and it runs inside ``tf.data`` maps in parallel.
"""

from __future__ import annotations

import dataclasses
import math

import tensorflow as tf

__all__ = [
    "DEGRADATION_PRESETS",
    "Degradation",
    "DegradationOrder",
    "apply_fixed_degradation",
    "degrade",
    "get_degradation",
    "jpeg_compress",
    "parse_fixed_degradation",
]

INTERPOLATIONS = ("area", "bilinear", "bicubic")

# How many independent random streams one sample may use (each draw takes one).
_MAX_DRAWS = 96


def _check_probability(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a probability in [0, 1]; received {value!r}.")


def _check_range(name: str, value: object) -> None:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or value[0] > value[1]
        or value[0] < 0
    ):
        raise ValueError(f"`{name}` must be a (low, high) pair with 0 <= low <= high; "
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
                    raise ValueError(
                        f"`resize_probabilities` must be 3 non-negative numbers (up, down, "
                        f"keep) summing to 1; received {value!r}."
                    )
            else:
                _check_range(field.name, value)
        if self.resize_range[0] <= 0 or self.resize_range[0] > 1 or self.resize_range[1] < 1:
            raise ValueError(
                "`resize_range` must be (low, high) with 0 < low <= 1 <= high; "
                f"received {self.resize_range!r}."
            )
        if self.blur_sigma[0] <= 0:
            raise ValueError(f"`blur_sigma` must be positive; received {self.blur_sigma!r}.")
        if not 1 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100:
            raise ValueError(
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
            raise ValueError(f"`interpolations` must be a non-empty subset of {INTERPOLATIONS}; "
                             f"received {self.interpolations!r}.")
        _check_probability("second_order_probability", self.second_order_probability)
        _check_probability("clean_probability", self.clean_probability)
        size = self.blur_kernel_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 3 or size % 2 == 0:
            raise ValueError(f"`blur_kernel_size` must be an odd integer >= 3; received {size!r}.")

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
    # noise, JPEG at any quality, a light second pass now and then; a fifth stay clean. The
    # shipped `realsr_x4` weights are trained with it.
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
    raise ValueError(
        f"`degradation` must be None, a Degradation or one of {sorted(DEGRADATION_PRESETS)}; "
        f"received {degradation!r}."
    )


# --------------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------------


class _Draws:
    """Independent stateless seeds from one sample seed, one per random draw."""

    def __init__(self, seed: tf.Tensor):
        self._seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), _MAX_DRAWS)
        self._next = 0

    def seed(self) -> tf.Tensor:
        if self._next == _MAX_DRAWS:
            raise RuntimeError("degradation uses more random draws than _MAX_DRAWS")
        self._next += 1
        return self._seeds[self._next - 1]

    def uniform(self, low: float = 0.0, high: float = 1.0) -> tf.Tensor:
        return tf.random.stateless_uniform([], self.seed(), low, high)

    def happens(self, probability: float) -> tf.Tensor:
        return self.uniform() < probability


def degrade(hr: tf.Tensor, scale: int, degradation: Degradation, seed: tf.Tensor) -> tf.Tensor:
    """The degraded LR image of one HR image: float32 ``(H // scale, W // scale, 3)``.

    Args:
        hr: float RGB in [0, 255], shape ``(H, W, 3)``, with ``H, W >= blur_kernel_size``.
        scale: Downscaling factor.
        degradation: The random ranges.
        seed: Shape ``(2,)`` integer seed; the same seed gives the same image.

    Returns:
        8-bit values in float32.

    Example:
    >>> hr = tf.random.stateless_uniform((96, 96, 3), (1, 2), 0, 255)
    >>> degrade(hr, 4, Degradation(), tf.constant([0, 7])).shape
    TensorShape([24, 24, 3])
    """
    from ..data import bicubic_downscale  # the clean path is the library's one bicubic

    hr = tf.convert_to_tensor(hr, tf.float32)
    draws = _Draws(seed)
    lr_size = tf.shape(hr)[:2] // scale

    hr_size = tf.shape(hr)[:2]

    def first_order() -> tf.Tensor:  # the only order: resized relative to the LR size
        return _apply_order(hr, degradation.first, degradation, draws, lr_size, lr_size)

    def two_orders() -> tf.Tensor:
        image = _apply_order(hr, degradation.first, degradation, draws, hr_size, None)
        return _apply_order(image, degradation.second, degradation, draws, lr_size, lr_size)

    def realistic() -> tf.Tensor:
        if degradation.second is None:
            return first_order()
        return tf.cond(draws.happens(degradation.second_order_probability), two_orders,
                       first_order)

    def clean() -> tf.Tensor:
        return bicubic_downscale(hr[None], scale)[0]

    lr = tf.cond(draws.happens(degradation.clean_probability), clean, realistic)
    lr.set_shape([None, None, 3])
    if hr.shape[0] is not None and hr.shape[1] is not None:
        lr.set_shape([hr.shape[0] // scale, hr.shape[1] // scale, 3])
    return lr


def _apply_order(
    image: tf.Tensor,
    order: DegradationOrder,
    degradation: Degradation,
    draws: _Draws,
    base_size: tf.Tensor,
    final_size: tf.Tensor | None,
) -> tf.Tensor:
    """blur -> resize (relative to ``base_size``) -> noise -> [resize to final_size] -> JPEG."""
    size = degradation.blur_kernel_size
    image = _maybe(draws.happens(order.blur_probability), image,
                   lambda x: _blur(x, order, size, draws))
    methods = degradation.interpolations
    image = _random_resize(image, order, base_size, size // 2 + 1, methods, draws)
    image = _maybe(draws.happens(order.noise_probability), image,
                   lambda x: _noise(x, order, draws))
    if final_size is not None:
        image = _resize(image, final_size, methods, draws)
    return _maybe(draws.happens(order.jpeg_probability), image, lambda x: _jpeg(x, order, draws))


def _maybe(condition: tf.Tensor, image: tf.Tensor, step) -> tf.Tensor:
    """``step(image)`` when ``condition``, else ``image``. The step's random draws are taken
    either way (the draws are made while tracing), so later steps get the same seeds."""
    result = tf.cond(condition, lambda: step(image), lambda: tf.identity(image))
    result.set_shape([None, None, 3])
    return result


def _quantise(image: tf.Tensor) -> tf.Tensor:
    return tf.round(tf.clip_by_value(image, 0.0, 255.0))


def gaussian_kernel(size: int, sigma_x, sigma_y, angle) -> tf.Tensor:
    """A normalised ``size`` x ``size`` Gaussian kernel with axes rotated by ``angle``.

    Example:
    >>> kernel = gaussian_kernel(5, 1.0, 1.0, 0.0)
    >>> round(float(tf.reduce_sum(kernel)), 5)
    1.0
    """
    offsets = tf.range(size, dtype=tf.float32) - (size - 1) / 2
    x, y = tf.meshgrid(offsets, offsets)
    cos, sin = tf.cos(angle), tf.sin(angle)
    u = cos * x + sin * y
    v = -sin * x + cos * y
    kernel = tf.exp(-0.5 * (tf.square(u / sigma_x) + tf.square(v / sigma_y)))
    return kernel / tf.reduce_sum(kernel)


def _blur(image: tf.Tensor, order: DegradationOrder, size: int, draws: _Draws) -> tf.Tensor:
    sigma_x = draws.uniform(*order.blur_sigma)
    anisotropic = draws.happens(order.anisotropic_probability)
    sigma_y = tf.where(anisotropic, draws.uniform(*order.blur_sigma), sigma_x)
    angle = tf.where(anisotropic, draws.uniform(-math.pi, math.pi), 0.0)
    kernel = gaussian_kernel(size, sigma_x, sigma_y, angle)
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, 3, 1])
    pad = size // 2
    padded = tf.pad(image[None], [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    blurred = tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")[0]
    return _quantise(blurred)


def _random_resize(
    image: tf.Tensor,
    order: DegradationOrder,
    base_size: tf.Tensor,
    min_side: int,
    methods: tuple[str, ...],
    draws: _Draws,
) -> tf.Tensor:
    up, down, _keep = order.resize_probabilities
    choice = draws.uniform()
    low, high = order.resize_range
    factor = tf.where(
        choice < up,
        draws.uniform(1.0, high) if high > 1 else tf.constant(1.0),
        tf.where(choice < up + down, draws.uniform(low, 1.0), 1.0),
    )
    size = tf.cast(tf.round(tf.cast(base_size, tf.float32) * factor), tf.int32)
    return _resize(image, tf.maximum(size, min_side), methods, draws)


def _resize(
    image: tf.Tensor, size: tf.Tensor, methods: tuple[str, ...], draws: _Draws
) -> tf.Tensor:
    """Resizes to ``size`` with a random interpolation (antialiased when downscaling); an image
    already of that size is returned as it is."""
    index = tf.random.stateless_uniform([], draws.seed(), 0, len(methods), tf.int32)
    branches = [
        lambda method=method: tf.image.resize(image, size, method, antialias=method != "area")
        for method in methods
    ]
    unchanged = tf.reduce_all(tf.equal(size, tf.shape(image)[:2]))
    return _maybe(tf.logical_not(unchanged), image,
                  lambda _: _quantise(tf.switch_case(index, branches)))


def _noise(image: tf.Tensor, order: DegradationOrder, draws: _Draws) -> tf.Tensor:
    gray = draws.happens(order.gray_noise_probability)
    gaussian_seed, poisson_seed = draws.seed(), draws.seed()
    sigma = draws.uniform(*order.noise_sigma)
    poisson_scale = draws.uniform(*order.poisson_scale)
    channels = tf.where(gray, 1, 3)
    shape = tf.concat([tf.shape(image)[:2], [channels]], axis=0)

    def gaussian() -> tf.Tensor:
        return tf.random.stateless_normal(shape, gaussian_seed) * sigma

    def poisson() -> tf.Tensor:
        luma = tf.reduce_sum(image * [0.299, 0.587, 0.114], axis=-1, keepdims=True)
        counts = tf.clip_by_value(tf.cond(gray, lambda: luma, lambda: image), 0.0, 255.0)
        shot = tf.random.stateless_poisson(tf.shape(counts), poisson_seed, counts, tf.float32)
        return (shot - counts) * poisson_scale

    noise = tf.cond(draws.happens(order.gaussian_noise_probability), gaussian, poisson)
    return _quantise(image + noise)  # a (H, W, 1) gray noise broadcasts over the channels


def _jpeg(image: tf.Tensor, order: DegradationOrder, draws: _Draws) -> tf.Tensor:
    low, high = order.jpeg_quality
    quality = tf.random.stateless_uniform([], draws.seed(), low, high + 1, tf.int32)
    return jpeg_compress(image, quality)


def jpeg_compress(image: tf.Tensor, quality) -> tf.Tensor:
    """Encodes and decodes float RGB [0, 255] as JPEG at ``quality`` (libjpeg, 4:2:0).

    Example:
    >>> jpeg_compress(tf.fill((16, 16, 3), 100.0), 75).shape
    TensorShape([16, 16, 3])
    """
    pixels = tf.cast(_quantise(image), tf.uint8)
    return tf.cast(tf.image.adjust_jpeg_quality(pixels, quality), tf.float32)


# --------------------------------------------------------------------------------------------
# Fixed degradations, for evaluation (`evaluate --degrade noise:5,jpeg:75`)
# --------------------------------------------------------------------------------------------

FixedStep = tuple[str, float]


def parse_fixed_degradation(spec: str) -> tuple[FixedStep, ...]:
    """Parses ``"noise:SIGMA"``, ``"jpeg:QUALITY"`` or a comma-separated sequence of them.

    Example:
    >>> parse_fixed_degradation("noise:5,jpeg:75")
    (('noise', 5.0), ('jpeg', 75.0))
    """
    steps = []
    for part in spec.split(","):
        kind, _, value = part.strip().partition(":")
        try:
            number = float(value)
        except ValueError:
            number = None
        if kind == "noise" and number is not None and number >= 0:
            steps.append(("noise", number))
        elif kind == "jpeg" and number is not None and number.is_integer() and 1 <= number <= 100:
            steps.append(("jpeg", number))
        else:
            raise ValueError(
                f"degradation {spec!r}: {part.strip()!r} is not noise:SIGMA (SIGMA >= 0, 0-255 "
                "scale) or jpeg:QUALITY (an integer in 1..100)"
            )
    return tuple(steps)


def apply_fixed_degradation(
    lr: tf.Tensor, steps: tuple[FixedStep, ...], seed: tuple[int, int] = (0, 0)
) -> tf.Tensor:
    """Applies parsed steps in order to float RGB [0, 255]: colour Gaussian noise of a given
    sigma (seeded, so every run sees the same noise) or JPEG at a given quality.

    Example:
    >>> lr = tf.fill((8, 8, 3), 120.0)
    >>> apply_fixed_degradation(lr, parse_fixed_degradation("noise:5,jpeg:60")).shape
    TensorShape([8, 8, 3])
    """
    image = tf.convert_to_tensor(lr, tf.float32)
    noise_seeds = tf.random.experimental.stateless_split(tf.constant(seed, tf.int64), len(steps))
    for index, (kind, value) in enumerate(steps):
        if kind == "noise":
            noise = tf.random.stateless_normal(tf.shape(image), noise_seeds[index]) * value
            image = _quantise(image + noise)
        else:
            image = jpeg_compress(image, int(value))
    return image
