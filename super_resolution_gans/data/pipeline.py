"""A ``tf.data`` pipeline of (LR, HR) pairs from a folder of photos: ``make_dataset``.

``make_dataset`` yields ``(lr, hr)`` batches of float32 RGB in [0, 255] (the library's pixel
contract): ``hr`` of shape ``(B, crop, crop, 3)`` and ``lr`` of shape
``(B, crop // scale, crop // scale, 3)``.

How LR images are made. Without ``lr_dir`` the LR image is the HR patch downscaled with
antialiased bicubic interpolation (``tf.image.resize(..., method="bicubic", antialias=True)``),
clipped to [0, 255] and rounded, i.e. exactly what an 8-bit LR file would hold. The HR patch is
cropped (and augmented) first and then downscaled, so the pair is aligned by construction. Note
that benchmark LR images made with MATLAB's ``imresize`` differ slightly from TensorFlow's
bicubic; pass ``lr_dir`` to train or evaluate on a given set of LR files. With ``lr_dir`` the
folders are paired by relative file name, every LR image must be ``HR size // scale`` and crops
are aligned on the LR grid: LR crop at ``(y, x)``, HR crop at ``(y * scale, x * scale)``.

Files. Extensions ``.png .jpg .jpeg .bmp .gif .webp .tif .tiff`` (any case); hidden files
(names starting with ``.``) are ignored. The folder is listed non-recursively unless
``recursive=True`` (for example ImageNet's one-folder-per-class layout), in sorted order. Every
file's header is read when the dataset is built (`io.decode.read_size`): files that cannot be
identified are skipped with one warning naming them all, and the sizes are checked up front, so
a bad folder fails at once rather than mid-epoch. Every file is decoded by `io.decode.read_image`,
the decoder inference uses, so training sees the pixels prediction sees: EXIF orientation
applied (the same way for HR and LR), GIF's first frame, then grayscale made RGB, alpha dropped
and 16-bit samples rounded to 8 bits (`io.pixels.to_rgb8`). A file that passes the header check
but fails to decode (e.g. truncated) is skipped by ``Dataset.ignore_errors`` with a TensorFlow
warning.

Speed and memory. Decoding a 20-megapixel JPEG takes a large fraction of a second, so in training
each decoded image gives ``patches_per_image`` random crops, which are then mixed across images
by a ``shuffle_buffer`` of patches (a buffer of N patches fills by decoding about
``N / patches_per_image`` images before the first batch). The full image is dropped right after
cropping: memory is about one decoded image per parallel call plus the patch buffer (uint8,
``crop * crop * 3`` bytes each). ``cache=True`` keeps every decoded image in memory
(``width * height * 3`` bytes each, logged when the dataset is built): use it only for small
data sets such as DIV2K crops or Set5/Set14 validation.

Degradations. With ``degradation=`` the LR patch is made from the HR patch by a random
real-world degradation (blur, resizing, noise, JPEG; see ``data.degradation``) instead of the
clean bicubic downscale.

Randomness. All random choices (file order, crop positions, patch order, flips, rotations,
degradations) come from stateless ops and seeded ``tf.data`` ops derived from ``seed``: the
same seed gives the same batches, ``seed=None`` gives fresh randomness. Global random state is
never touched.
"""

from __future__ import annotations

import functools
import logging
import os

import numpy as np
import tensorflow as tf

from ..validation import ArgumentError, check_int
from .degradation import Degradation, get_degradation
from .degradation_ops import degrade
from .files import ImageInfo, collect_images, describe
from .transforms import augment, center_crop, decode, random_crops, to_pairs

__all__ = ["make_dataset"]

logger = logging.getLogger(__name__)


