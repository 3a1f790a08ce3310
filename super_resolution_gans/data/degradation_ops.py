"""The graph of the real-world degradations: `degrade` (see ``degradation`` for what it does
and for the ranges, which are plain data this module reads).

Each sample draws every random number from its own seed, split into independent streams, so
the same seed gives the same image in any order and in parallel ``tf.data`` maps.
"""

from __future__ import annotations

import math

import tensorflow as tf

from ..io.pixels import quantise
from .degradation import Degradation, DegradationOrder
from .transforms import bicubic_downscale

__all__ = ["degrade", "gaussian_kernel", "jpeg_compress"]

# How many independent random streams one sample may use (each draw takes one).
_MAX_DRAWS = 96


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
        degradation: The random ranges (`degradation.Degradation`).
        seed: Shape ``(2,)`` integer seed; the same seed gives the same image.

    Returns:
        8-bit values in float32.

    Example:
    >>> hr = tf.random.stateless_uniform((96, 96, 3), (1, 2), 0, 255)
    >>> degrade(hr, 4, Degradation(), tf.constant([0, 7])).shape
    TensorShape([24, 24, 3])
    """
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
    return quantise(blurred)


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
                  lambda _: quantise(tf.switch_case(index, branches)))


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
    return quantise(image + noise)  # a (H, W, 1) gray noise broadcasts over the channels


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
    pixels = tf.cast(quantise(image), tf.uint8)
    return tf.cast(tf.image.adjust_jpeg_quality(pixels, quality), tf.float32)
