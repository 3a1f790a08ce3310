"""The SRGAN discriminator (Ledig et al., Fig. 4)."""

from __future__ import annotations

import keras

from ..validation import check_int

__all__ = ["build_discriminator"]


def build_discriminator(hr_size: int = 96, filters: int = 64, *, name: str = "srgan_discriminator"):
    """Builds the SRGAN discriminator (Ledig et al., Fig. 4).

    Eight 3x3 convolutions (n64s1, n64s2, n128s1, n128s2, n256s1, n256s2, n512s1, n512s2 for
    `filters=64`), BatchNorm after all but the first, LeakyReLU(0.2), Dense 1024, LeakyReLU,
    Dense 1. The final sigmoid of the paper is folded into the loss
    (`BinaryCrossentropy(from_logits=True)`), so the model returns logits, in float32.

    Args:
        hr_size: height and width of the HR crops it judges (the paper uses 96).
        filters: filters of the first convolution; doubled every two convolutions.
        name: name of the Keras model.

    Returns:
        A `keras.Model` mapping `(batch, hr_size, hr_size, 3)` in [0, 255] to `(batch, 1)` logits.

    Example:
    >>> import numpy as np
    >>> discriminator = build_discriminator(hr_size=16, filters=8)
    >>> discriminator(np.zeros((2, 16, 16, 3), "float32")).shape
    TensorShape([2, 1])
    """
    check_int("hr_size", hr_size, minimum=1)
    check_int("filters", filters, minimum=1)
    if hr_size % 16:
        raise ValueError(f"hr_size must be a multiple of 16 (four stride-2 convs), got {hr_size}")

    inputs = keras.Input((hr_size, hr_size, 3), name="hr_image")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_signed_range")(inputs)
    x = keras.layers.Conv2D(filters, 3, padding="same", name="conv1")(x)
    x = keras.layers.LeakyReLU(0.2, name="conv1_lrelu")(x)
    plan = [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]
    for index, (multiplier, stride) in enumerate(plan, start=2):
        x = keras.layers.Conv2D(
            filters * multiplier, 3, strides=stride, padding="same", name=f"conv{index}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"conv{index}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv{index}_lrelu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(1024, name="dense")(x)
    x = keras.layers.LeakyReLU(0.2, name="dense_lrelu")(x)
    outputs = keras.layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)
