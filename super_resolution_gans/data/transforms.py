"""The named steps of the data pipeline, each a graph function mapped over a ``tf.data``
dataset: decode a file (with `io.decode.read_image`, the decoder inference uses), take random
or centred crops, flip / rotate, make the LR patch.

Images travel as tuples: ``(hr,)``, or ``(hr, lr)`` once an LR image exists (read from a paired
folder or made by a degradation), uint8 until `to_pairs` turns them into the float32
``(lr, hr)`` pairs of the library's pixel contract.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from ..io.decode import read_image
from ..io.pixels import bicubic_upscale, quantise, to_rgb8

# `bicubic_upscale`, the library's one bicubic baseline, lives in `io.pixels` so that the demo
# (which does not depend on `data`) uses it too; it is re-exported here.

__all__ = [
    "augment",
    "bicubic_downscale",
    "bicubic_upscale",
    "center_crop",
    "decode",
    "random_crops",
    "read_rgb8",
    "to_pairs",
]


def read_rgb8(path: bytes | str | os.PathLike) -> np.ndarray:
    """One image file as `io.decode.read_image` reads it for inference (EXIF orientation
    applied, first frame, 16-bit samples kept), then as uint8 RGB (`io.pixels.to_rgb8`: gray
    replicated, alpha dropped, 16 bits rounded to 8). No pixel limit: the folder is the user's
    own, and its sizes were read when the dataset was built.
    """
    return to_rgb8(read_image(os.fsdecode(path), max_pixels=None))


def decode(path: tf.Tensor) -> tf.Tensor:
    """Reads one image file as a uint8 (H, W, 3) tensor, by `read_rgb8`; a file that cannot be
    decoded raises an error that ``Dataset.ignore_errors`` skips."""
    image = tf.numpy_function(read_rgb8, [path], tf.uint8, stateful=False)
    image.set_shape([None, None, 3])
    return image


def _gather_crops(image: tf.Tensor, ys: tf.Tensor, xs: tf.Tensor, size: int) -> tf.Tensor:
    """Crops ``size`` x ``size`` patches at (ys[i], xs[i]) from one image: (K, size, size, C)."""
    offsets = tf.range(size, dtype=tf.int32)
    rows = ys[:, None, None] + offsets[None, :, None]
    cols = xs[:, None, None] + offsets[None, None, :]
    shape = tf.stack([tf.shape(ys)[0], size, size])
    indices = tf.stack([tf.broadcast_to(rows, shape), tf.broadcast_to(cols, shape)], axis=-1)
    patches = tf.gather_nd(image, indices)
    patches.set_shape([None, size, size, 3])
    return patches


def _random_offsets(seed: tf.Tensor, count: int, limits: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """``count`` uniform offsets in [0, limits[i]] for each of the (y, x) limits."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    return tuple(
        tf.random.stateless_uniform([count], seeds[i], 0, limits[i] + 1, dtype=tf.int32)
        for i in range(2)
    )


def random_crops(
    images: tuple[tf.Tensor, ...], seed: tf.Tensor, *, count: int, crop_size: int, scale: int
) -> tuple[tf.Tensor, ...]:
    """``count`` random aligned crops of ``(hr,)`` or ``(hr, lr)``: HR crops of ``crop_size``,
    LR crops of ``crop_size // scale`` at the same place on the LR grid."""
    if len(images) == 1:
        (hr,) = images
        ys, xs = _random_offsets(seed, count, tf.shape(hr)[:2] - crop_size)
        patches = (_gather_crops(hr, ys, xs, crop_size),)
    else:
        hr, lr = images
        lr_crop = crop_size // scale
        ys, xs = _random_offsets(seed, count, tf.shape(lr)[:2] - lr_crop)
        patches = (_gather_crops(hr, ys * scale, xs * scale, crop_size),
                   _gather_crops(lr, ys, xs, lr_crop))
    for patch in patches:
        patch.set_shape([count, *patch.shape[1:]])
    return patches


def center_crop(
    *images: tf.Tensor, crop_size: int | None, scale: int
) -> tuple[tf.Tensor, ...]:
    """The centred crop of ``(hr,)`` or ``(hr, lr)``, centred on the LR grid; with
    ``crop_size=None`` the whole image, the HR cropped at the bottom and right to a multiple of
    ``scale`` (the benchmarks' "modcrop")."""
    hr = images[0]
    paired = len(images) == 2
    lr_size = tf.shape(images[1])[:2] if paired else tf.shape(hr)[:2] // scale
    if crop_size is None:
        hr = hr[: lr_size[0] * scale, : lr_size[1] * scale]
        return (hr, images[1]) if paired else (hr,)
    lr_crop = crop_size // scale
    top, left = tf.unstack((lr_size - lr_crop) // 2)
    hr = hr[top * scale : top * scale + crop_size, left * scale : left * scale + crop_size]
    hr.set_shape([crop_size, crop_size, 3])
    if not paired:
        return (hr,)
    lr = images[1][top : top + lr_crop, left : left + lr_crop]
    lr.set_shape([lr_crop, lr_crop, 3])
    return hr, lr


def augment(patches: tuple[tf.Tensor, ...], seed: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """One of the 8 flips / 90-degree rotations, the same for every patch of the tuple."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    flip = tf.random.stateless_uniform([], seeds[0], 0, 2, dtype=tf.int32) > 0
    quarter_turns = tf.random.stateless_uniform([], seeds[1], 0, 4, dtype=tf.int32)
    result = []
    for patch in patches:
        flipped = tf.where(flip, tf.reverse(patch, axis=[1]), patch)
        rotated = tf.image.rot90(flipped, quarter_turns)
        rotated.set_shape(patch.shape)
        result.append(rotated)
    return tuple(result)


def to_pairs(*patches: tf.Tensor, scale: int) -> tuple[tf.Tensor, tf.Tensor]:
    """``(hr,)`` or ``(hr, lr)`` uint8 batches -> float32 ``(lr, hr)``; without an LR image,
    the LR is the bicubic downscale of the HR."""
    hr = tf.cast(patches[0], tf.float32)
    lr = tf.cast(patches[1], tf.float32) if len(patches) == 2 else bicubic_downscale(hr, scale)
    return lr, hr


def bicubic_downscale(hr: tf.Tensor, scale: int) -> tf.Tensor:
    """Antialiased bicubic downscaling of float [0, 255] images, quantised to 8-bit values.

    How every LR image of the library is made (training pairs and evaluation).

    Example:
    >>> bicubic_downscale(tf.fill((1, 8, 12, 3), 200.0), 4).shape
    TensorShape([1, 2, 3, 3])
    """
    size = tf.shape(hr)[-3:-1] // scale
    return quantise(tf.image.resize(hr, size, method="bicubic", antialias=True))
