"""Custom Keras layers used by the generators, all registered for safe loading.

Every layer here is a `keras.saving.register_keras_serializable` class, so a saved
`.keras` generator reloads with `keras.models.load_model(path, safe_mode=True)` in a process
that has only imported `super_resolution_gans.models`. None of them has weights.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

PACKAGE = "super_resolution_gans"


class _ShuffleLayer(keras.layers.Layer):
    """The factor both shuffles take: an integer of at least 2, part of the config."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        if int(factor) < 2:
            raise ValueError(f"factor must be an integer >= 2, got {factor!r}")
        self.factor = int(factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelShuffle(_ShuffleLayer):
    """Sub-pixel convolution rearrangement (Shi et al. 2016): depth to space.

    Turns `(batch, h, w, c * factor**2)` into `(batch, h * factor, w * factor, c)`, with the
    channel order of `tf.nn.depth_to_space`.

    Args:
        factor: upscaling factor of each spatial dimension.

    Example:
    >>> import numpy as np
    >>> PixelShuffle(2)(np.zeros((1, 3, 5, 8), "float32")).shape
    TensorShape([1, 6, 10, 2])
    """

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        scaled = [None if d is None else d * self.factor for d in (height, width)]
        return (batch, *scaled, channels // self.factor**2)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelUnshuffle(_ShuffleLayer):
    """Space to depth, the inverse of `PixelShuffle`: `(batch, h, w, c)` to
    `(batch, h / factor, w / factor, c * factor**2)`, with the channel order of
    `tf.nn.space_to_depth` (offset `(i, j)` of channel `c` at `(i * factor + j) * c_in + c`;
    PyTorch's `pixel_unshuffle` puts it at `c * factor**2 + i * factor + j`, so weights converted
    from PyTorch have their input channels permuted to match). Height and width must be
    multiples of `factor` (`PadToMultiple` makes them so).

    Example:
    >>> import numpy as np
    >>> PixelUnshuffle(2)(np.zeros((1, 4, 6, 3), "float32")).shape
    TensorShape([1, 2, 3, 12])
    """

    def call(self, inputs):
        return tf.nn.space_to_depth(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        scaled = [None if d is None else d // self.factor for d in (height, width)]
        return (batch, *scaled, channels * self.factor**2)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PadToMultiple(keras.layers.Layer):
    """Reflect-pads the bottom and right edges so that height and width are multiples of
    `multiple` (Real-ESRGAN pads its x2 and x1 inputs the same way); `CropToScale` cuts the
    output back.

    Example:
    >>> import numpy as np
    >>> PadToMultiple(4)(np.zeros((1, 5, 8, 3), "float32")).shape
    TensorShape([1, 8, 8, 3])
    """

    def __init__(self, multiple: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, inputs):
        size = tf.shape(inputs)[1:3]
        extra = (self.multiple - size % self.multiple) % self.multiple  # no negative modulo
        pads = tf.stack([[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]])
        return tf.pad(inputs, pads, mode="REFLECT")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        padded = [None if d is None else -(-d // self.multiple) * self.multiple
                  for d in (height, width)]
        return (batch, *padded, channels)

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CropToScale(keras.layers.Layer):
    """Crops `[image, reference]` to `scale` times the reference's height and width (undoing
    `PadToMultiple` on the output).

    Example:
    >>> import numpy as np
    >>> CropToScale(2)([np.zeros((1, 16, 16, 3)), np.zeros((1, 5, 8, 3))]).shape
    TensorShape([1, 10, 16, 3])
    """

    def __init__(self, scale: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs):
        image, reference = inputs
        size = tf.shape(reference)[1:3] * self.scale
        return image[:, : size[0], : size[1]]

    def compute_output_shape(self, input_shape):
        (batch, _, _, channels), (_, height, width, _) = input_shape
        scaled = [None if d is None else d * self.scale for d in (height, width)]
        return (batch, *scaled, channels)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ScaledResidual(keras.layers.Layer):
    """`[residual, skip]` to `residual * factor + skip`: ESRGAN's residual scaling (0.2).

    Example:
    >>> import numpy as np
    >>> ones = np.ones((1, 1, 1, 1), "float32")
    >>> round(float(ScaledResidual(0.2)([ones, ones])[0, 0, 0, 0]), 6)
    1.2
    """

    def __init__(self, factor: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, inputs):
        residual, skip = inputs
        return residual * self.factor + skip

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResizeByFactor(keras.layers.Layer):
    """Resizes images by an integer factor, whatever their size (bicubic by default).

    Used for the generator's optional global skip: the LR image upsampled by bicubic
    interpolation is added to the network's output, so the network learns only the residual.
    Bicubic upsampling is computed with fixed depthwise convolutions that reproduce
    `tf.image.resize(..., "bicubic")` (Keys kernel, a = -0.5, half-pixel centres, kernel
    truncated and renormalised at the borders; equal up to float rounding for the factors 2, 4
    and 8, while other factors differ by under 0.1% because TensorFlow tabulates the kernel), so
    that every exporter (ONNX, TFLite, OpenVINO) can convert it.

    Args:
        factor: integer scale factor.
        interpolation: a `tf.image.resize` method ("bicubic", "bilinear", "nearest", ...).

    Example:
    >>> import numpy as np
    >>> ResizeByFactor(4)(np.zeros((1, 5, 7, 3), "float32")).shape
    TensorShape([1, 20, 28, 3])
    """

    def __init__(self, factor: int = 4, interpolation: str = "bicubic", **kwargs):
        super().__init__(**kwargs)
        if int(factor) < 1:
            raise ValueError(f"factor must be a positive integer, got {factor!r}")
        self.factor = int(factor)
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "bicubic":
            return _bicubic_upsample(inputs, self.factor)
        size = tf.shape(inputs)[1:3] * self.factor
        resized = tf.image.resize(inputs, size, method=self.interpolation)
        return tf.cast(resized, inputs.dtype)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        scaled = [None if d is None else d * self.factor for d in (height, width)]
        return (batch, *scaled, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "interpolation": self.interpolation,
        }


def _keys_cubic(distance: np.ndarray, a: float = -0.5) -> np.ndarray:
    """The Keys cubic convolution kernel, as used by `tf.image.resize` "bicubic"."""
    d = np.abs(distance)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


def _phase_kernels(factor: int) -> np.ndarray:
    """Weights `(5, factor)` of input taps i-2..i+2 for output samples factor*i + phase."""
    kernels = np.zeros((5, factor))
    for phase in range(factor):
        position = (phase + 0.5) / factor - 0.5  # input coordinate relative to sample i
        kernels[:, phase] = _keys_cubic(np.arange(-2, 3) - position)
    return kernels


def _upsample_axis(images, factor: int, axis: int):
    """Bicubic upsampling along axis 1 (height) or 2 (width) of NHWC `images`.

    The kernel is applied with zero padding and divided by the same convolution of ones: taps
    outside the image are dropped and the remaining weights renormalised, as TensorFlow does.
    """
    kernels = _phase_kernels(factor)
    shape = (5, 1, 1, factor) if axis == 1 else (1, 5, 1, factor)
    kernel = tf.constant(kernels.reshape(shape), dtype=images.dtype)
    channels = images.shape[-1]
    batch, height, width = tf.unstack(tf.shape(images)[:3])

    def phases(x, depth):
        return tf.nn.depthwise_conv2d(
            x, tf.tile(kernel, [1, 1, depth, 1]), strides=[1, 1, 1, 1], padding="SAME"
        )

    weighted = phases(images, channels)  # (N, H, W, C * factor), channel c * factor + phase
    ones = tf.ones(tf.stack([1, height, width, 1]), dtype=images.dtype)
    norms = phases(ones, 1)  # (1, H, W, factor)
    weighted = tf.reshape(weighted, tf.stack([batch, height, width, channels, factor]))
    result = weighted / norms[:, :, :, None, :]
    if axis == 1:  # (N, H, W, C, f) -> (N, H, f, W, C)
        result = tf.transpose(result, [0, 1, 4, 2, 3])
        return tf.reshape(result, tf.stack([batch, height * factor, width, channels]))
    result = tf.transpose(result, [0, 1, 2, 4, 3])  # (N, H, W, f, C)
    return tf.reshape(result, tf.stack([batch, height, width * factor, channels]))


def _bicubic_upsample(images, factor: int):
    if factor == 1:
        return images
    return _upsample_axis(_upsample_axis(images, factor, axis=1), factor, axis=2)
