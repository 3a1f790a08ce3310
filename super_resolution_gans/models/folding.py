"""Exact weight rewrites for inference copies (equal up to float rounding): BatchNorm folded
into the convolution before it, and a convolution after a x2 pixel shuffle moved before it.
`SRResNet.inference_copy` uses both; timings are in BENCHMARKS.md.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np

__all__ = ["folded_conv", "subpixel_kernel"]


def folded_conv(conv_weights: list[np.ndarray], batchnorm: keras.layers.Layer) -> list[np.ndarray]:
    """Kernel and bias of a convolution with the inference-mode BatchNorm after it folded in."""
    kernel, bias = conv_weights
    gamma, beta, mean, variance = (np.asarray(w, np.float64) for w in batchnorm.get_weights())
    factor = gamma / np.sqrt(variance + batchnorm.epsilon)
    return [kernel * factor, (bias - mean) * factor + beta]


def subpixel_kernel(kernel: np.ndarray) -> np.ndarray:
    """The 5x5 kernel on pre-shuffle pixels equal to a 9x9 `kernel` after a x2 shuffle.

    `tf.nn.depth_to_space` puts pre-shuffle channel `(qy * 2 + qx) * C + c` of pixel (i, j) at
    full-resolution pixel (2i + qy, 2j + qx), channel c. The output pixel (2i + a, 2j + b) reads
    full-resolution pixel (2i + a + dy, 2j + b + dx) = pre-shuffle pixel
    (i + (a + dy) // 2, j + (b + dx) // 2), phase ((a + dy) % 2, (b + dx) % 2); its outputs are
    pre-shuffle channels `(a * 2 + b) * 3 + o`, which the shuffle after the conv puts in place.
    """
    size, _, in_channels, out_channels = kernel.shape
    radius = size // 2
    sub_radius = (radius + 1) // 2
    sub = np.zeros(
        (2 * sub_radius + 1, 2 * sub_radius + 1, 4 * in_channels, 4 * out_channels), kernel.dtype
    )
    for a, b, dy, dx in itertools.product(
        range(2), range(2), range(-radius, radius + 1), range(-radius, radius + 1)
    ):
        row, qy = divmod(a + dy, 2)
        column, qx = divmod(b + dx, 2)
        inputs = slice((qy * 2 + qx) * in_channels, (qy * 2 + qx + 1) * in_channels)
        outputs = slice((a * 2 + b) * out_channels, (a * 2 + b + 1) * out_channels)
        tap = kernel[dy + radius, dx + radius]
        sub[row + sub_radius, column + sub_radius, inputs, outputs] = tap
    return sub
