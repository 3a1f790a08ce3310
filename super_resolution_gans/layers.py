"""Custom Keras layers used by the generators, all registered for safe loading.

Every layer here is a `keras.saving.register_keras_serializable` class, so a saved
`.keras` generator reloads with `keras.models.load_model(path, safe_mode=True)` in a process
that has only imported `super_resolution_gans`. None of them has weights.
"""

from __future__ import annotations

import keras
import tensorflow as tf

PACKAGE = "super_resolution_gans"


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelShuffle(keras.layers.Layer):
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

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        if int(factor) < 2:
            raise ValueError(f"factor must be an integer >= 2, got {factor!r}")
        self.factor = int(factor)

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        scaled = [None if d is None else d * self.factor for d in (height, width)]
        return (batch, *scaled, channels // self.factor**2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResizeByFactor(keras.layers.Layer):
    """Resizes images by an integer factor, whatever their size (bicubic by default).

    Used for the generator's optional global skip: the LR image upsampled by bicubic
    interpolation is added to the network's output, so the network learns only the residual.

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
