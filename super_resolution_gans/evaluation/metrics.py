"""PSNR and SSIM on the Y channel with a border crop: the SR benchmark protocol.

The protocol is the one used by Ledig et al. (2017) and the usual SR benchmarks (Set5, Set14,
BSD100):

1. The super-resolved image is quantised to 8 bits: clipped to [0, 255] and rounded, as if it had
   been saved to a PNG file. The ground truth is used as given (it normally is 8-bit already).
2. Both images are converted to the luma channel Y of ITU-R BT.601 exactly as MATLAB's
   ``rgb2ycbcr`` does for float input: ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` for
   RGB in [0, 1], rescaled here to [0, 255] input and output (Y itself lies in [16, 235]). Y is not
   rounded.
3. ``border`` pixels (the scale factor, 4, by convention) are removed from every side.
4. PSNR uses a peak value of 255. SSIM is ``tf.image.ssim`` with an 11x11 Gaussian window
   (sigma 1.5), K1 = 0.01, K2 = 0.03 and a dynamic range of 255, which equals scikit-image's
   ``structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
   data_range=255)``.

A third measure needs no reference network: ``detail_ratio`` compares the high-frequency
energy of the SR image with the original's (1.0 = as much fine detail), a proxy for the
sharpness that PSNR penalises and GANs restore (no download, unlike LPIPS).

The metrics return one value per image, so the caller chooses how to average (the benchmarks
average per-image values over a data set). The PSNR of two identical images is ``inf``, the
mathematically correct value; filter it out or cap it if you average over such images.

All functions take float RGB in [0, 255] (or any integer dtype, cast to float32), as NHWC batches
or single HWC images, as tensors or NumPy arrays. They work in eager mode and inside
``tf.function`` / a Keras ``test_step`` with unknown height and width.
"""

from __future__ import annotations

import math
from typing import Any

import tensorflow as tf

__all__ = ["rgb_to_y", "psnr_y", "ssim_y", "detail_ratio"]

# MATLAB rgb2ycbcr: Y = 16 + (65.481 R + 128.553 G + 24.966 B) for R, G, B in [0, 1]; with
# [0, 255] input each coefficient is divided by 255.
_Y_COEFFICIENTS = (65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0)
_Y_OFFSET = 16.0
_MAX_VALUE = 255.0
_SSIM_FILTER_SIZE = 11
_SSIM_FILTER_SIGMA = 1.5


def _to_float_tensor(images: Any, name: str) -> tf.Tensor:
    """Converts ``images`` to a float tensor (float64 is kept, everything else becomes float32)."""
    images = tf.convert_to_tensor(images, name=name)
    if images.dtype != tf.float64 and images.dtype != tf.float32:
        images = tf.cast(images, tf.float32)
    return images


def _check_rgb(images: tf.Tensor, name: str) -> None:
    rank = images.shape.rank
    if rank is not None and rank not in (3, 4):
        raise ValueError(
            f"`{name}` must be an RGB image (H, W, 3) or a batch (N, H, W, 3); "
            f"received shape {images.shape}."
        )
    channels = images.shape[-1] if rank is not None else None
    if channels is not None and channels != 3:
        raise ValueError(
            f"`{name}` must have 3 channels (RGB) in its last dimension; "
            f"received shape {images.shape}."
        )


def rgb_to_y(images: Any) -> tf.Tensor:
    """Converts RGB in [0, 255] to BT.601 luma Y in [0, 255] scale (MATLAB ``rgb2ycbcr``).

    Args:
        images: RGB images, shape ``(H, W, 3)`` or ``(N, H, W, 3)``, values in [0, 255]; a
            tensor or NumPy array of any real dtype (integers are cast to float32).

    Returns:
        Float tensor of shape ``(..., H, W, 1)`` with ``Y = 16 + (65.481 R + 128.553 G +
        24.966 B) / 255``, i.e. values in [16, 235] for inputs in [0, 255]. Not rounded.

    Raises:
        ValueError: if the input is not a 3-channel image or batch of images.

    Example:

    >>> import numpy as np
    >>> y = rgb_to_y(np.full((2, 8, 8, 3), 255.0, dtype="float32"))
    >>> y.shape, round(float(y[0, 0, 0, 0]), 3)
    (TensorShape([2, 8, 8, 1]), 235.0)
    """
    images = _to_float_tensor(images, "images")
    _check_rgb(images, "images")
    coefficients = tf.constant(_Y_COEFFICIENTS, dtype=images.dtype)
    luma = tf.reduce_sum(images * coefficients, axis=-1, keepdims=True)
    return luma + tf.constant(_Y_OFFSET, dtype=images.dtype)