def make_dataset(
    hr_dir: str | os.PathLike,
    *,
    scale: int = 4,
    crop_size: int | None = 96,
    batch_size: int = 16,
    lr_dir: str | os.PathLike | None = None,
    training: bool = True,
    seed: int | None = None,
    shuffle_buffer: int = 256,
    repeat: int | None = None,
    cache: bool = False,
    num_parallel_calls: int = tf.data.AUTOTUNE,
    patches_per_image: int = 16,
    recursive: bool = False,
    degradation: Degradation | str | None = None,
) -> tf.data.Dataset:
    """Builds a dataset of ``(lr, hr)`` float32 batches in [0, 255] from a folder of images.

    Training (``training=True``): each pass shuffles the files, decodes each one once, takes
    ``patches_per_image`` random ``crop_size`` crops from it, mixes patches from different
    images in a ``shuffle_buffer``, applies a random flip / 90-degree rotation (the same to LR
    and HR), makes the LR patch (bicubic, or the aligned crop of the ``lr_dir`` file) and
    batches with ``drop_remainder=True``. It repeats forever by default: pass
    ``steps_per_epoch`` to ``fit``.

    Validation (``training=False``): deterministic, in sorted file order, once by default, no
    shuffling or augmentation, one sample per image: the center ``crop_size`` crop (centered on
    the LR grid), or with ``crop_size=None`` the whole image with the HR cropped at the bottom
    and right to a multiple of ``scale`` (the usual benchmark "modcrop"). Whole images of
    different sizes need ``batch_size=1``. The last batch may be smaller.

    See the module docstring for formats, LR generation, memory use and randomness.

    Args:
        hr_dir: Folder of high-resolution images.
        scale: Downscaling factor from HR to LR.
        crop_size: HR patch size in pixels, a multiple of ``scale``. ``None`` (validation only)
            uses whole images.
        batch_size: Samples per batch.
        lr_dir: Optional folder of LR images with the same relative file names as ``hr_dir``,
            each ``HR size // scale``. ``None`` makes LR from HR by bicubic downscaling.
        training: Random crops, augmentation, shuffling and infinite repetition when ``True``;
            a deterministic single pass of center crops or whole images when ``False``.
        seed: Seed for every random choice; ``None`` for nondeterministic data.
        shuffle_buffer: Patches in the shuffle buffer that mixes crops of different images
            (training only).
        repeat: Passes over the files: ``None`` for infinite when training and 1 otherwise,
            ``-1`` for infinite, or a positive count.
        cache: Keep decoded images (uint8) in memory after the first pass; for small data sets.
        num_parallel_calls: Parallelism of the decoding and patch maps.
        patches_per_image: Random crops taken from each decoded image (training only).
        recursive: Also list images in sub-folders.
        degradation: ``None`` for the clean bicubic LR; a `Degradation` or a preset name
            (``"photo"``, ``"realesrgan"``, ``"web"``; see `data.degradation`) for a random
            real-world degradation (blur, resizing, noise, JPEG) of each LR patch, drawn from
            ``seed``.
            In validation (``training=False``) each image gets a fixed degradation, the same
            on every pass. Not with ``lr_dir``.

    Returns:
        A ``tf.data.Dataset`` of ``(lr, hr)`` float32 tuples in [0, 255], shapes
        ``(B, crop_size // scale, crop_size // scale, 3)`` and ``(B, crop_size, crop_size, 3)``
        (height and width ``None`` when ``crop_size`` is ``None``).

    Raises:
        FileNotFoundError: if ``hr_dir`` or ``lr_dir`` does not exist.
        NotADirectoryError: if ``hr_dir`` or ``lr_dir`` is not a folder.
        ValueError: an `ArgumentError` naming the argument, for invalid arguments, a folder
            without (readable) images, LR / HR names or sizes that do not match, an image
            smaller than the crop, or whole images of different sizes with ``batch_size > 1``.

    Example:

    ```python
    train = make_dataset("DIV2K_train_HR", crop_size=96, batch_size=16, seed=0)
    val = make_dataset("Set5/HR", crop_size=None, batch_size=1, training=False)
    model.fit(train, steps_per_epoch=1000, validation_data=val, epochs=10)
    for lr, hr in train.take(1):
        print(lr.shape, hr.shape)  # (16, 24, 24, 3) (16, 96, 96, 3)
    ```
    """
    _check_arguments(scale, crop_size, batch_size, shuffle_buffer, patches_per_image, seed,
                     repeat, num_parallel_calls, training)
    degradation = get_degradation(degradation)
    if degradation is not None:
        if lr_dir is not None:
            raise ArgumentError(
                "degradation",
                "`degradation` makes the LR images; it cannot be used with `lr_dir`.",
            )
        if crop_size is not None and crop_size < degradation.blur_kernel_size:
            raise ArgumentError(
                "crop_size",
                f"`crop_size` must be at least the degradation's blur_kernel_size="
                f"{degradation.blur_kernel_size}; received {crop_size}."
            )
    hr_infos, lr_infos = collect_images(hr_dir, lr_dir, scale, recursive)
    _check_sizes(hr_infos, lr_infos, scale, crop_size, batch_size)
    if cache:
        _log_cache_size(hr_infos, lr_infos, scale, crop_size, training)

    if repeat is None:
        repeat = -1 if training else 1
    streams = _Streams(seed, training, num_parallel_calls)
    files, decoder = _file_dataset(hr_infos, lr_infos)
    lr_maker = None
    if degradation is not None:
        lr_maker = functools.partial(_with_degraded_lr, scale=scale, degradation=degradation)
    if training:
        ds = _training_samples(files, decoder, streams, len(hr_infos), cache, repeat,
                               patches_per_image, crop_size, scale, shuffle_buffer, lr_maker)
        ds = ds.batch(batch_size, drop_remainder=True)
    else:
        ds = _validation_samples(files, decoder, streams, len(hr_infos), cache, repeat,
                                 crop_size, scale, seed, lr_maker)
        ds = ds.batch(batch_size)
    ds = streams.map(ds, functools.partial(to_pairs, scale=scale))
    return ds.prefetch(tf.data.AUTOTUNE)


