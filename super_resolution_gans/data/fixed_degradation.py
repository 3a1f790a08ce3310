"""Fixed degradations of evaluation inputs: ``evaluate --degrade noise:5,jpeg:75``.

Unlike the random training degradations, each step has one value, and the noise is seeded per
image, so every run and every model sees the same damaged LR images.
"""

from __future__ import annotations

import tensorflow as tf

from ..io.pixels import quantise
from ..validation import ArgumentError
from .degradation_ops import jpeg_compress

__all__ = ["apply_fixed_degradation", "parse_fixed_degradation"]

FixedStep = tuple[str, float]
"""One parsed step: ``("noise", sigma)`` or ``("jpeg", quality)``."""



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
            raise ArgumentError(
                "spec",
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
            image = quantise(image + noise)
        else:
            image = jpeg_compress(image, int(value))
    return image
