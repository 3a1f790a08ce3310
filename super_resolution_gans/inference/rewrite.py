"""The graph rewrite: an inference copy of an `SRResNet` computing the same function faster.

Two exact rewrites (equal up to float rounding), read from the generator's config: BatchNorm
folded into the convolution before it (`SRResNet.batchnorm_pairs`), and the 9x9 output
convolution moved before the last x2 pixel shuffle (`subpixel_output`). Timings are in
BENCHMARKS.md.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np

from ..models.srresnet import SRResNet

__all__ = ["inference_generator"]


def inference_generator(generator: keras.Model) -> keras.Model:
    """An inference copy of an `SRResNet` (a `build_generator` model): the same function, computed faster.

    Two exact rewrites (equal up to float rounding):
    - BatchNorm folded into the preceding convolution. A conv followed by inference-mode
      BatchNorm computes `gamma * (conv(x) - mean) / sqrt(var + eps) + beta`, which is a conv
      with kernel `W * s` and bias `(b - mean) * s + beta`, `s = gamma / sqrt(var + eps)`.
    - The 9x9 output conv moved before the last x2 pixel shuffle (`subpixel_output`): each of
      the 4 output phases of a pre-shuffle pixel is a 5x5 conv over the 4 x `filters`
      pre-shuffle channels. It replaces a conv with 3 outputs at full resolution, which CPU
      kernels vectorise poorly, with one of 12 outputs at half resolution, and skips a
      full-resolution shuffle of `filters` channels.
    Models that are not an `SRResNet` (foreign layouts), and copies made by this function, are
    returned unchanged.

    Example:
    >>> generator = SRResNet(num_blocks=2, filters=16)
    >>> fast = inference_generator(generator)
    >>> any(isinstance(layer, keras.layers.BatchNormalization) for layer in fast.layers)
    False
    >>> image = np.random.default_rng(0).uniform(0, 255, (1, 9, 13, 3)).astype("float32")
    >>> bool(np.abs(fast(image) - generator(image, training=False)).max() < 0.01)
    True
    """
    if not isinstance(generator, SRResNet) or generator.is_inference_layout:
        return generator
    config = {**generator.get_config(), "batchnorm": False, "subpixel_output": True}
    fast = SRResNet.from_config({**config, "name": f"{generator.name}_inference"})
    batchnorms = dict(generator.batchnorm_pairs)
    for layer in fast.layers:
        if not layer.weights:
            continue
        weights = [np.asarray(w, np.float64) for w in generator.get_layer(layer.name).get_weights()]
        if layer.name == "output_conv":
            kernel, bias = weights
            weights = [_subpixel_kernel(kernel), np.tile(bias, 4)]
        elif layer.name == generator.last_prelu:
            weights = [np.tile(weights[0], (1, 1, 4))]  # channel (phase, c) has the slope of c
        elif layer.name in batchnorms:
            weights = _folded(weights, generator.get_layer(batchnorms[layer.name]))
        layer.set_weights([w.astype(np.float32) for w in weights])
    return fast


def _folded(conv_weights: list[np.ndarray], batchnorm: keras.layers.Layer) -> list[np.ndarray]:
    """Kernel and bias of a convolution with the inference-mode BatchNorm after it folded in."""
    kernel, bias = conv_weights
    gamma, beta, mean, variance = (np.asarray(w, np.float64) for w in batchnorm.get_weights())
    factor = gamma / np.sqrt(variance + batchnorm.epsilon)
    return [kernel * factor, (bias - mean) * factor + beta]


def _subpixel_kernel(kernel: np.ndarray) -> np.ndarray:
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