def _validate_border(border: Any) -> int:
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise ValueError(f"`border` must be an integer >= 0; received {border!r}.")
    return border


def _prepare_y(
    y_true: Any, y_pred: Any, border: int, min_size: int, metric: str
) -> tuple[tf.Tensor, tf.Tensor]:
    """Validates, quantises ``y_pred``, converts both to Y and crops ``border`` pixels."""
    border = _validate_border(border)
    y_true = _to_float_tensor(y_true, "y_true")
    y_pred = _to_float_tensor(y_pred, "y_pred")
    _check_rgb(y_true, "y_true")
    _check_rgb(y_pred, "y_pred")
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(
            f"`y_true` and `y_pred` must have the same shape; received y_true shape "
            f"{y_true.shape} and y_pred shape {y_pred.shape}."
        )
    if y_true.dtype != y_pred.dtype:
        y_pred = tf.cast(y_pred, y_true.dtype)

    needed = 2 * border + min_size
    merged = y_true.shape.merge_with(y_pred.shape)
    sizes = (merged[-3], merged[-2]) if merged.rank is not None else (None, None)
    for size, axis in zip(sizes, ("height", "width"), strict=True):
        if size is not None and size < needed:
            raise ValueError(
                f"Image {axis} {size} is too small for {metric} with border={border}: at least "
                f"{needed} pixels are needed (2 * border + {min_size})."
            )

    # Dynamic checks for what static shapes could not tell (graph mode, unknown sizes).
    true_shape = tf.shape(y_true)
    checks = [
        tf.debugging.assert_equal(
            true_shape,
            tf.shape(y_pred),
            message="y_true and y_pred must have the same shape",
        ),
        tf.debugging.assert_greater_equal(
            tf.reduce_min(true_shape[-3:-1]),
            needed,
            message=(
                f"image too small for {metric} with border={border}: height and width must be "
                f">= {needed}"
            ),
        ),
    ]
    with tf.control_dependencies(checks):
        # The standard protocol measures the SR output as an 8-bit image.
        y_pred = tf.round(tf.clip_by_value(y_pred, 0.0, _MAX_VALUE))
        y_true = tf.identity(y_true)

    y_true = rgb_to_y(y_true)
    y_pred = rgb_to_y(y_pred)
    if border > 0:
        y_true = y_true[..., border:-border, border:-border, :]
        y_pred = y_pred[..., border:-border, border:-border, :]
    return y_true, y_pred


def psnr_y(y_true: Any, y_pred: Any, *, border: int = 4) -> tf.Tensor:
    """PSNR on the Y channel with ``border`` pixels cropped from every side (peak 255).

    ``y_pred`` is clipped to [0, 255] and rounded first (the SR output as a saved 8-bit image);
    ``y_true`` is used as given. See the module docstring for the full protocol.

    Args:
        y_true: Ground-truth RGB in [0, 255], ``(N, H, W, 3)`` or ``(H, W, 3)``; tensor or array.
        y_pred: Predicted RGB, same shape as ``y_true``.
        border: Pixels removed from each side before measuring (the scale factor by convention).

    Returns:
        PSNR in dB, shape ``(N,)`` for a batch or ``()`` for a single image, dtype float32
        (float64 for float64 input). ``inf`` where the cropped Y channels are identical.

    Raises:
        ValueError: for mismatched shapes, non-RGB input, a negative ``border`` or one that
            leaves no pixels. In graph mode with unknown sizes the same checks raise
            ``tf.errors.InvalidArgumentError`` at run time.

    Example:

    >>> import numpy as np
    >>> hr = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    >>> psnr_y(hr, hr + 2.0).shape
    TensorShape([2])
    """
    y_true, y_pred = _prepare_y(y_true, y_pred, border, 1, "psnr_y")
    mse = tf.reduce_mean(tf.math.squared_difference(y_true, y_pred), axis=[-3, -2, -1])
    peak = tf.constant(_MAX_VALUE**2, dtype=mse.dtype)
    # 255^2 / 0 = inf, so identical images give inf (not NaN).
    return tf.math.log(peak / mse) * tf.constant(10.0 / math.log(10.0), dtype=mse.dtype)