class _Streams:
    """Maps with the pipeline's parallelism, and the independent random streams (file order,
    crops, patch order, augmentation, degradation) derived from one user seed."""

    def __init__(self, seed: int | None, training: bool, num_parallel_calls: int):
        if seed is None:
            self.file, self.crop, self.patch, self.augment, self.degrade = (None,) * 5
        else:  # the first four words do not depend on how many are generated
            self.file, self.crop, self.patch, self.augment, self.degrade = (
                int(s) for s in np.random.SeedSequence(seed).generate_state(5)
            )
        self._parallel = num_parallel_calls
        self._deterministic = seed is not None or not training

    def map(self, ds: tf.data.Dataset, fn) -> tf.data.Dataset:
        return ds.map(fn, num_parallel_calls=self._parallel, deterministic=self._deterministic)

    @staticmethod
    def seeds(op_seed: int | None) -> tf.data.Dataset:
        """An endless dataset of (2,) int64 seeds for stateless ops."""
        return tf.data.Dataset.random(seed=op_seed, rerandomize_each_iteration=True).batch(2)


def _file_dataset(
    hr_infos: list[ImageInfo], lr_infos: list[ImageInfo] | None
) -> tuple[tf.data.Dataset, callable]:
    """The files as a dataset of ``(hr_path,)`` or ``(hr_path, lr_path)``, and the function
    decoding one element to ``(hr,)`` / ``(hr, lr)``."""
    paths = [[os.fsencode(info.path) for info in infos] for infos in (hr_infos, lr_infos)
             if infos is not None]
    return tf.data.Dataset.from_tensor_slices(tuple(paths)), _decode_each


def _decode_each(*paths):
    return tuple(decode(path) for path in paths)


def _with_degraded_lr(patches, seed, *, scale: int, degradation: Degradation):
    """``(hr,)`` -> ``(hr, lr)`` with the randomly degraded LR patch, both uint8."""
    (hr,) = patches
    lr = degrade(tf.cast(hr, tf.float32), scale, degradation, seed)
    return hr, tf.cast(lr, tf.uint8)


def _training_samples(files, decoder, streams, count, cache, repeat, patches_per_image,
                      crop_size, scale, shuffle_buffer, lr_maker):
    """Shuffled files, decoded once for ``patches_per_image`` random crops, patches mixed in
    a shuffle buffer, augmented, then (optionally) degraded."""
    crops = functools.partial(random_crops, count=patches_per_image, crop_size=crop_size,
                              scale=scale)
    if cache:
        ds = streams.map(files, decoder).ignore_errors(log_warning=True).cache()
        ds = ds.shuffle(count, seed=streams.file, reshuffle_each_iteration=True).repeat(repeat)
        ds = streams.map(tf.data.Dataset.zip(ds, streams.seeds(streams.crop)), crops)
    else:
        ds = files.shuffle(count, seed=streams.file, reshuffle_each_iteration=True)
        ds = ds.repeat(repeat)
        ds = streams.map(
            tf.data.Dataset.zip(ds, streams.seeds(streams.crop)),
            lambda file, seed: crops(decoder(*file), seed),
        ).ignore_errors(log_warning=True)
    ds = ds.unbatch()
    ds = ds.shuffle(shuffle_buffer, seed=streams.patch, reshuffle_each_iteration=True)
    ds = streams.map(tf.data.Dataset.zip(ds, streams.seeds(streams.augment)), augment)
    if lr_maker is not None:
        ds = streams.map(tf.data.Dataset.zip(ds, streams.seeds(streams.degrade)), lr_maker)
    return ds


