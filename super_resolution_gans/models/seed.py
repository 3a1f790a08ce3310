"""The predecessor's generator layout (SuperResolution-GANs 0.0.x), and the [-1, 1] wrapper."""

from __future__ import annotations

import keras

from ..validation import check_int

__all__ = ["build_seed_generator", "wrap_signed_range"]


def build_seed_generator(
    num_blocks: int = 16,
    *,
    batchnorm_momentum: float = 0.8,
    batchnorm_epsilon: float = 1e-3,
    name: str = "seed_generator",
) -> keras.Model:
    """Builds the predecessor package's generator layout, on inputs of any size.

    The layout of SuperResolution-GANs 0.0.x's `model.h5` (see the README): ReLU instead of
    PReLU, activation before BatchNorm, nearest UpSampling2D + Conv2D(256) instead of pixel
    shuffle, tanh output, inputs and outputs in [-1, 1]. The layers are created in the same
    order as the Keras 2 original, so its weight files load by order. Wrap it with
    `wrap_signed_range` to get the library's [0, 255] contract; `load_generator` does both.

    Args:
        num_blocks: number of residual blocks (16 in the published file).
        batchnorm_momentum: the file's BatchNorm momentum.
        batchnorm_epsilon: the file's BatchNorm epsilon.
        name: name of the Keras model.

    Example:
    >>> import numpy as np
    >>> build_seed_generator(2)(np.zeros((1, 10, 14, 3), "float32")).shape
    TensorShape([1, 40, 56, 3])
    """
    check_int("num_blocks", num_blocks, minimum=1)

    def batchnorm():
        return keras.layers.BatchNormalization(
            momentum=batchnorm_momentum, epsilon=batchnorm_epsilon
        )

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(64, 9, padding="same", activation="relu")(inputs)
    trunk_skip = x
    for _ in range(num_blocks):
        skip = x
        x = keras.layers.Conv2D(64, 3, padding="same")(x)
        x = keras.layers.Activation("relu")(x)
        x = batchnorm()(x)
        x = keras.layers.Conv2D(64, 3, padding="same")(x)
        x = batchnorm()(x)
        x = keras.layers.Add()([x, skip])
    x = keras.layers.Conv2D(64, 3, padding="same")(x)
    x = batchnorm()(x)
    x = keras.layers.Add()([x, trunk_skip])
    for _ in range(2):
        x = keras.layers.UpSampling2D(2)(x)
        x = keras.layers.Conv2D(256, 3, padding="same")(x)
        x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv2D(3, 9, padding="same")(x)
    outputs = keras.layers.Activation("tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def wrap_signed_range(model: keras.Model, *, name: str | None = None) -> keras.Model:
    """Wraps a model working in [-1, 1] so that it takes and returns pixels in [0, 255].

    Args:
        model: a generator whose inputs and outputs are RGB in [-1, 1].
        name: name of the wrapper (defaults to the wrapped model's name).

    Example:
    >>> import numpy as np
    >>> wrapped = wrap_signed_range(build_seed_generator(1))
    >>> wrapped(np.full((1, 8, 8, 3), 255.0, "float32")).shape
    TensorShape([1, 32, 32, 3])
    """
    inputs = keras.Input((None, None, 3), name="lr_image")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_signed_range")(inputs)
    x = model(x)
    outputs = keras.layers.Rescaling(127.5, offset=127.5, name="to_pixels", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name or model.name)