def ssim_y(y_true: Any, y_pred: Any, *, border: int = 4) -> tf.Tensor:
    """SSIM on the Y channel with ``border`` pixels cropped from every side.

    Uses ``tf.image.ssim`` with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03 and
    ``max_val=255``; ``y_pred`` is clipped to [0, 255] and rounded first. After cropping, the
    image must be at least 11x11 pixels.

    Args:
        y_true: Ground-truth RGB in [0, 255], ``(N, H, W, 3)`` or ``(H, W, 3)``; tensor or array.
        y_pred: Predicted RGB, same shape as ``y_true``.
        border: Pixels removed from each side before measuring (the scale factor by convention).

    Returns:
        SSIM, shape ``(N,)`` for a batch or ``()`` for a single image; 1.0 for identical images.

    Raises:
        ValueError: for mismatched shapes, non-RGB input, a negative ``border`` or one that
            leaves less than 11x11 pixels. In graph mode with unknown sizes the same checks
            raise ``tf.errors.InvalidArgumentError`` at run time.

    Example:

    >>> import numpy as np
    >>> hr = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    >>> [round(v, 4) for v in ssim_y(hr, hr).numpy().tolist()]
    [1.0, 1.0]
    """
    y_true, y_pred = _prepare_y(y_true, y_pred, border, _SSIM_FILTER_SIZE, "ssim_y")
    return tf.image.ssim(
        y_true,
        y_pred,
        max_val=_MAX_VALUE,
        filter_size=_SSIM_FILTER_SIZE,
        filter_sigma=_SSIM_FILTER_SIGMA,
        k1=0.01,
        k2=0.03,
    )


def detail_ratio(y_true: Any, y_pred: Any, *, scale: int = 4, border: int = 4) -> tf.Tensor:
    """High-frequency energy of ``y_pred`` relative to ``y_true``, on the Y channel.

    The Y channels (``border`` cropped, ``y_pred`` quantised to 8 bits as for PSNR) are
    Hann-windowed and Fourier-transformed; the measure is the power above the LR image's
    Nyquist frequency (``0.5 / scale`` cycles per HR pixel: detail the LR input cannot hold, so
    the network must create it) in ``y_pred`` divided by the same in ``y_true``. 1.0 means as
    much fine detail as the original; bicubic upscaling scores near 0; noise or artefacts can
    push it above 1, so read it next to PSNR. The ratio says nothing about whether the detail
    is in the right place.

    Args:
        y_true: The original HR images, RGB [0, 255], ``(N, H, W, 3)`` or ``(H, W, 3)``.
        y_pred: The SR images, the same shape.
        scale: The SR factor; sets the cut-off frequency.
        border: Pixels cropped from every side.

    Returns:
        One ratio per image (a scalar for an HWC input).

    Example:
    >>> import numpy as np
    >>> hr = np.random.default_rng(0).uniform(0, 255, (64, 64, 3))
    >>> round(float(detail_ratio(hr, hr)), 3)
    1.0
    >>> flat = np.full((64, 64, 3), 128.0)
    >>> float(detail_ratio(hr, flat)) < 0.01
    True
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"`scale` must be an integer >= 1; received {scale!r}.")
    y_true, y_pred = _prepare_y(y_true, y_pred, border, 8, "detail_ratio")
    return _high_frequency_power(y_pred, scale) / _high_frequency_power(y_true, scale)


def _high_frequency_power(y: tf.Tensor, scale: int) -> tf.Tensor:
    """Power of the windowed Y channel above ``0.5 / scale`` cycles per pixel."""
    y = tf.cast(y[..., 0], tf.float32)  # (..., H, W)
    height, width = tf.shape(y)[-2], tf.shape(y)[-1]
    y = y - tf.reduce_mean(y, axis=[-2, -1], keepdims=True)
    window = tf.signal.hann_window(height, periodic=False)[:, None] * tf.signal.hann_window(
        width, periodic=False
    )[None, :]
    spectrum = tf.signal.fft2d(tf.complex(y * window, tf.zeros_like(y)))
    power = tf.math.real(spectrum * tf.math.conj(spectrum))
    fy = _frequencies(height)[:, None]
    fx = _frequencies(width)[None, :]
    high = tf.cast(tf.sqrt(fy**2 + fx**2) > 0.5 / scale, tf.float32)
    return tf.reduce_sum(power * high, axis=[-2, -1])


def _frequencies(length: tf.Tensor) -> tf.Tensor:
    """``numpy.fft.fftfreq(length)``: cycles per sample of each FFT bin."""
    index = tf.range(length)
    signed = tf.where(index < (length + 1) // 2, index, index - length)
    return tf.cast(signed, tf.float32) / tf.cast(length, tf.float32)