def _validation_samples(files, decoder, streams, count, cache, repeat, crop_size, scale, seed,
                        lr_maker):
    """Files in order, each its centre crop (or whole), with one fixed degradation each."""
    crop = functools.partial(center_crop, crop_size=crop_size, scale=scale)
    ds = streams.map(files, lambda *file: crop(*decoder(*file)))
    if lr_maker is not None:  # one fixed degradation per image, by its position
        image_seeds = tf.data.Dataset.range(count).map(
            lambda index: tf.stack([tf.constant(seed or 0, tf.int64), index])
        )
        ds = streams.map(tf.data.Dataset.zip(ds, image_seeds), lr_maker)
    ds = ds.ignore_errors(log_warning=True)
    if cache:
        ds = ds.cache()
    return ds.repeat(repeat)


def _check_arguments(scale, crop_size, batch_size, shuffle_buffer, patches_per_image, seed,
                     repeat, num_parallel_calls, training) -> None:
    check_int("scale", scale, minimum=1)
    check_int("crop_size", crop_size, minimum=1, allow_none=not training)
    if crop_size is not None and crop_size % scale:
        raise ArgumentError(
            "crop_size", f"`crop_size` must be a multiple of `scale`={scale}; received {crop_size}."
        )
    check_int("batch_size", batch_size, minimum=1)
    check_int("shuffle_buffer", shuffle_buffer, minimum=1)
    check_int("patches_per_image", patches_per_image, minimum=1)
    check_int("seed", seed, minimum=0, allow_none=True)
    if repeat is not None and (
        isinstance(repeat, bool) or not isinstance(repeat, int) or (repeat < 1 and repeat != -1)
    ):
        raise ArgumentError(
            "repeat", f"`repeat` must be None, -1 or an integer >= 1; received {repeat!r}."
        )
    if num_parallel_calls != tf.data.AUTOTUNE:
        check_int("num_parallel_calls", num_parallel_calls, minimum=1)


def _check_sizes(hr_infos, lr_infos, scale, crop_size, batch_size) -> None:
    """Every image at least the crop; whole images of one size when batched."""
    if crop_size is None:
        sizes = {(hr.width // scale, hr.height // scale) for hr in hr_infos}
        if batch_size > 1 and len(sizes) > 1:
            raise ArgumentError(
                "batch_size",
                "Whole images (crop_size=None) of different sizes cannot be batched; use "
                f"batch_size=1 (received batch_size={batch_size})."
            )
        return
    lr_crop = crop_size // scale
    if lr_infos is not None:
        small = [f"{lr.name} (LR {lr.width}x{lr.height})" for lr in lr_infos
                 if min(lr.width, lr.height) < lr_crop]
        requirement = f"LR images must be at least {lr_crop}x{lr_crop}"
    else:
        small = [f"{hr.name} ({hr.width}x{hr.height})" for hr in hr_infos
                 if min(hr.width, hr.height) < crop_size]
        requirement = f"images must be at least {crop_size}x{crop_size}"
    if small:
        raise ArgumentError(
            "crop_size",
            f"{len(small)} image(s) are smaller than crop_size={crop_size} "
            f"({requirement}): {describe(small)}."
        )


def _log_cache_size(hr_infos, lr_infos, scale, crop_size, training) -> None:
    if training or crop_size is None:  # whole decoded images
        pixels = sum(info.width * info.height for info in hr_infos + (lr_infos or []))
    else:  # the center crops
        paired = lr_infos is not None
        pixels = len(hr_infos) * crop_size**2 * (1 + (1 / scale**2 if paired else 0))
    logger.info("cache=True keeps about %.0f MB of images in memory.", pixels * 3 / 2**20)
