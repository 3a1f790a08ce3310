"""A ``tf.data`` pipeline of (LR, HR) pairs from a folder of photos.

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
file's header is read with Pillow when the dataset is built: files that cannot be identified are
skipped with one warning naming them all, and the sizes are checked up front, so a bad folder
fails at once rather than mid-epoch. JPEG and PNG are decoded by TensorFlow (JPEG with the
accurate integer DCT, identical to Pillow); other formats (BMP, GIF's first frame, WebP, TIFF,
CMYK JPEG) by Pillow. Grayscale becomes RGB, alpha is dropped, 16-bit images are scaled to 8
bits. EXIF orientation is ignored: pixels are used as stored, the same way for HR and LR. A file
that passes the header check but fails to decode (e.g. truncated) is skipped by
``Dataset.ignore_errors`` with a TensorFlow warning.

Speed and memory. Decoding a 20-megapixel JPEG takes a large fraction of a second, so in training
each decoded image gives ``patches_per_image`` random crops, which are then mixed across images
by a ``shuffle_buffer`` of patches (a buffer of N patches fills by decoding about
``N / patches_per_image`` images before the first batch). The full image is dropped right after
cropping: memory is about one decoded image per parallel call plus the patch buffer (uint8,
``crop * crop * 3`` bytes each). ``cache=True`` keeps every decoded image in memory
(``width * height * 3`` bytes each, logged when the dataset is built): use it only for small
data sets such as DIV2K crops or Set5/Set14 validation.

Randomness. All random choices (file order, crop positions, patch order, flips, rotations) come
from stateless ops and seeded ``tf.data`` ops derived from ``seed``: the same seed gives the
same batches, ``seed=None`` gives fresh randomness. Global random state is never touched.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from .training.degradation import Degradation, degrade, get_degradation

__all__ = ["IMAGE_EXTENSIONS", "bicubic_downscale", "make_dataset"]

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

# Formats and modes that tf.io decodes exactly; everything else goes through Pillow.
_TF_FORMATS = {"JPEG": ("L", "RGB"), "MPO": ("L", "RGB"), "PNG": None}


@dataclasses.dataclass(frozen=True)
class _ImageInfo:
    path: str  # absolute path
    name: str  # path relative to its folder, POSIX separators: used for pairing and messages
    width: int
    height: int
    native: bool  # decoded by tf.io (JPEG / PNG) rather than Pillow


# --------------------------------------------------------------------------------------------
# Listing and header checks (Python, run once when the dataset is built)
# --------------------------------------------------------------------------------------------


def _list_files(folder: Path, recursive: bool) -> list[tuple[str, Path]]:
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    files = []
    for path in candidates:
        name = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in Path(name).parts):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
            files.append((name, path))
    return sorted(files)


def _read_header(name: str, path: Path) -> _ImageInfo | str:
    """Returns the image's size and decoder, or the reason it cannot be read."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            allowed_modes = _TF_FORMATS.get(image.format, ())
            native = image.format in _TF_FORMATS and (
                allowed_modes is None or image.mode in allowed_modes
            )
    except Image.UnidentifiedImageError:
        return "not a recognised image"
    except Exception as err:  # Pillow raises many types for bad files; each one means "skip".
        return f"{type(err).__name__}: {err}"
    if width < 1 or height < 1:
        return f"empty image ({width}x{height})"
    return _ImageInfo(str(path.resolve()), name, width, height, native)


def _scan_folder(
    folder: str | os.PathLike, arg_name: str, recursive: bool
) -> tuple[Path, list[str], dict[str, _ImageInfo | str]]:
    """Lists a folder: (folder, sorted names, name -> info or failure reason)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise FileNotFoundError(f"`{arg_name}` does not exist: '{folder}'.")
    if not folder.is_dir():
        raise NotADirectoryError(f"`{arg_name}` is not a directory: '{folder}'.")
    files = _list_files(folder, recursive)
    if not files:
        raise ValueError(
            f"`{arg_name}` contains no images ({', '.join(IMAGE_EXTENSIONS)}"
            f"{', searched recursively' if recursive else ''}): '{folder}'."
        )
    with ThreadPoolExecutor(max_workers=min(16, len(files))) as pool:
        headers = list(pool.map(lambda item: _read_header(*item), files))
    return folder, [name for name, _ in files], dict(zip((n for n, _ in files), headers))


def _describe(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def _collect_images(
    hr_dir: str | os.PathLike,
    lr_dir: str | os.PathLike | None,
    scale: int,
    recursive: bool,
) -> tuple[list[_ImageInfo], list[_ImageInfo] | None]:
    """Lists, pairs and header-checks the images; warns once about unreadable files."""
    hr_folder, hr_names, hr_headers = _scan_folder(hr_dir, "hr_dir", recursive)
    lr_headers: dict[str, _ImageInfo | str] = {}
    if lr_dir is not None:
        lr_folder, lr_names, lr_headers = _scan_folder(lr_dir, "lr_dir", recursive)
        missing_lr = sorted(set(hr_names) - set(lr_names))
        missing_hr = sorted(set(lr_names) - set(hr_names))
        if missing_lr or missing_hr:
            parts = []
            if missing_lr:
                parts.append(f"no LR file in '{lr_folder}' for: {_describe(missing_lr)}")
            if missing_hr:
                parts.append(f"no HR file in '{hr_folder}' for: {_describe(missing_hr)}")
            raise ValueError(
                "`hr_dir` and `lr_dir` must contain the same file names; " + "; ".join(parts)
            )

    hr_infos, lr_infos, unreadable = [], [], []
    for name in hr_names:
        hr_info = hr_headers[name]
        lr_info = lr_headers.get(name) if lr_dir is not None else None
        bad = False
        if isinstance(hr_info, str):
            unreadable.append(f"'{hr_folder / name}' ({hr_info})")
            bad = True
        if isinstance(lr_info, str):
            unreadable.append(f"'{Path(lr_dir) / name}' ({lr_info})")
            bad = True
        if not bad:
            hr_infos.append(hr_info)
            lr_infos.append(lr_info)
    if unreadable:
        logger.warning(
            "Skipping %d unreadable image file(s)%s: %s",
            len(unreadable),
            " (and their pairs)" if lr_dir is not None else "",
            "; ".join(unreadable),
        )
    if not hr_infos:
        raise ValueError(f"`hr_dir` contains no readable images: '{hr_folder}'.")

    if lr_dir is None:
        return hr_infos, None
    wrong = [
        f"{hr.name} (HR {hr.width}x{hr.height}, LR {lr.width}x{lr.height}, expected LR "
        f"{hr.width // scale}x{hr.height // scale})"
        for hr, lr in zip(hr_infos, lr_infos)
        if (lr.width, lr.height) != (hr.width // scale, hr.height // scale)
    ]
    if wrong:
        raise ValueError(
            f"LR images must be the HR size divided by scale={scale} (rounded down); "
            f"{len(wrong)} pair(s) do not match: {_describe(wrong)}."
        )
    return hr_infos, lr_infos


# --------------------------------------------------------------------------------------------
# Graph functions (run inside tf.data)
# --------------------------------------------------------------------------------------------


def _pil_decode(path: bytes) -> np.ndarray:
    """Decodes any Pillow-readable image to uint8 RGB (first frame, alpha dropped)."""
    with Image.open(os.fsdecode(path)) as image:
        image.load()
        if image.mode.startswith("I;16"):  # 16-bit grayscale: scale to 8 bits.
            gray = (np.asarray(image).astype(np.uint32) + 128) // 257
            return np.repeat(gray.astype(np.uint8)[..., None], 3, axis=-1)
        if image.mode in ("I", "F"):  # 32-bit int / float grayscale: assumed in [0, 255].
            gray = np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0, 255)
            return np.repeat(gray.astype(np.uint8)[..., None], 3, axis=-1)
        return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _decode(path: tf.Tensor, native: tf.Tensor) -> tf.Tensor:
    """Reads one image file as a uint8 (H, W, 3) tensor."""

    def tf_decode() -> tf.Tensor:
        data = tf.io.read_file(path)
        return tf.cond(
            tf.io.is_jpeg(data),
            lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
            lambda: tf.io.decode_png(data, channels=3, dtype=tf.uint8),
        )

    def pil_decode() -> tf.Tensor:
        return tf.numpy_function(_pil_decode, [path], tf.uint8, stateful=False)

    image = tf.cond(native, tf_decode, pil_decode)
    image.set_shape([None, None, 3])
    return image


def _gather_crops(image: tf.Tensor, ys: tf.Tensor, xs: tf.Tensor, size: int) -> tf.Tensor:
    """Crops ``size`` x ``size`` patches at (ys[i], xs[i]) from one image: (K, size, size, C)."""
    offsets = tf.range(size, dtype=tf.int32)
    rows = ys[:, None, None] + offsets[None, :, None]
    cols = xs[:, None, None] + offsets[None, None, :]
    shape = tf.stack([tf.shape(ys)[0], size, size])
    indices = tf.stack([tf.broadcast_to(rows, shape), tf.broadcast_to(cols, shape)], axis=-1)
    return tf.gather_nd(image, indices)


def _random_offsets(seed: tf.Tensor, count: int, limits: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """``count`` uniform offsets in [0, limits[i]] for each of the (y, x) limits."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    return tuple(
        tf.random.stateless_uniform([count], seeds[i], 0, limits[i] + 1, dtype=tf.int32)
        for i in range(2)
    )


def _augment(patches: tuple[tf.Tensor, ...], seed: tf.Tensor) -> tuple[tf.Tensor, ...]:
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


def bicubic_downscale(hr: tf.Tensor, scale: int) -> tf.Tensor:
    """Antialiased bicubic downscaling of float [0, 255] images, quantised to 8-bit values.

    How every LR image of the library is made (training pairs and evaluation).

    Example:
    >>> bicubic_downscale(tf.fill((1, 8, 12, 3), 200.0), 4).shape
    TensorShape([1, 2, 3, 3])
    """
    size = tf.shape(hr)[-3:-1] // scale
    lr = tf.image.resize(hr, size, method="bicubic", antialias=True)
    return tf.round(tf.clip_by_value(lr, 0.0, 255.0))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _check_int(name: str, value: object, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")


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
            (``"photo"``, ``"realesrgan"``; see `training.degradation`) for a random real-world
            degradation (blur, resizing, noise, JPEG) of each LR patch, drawn from ``seed``.
            In validation (``training=False``) each image gets a fixed degradation, the same
            on every pass. Not with ``lr_dir``.

    Returns:
        A ``tf.data.Dataset`` of ``(lr, hr)`` float32 tuples in [0, 255], shapes
        ``(B, crop_size // scale, crop_size // scale, 3)`` and ``(B, crop_size, crop_size, 3)``
        (height and width ``None`` when ``crop_size`` is ``None``).

    Raises:
        FileNotFoundError: if ``hr_dir`` or ``lr_dir`` does not exist.
        NotADirectoryError: if ``hr_dir`` or ``lr_dir`` is not a folder.
        ValueError: for invalid arguments, a folder without (readable) images, LR / HR names or
            sizes that do not match, an image smaller than the crop, or whole images of
            different sizes with ``batch_size > 1``.

    Example:

    ```python
    train = make_dataset("DIV2K_train_HR", crop_size=96, batch_size=16, seed=0)
    val = make_dataset("Set5/HR", crop_size=None, batch_size=1, training=False)
    model.fit(train, steps_per_epoch=1000, validation_data=val, epochs=10)
    for lr, hr in train.take(1):
        print(lr.shape, hr.shape)  # (16, 24, 24, 3) (16, 96, 96, 3)
    ```
    """
    _check_int("scale", scale, 1)
    _check_int("crop_size", crop_size, 1, allow_none=not training)
    if crop_size is not None and crop_size % scale:
        raise ValueError(
            f"`crop_size` must be a multiple of `scale`={scale}; received {crop_size}."
        )
    _check_int("batch_size", batch_size, 1)
    _check_int("shuffle_buffer", shuffle_buffer, 1)
    _check_int("patches_per_image", patches_per_image, 1)
    _check_int("seed", seed, 0, allow_none=True)
    if repeat is not None and (
        isinstance(repeat, bool) or not isinstance(repeat, int) or (repeat < 1 and repeat != -1)
    ):
        raise ValueError(f"`repeat` must be None, -1 or an integer >= 1; received {repeat!r}.")
    if num_parallel_calls != tf.data.AUTOTUNE:
        _check_int("num_parallel_calls", num_parallel_calls, 1)

    degradation = get_degradation(degradation)
    if degradation is not None:
        if lr_dir is not None:
            raise ValueError("`degradation` makes the LR images; it cannot be used with `lr_dir`.")
        if crop_size is not None and crop_size < degradation.blur_kernel_size:
            raise ValueError(
                f"`crop_size` must be at least the degradation's blur_kernel_size="
                f"{degradation.blur_kernel_size}; received {crop_size}."
            )

    hr_infos, lr_infos = _collect_images(hr_dir, lr_dir, scale, recursive)
    paired = lr_infos is not None

    if crop_size is not None:
        lr_crop = crop_size // scale
        if paired:
            small = [
                f"{lr.name} (LR {lr.width}x{lr.height})"
                for lr in lr_infos
                if min(lr.width, lr.height) < lr_crop
            ]
            requirement = f"LR images must be at least {lr_crop}x{lr_crop}"
        else:
            small = [
                f"{hr.name} ({hr.width}x{hr.height})"
                for hr in hr_infos
                if min(hr.width, hr.height) < crop_size
            ]
            requirement = f"images must be at least {crop_size}x{crop_size}"
        if small:
            raise ValueError(
                f"{len(small)} image(s) are smaller than crop_size={crop_size} "
                f"({requirement}): {_describe(small)}."
            )
    elif batch_size > 1 and len({(hr.width // scale, hr.height // scale) for hr in hr_infos}) > 1:
        raise ValueError(
            "Whole images (crop_size=None) of different sizes cannot be batched; use "
            f"batch_size=1 (received batch_size={batch_size})."
        )

    if cache:
        if training or crop_size is None:  # whole decoded images
            pixels = sum(info.width * info.height for info in hr_infos + (lr_infos or []))
        else:  # the center crops
            pixels = len(hr_infos) * crop_size**2 * (1 + (1 / scale**2 if paired else 0))
        logger.info("cache=True keeps about %.0f MB of images in memory.", pixels * 3 / 2**20)

    if repeat is None:
        repeat = -1 if training else 1
    # Independent op seeds for the four random streams, derived from one user seed.
    if seed is None:
        file_seed = crop_seed = patch_seed = augment_seed = degrade_seed = None
    else:
        # The first four words do not depend on how many are generated.
        file_seed, crop_seed, patch_seed, augment_seed, degrade_seed = (
            int(s) for s in np.random.SeedSequence(seed).generate_state(5)
        )
    deterministic = seed is not None or not training

    def map_(ds: tf.data.Dataset, fn) -> tf.data.Dataset:
        return ds.map(fn, num_parallel_calls=num_parallel_calls, deterministic=deterministic)

    def seeds(op_seed: int | None) -> tf.data.Dataset:
        return tf.data.Dataset.random(seed=op_seed, rerandomize_each_iteration=True).batch(2)

    hr_paths = [os.fsencode(info.path) for info in hr_infos]
    native = [info.native for info in hr_infos]
    if paired:
        lr_paths = [os.fsencode(info.path) for info in lr_infos]
        lr_native = [info.native for info in lr_infos]
        files = tf.data.Dataset.from_tensor_slices((hr_paths, native, lr_paths, lr_native))

        def decode(hr_path, hr_native, lr_path, lr_native):
            return _decode(hr_path, hr_native), _decode(lr_path, lr_native)

    else:
        files = tf.data.Dataset.from_tensor_slices((hr_paths, native))

        def decode(hr_path, hr_native):
            return (_decode(hr_path, hr_native),)

    # images: tuple (hr,) or (hr, lr) of uint8 tensors; returns patches of the same structure.
    def random_crops(images, seed):
        count = patches_per_image
        if paired:
            hr, lr = images
            limits = tf.shape(lr)[:2] - lr_crop
            ys, xs = _random_offsets(seed, count, limits)
            hr_patches = _gather_crops(hr, ys * scale, xs * scale, crop_size)
            lr_patches = _gather_crops(lr, ys, xs, lr_crop)
            hr_patches.set_shape([count, crop_size, crop_size, 3])
            lr_patches.set_shape([count, lr_crop, lr_crop, 3])
            return hr_patches, lr_patches
        (hr,) = images
        ys, xs = _random_offsets(seed, count, tf.shape(hr)[:2] - crop_size)
        hr_patches = _gather_crops(hr, ys, xs, crop_size)
        hr_patches.set_shape([count, crop_size, crop_size, 3])
        return (hr_patches,)

    def fixed_crop(*images):
        hr = images[0]
        if paired:
            lr = images[1]
            lr_size = tf.shape(lr)[:2]
        else:
            lr_size = tf.shape(hr)[:2] // scale
        if crop_size is None:  # whole image, HR cropped to a multiple of the scale
            hr = hr[: lr_size[0] * scale, : lr_size[1] * scale]
            return (hr, lr) if paired else (hr,)
        top, left = tf.unstack((lr_size - lr_crop) // 2)
        hr = hr[top * scale : top * scale + crop_size, left * scale : left * scale + crop_size]
        hr.set_shape([crop_size, crop_size, 3])
        if not paired:
            return (hr,)
        lr = lr[top : top + lr_crop, left : left + lr_crop]
        lr.set_shape([lr_crop, lr_crop, 3])
        return hr, lr

    def with_degraded_lr(patches, seed):
        """(hr,) -> (hr, lr) with the randomly degraded LR patch, both uint8."""
        (hr,) = patches
        lr = degrade(tf.cast(hr, tf.float32), scale, degradation, seed)
        return hr, tf.cast(lr, tf.uint8)

    def to_pairs(*patches):
        hr = tf.cast(patches[0], tf.float32)
        has_lr = paired or degradation is not None
        lr = tf.cast(patches[1], tf.float32) if has_lr else bicubic_downscale(hr, scale)
        return lr, hr

    if training:
        if cache:
            ds = map_(files, decode).ignore_errors(log_warning=True).cache()
            ds = ds.shuffle(len(hr_infos), seed=file_seed, reshuffle_each_iteration=True)
            ds = ds.repeat(repeat)
            ds = map_(tf.data.Dataset.zip(ds, seeds(crop_seed)), random_crops)
        else:
            ds = files.shuffle(len(hr_infos), seed=file_seed, reshuffle_each_iteration=True)
            ds = ds.repeat(repeat)
            ds = map_(
                tf.data.Dataset.zip(ds, seeds(crop_seed)),
                lambda file, seed: random_crops(decode(*file), seed),
            ).ignore_errors(log_warning=True)
        ds = ds.unbatch()
        ds = ds.shuffle(shuffle_buffer, seed=patch_seed, reshuffle_each_iteration=True)
        ds = map_(tf.data.Dataset.zip(ds, seeds(augment_seed)), _augment)
        if degradation is not None:
            ds = map_(tf.data.Dataset.zip(ds, seeds(degrade_seed)), with_degraded_lr)
        ds = ds.batch(batch_size, drop_remainder=True)
    else:
        ds = map_(files, lambda *file: fixed_crop(*decode(*file)))
        if degradation is not None:  # one fixed degradation per image, by its position
            image_seeds = tf.data.Dataset.range(len(hr_infos)).map(
                lambda index: tf.stack([tf.constant(seed or 0, tf.int64), index])
            )
            ds = map_(tf.data.Dataset.zip(ds, image_seeds), with_degraded_lr)
        ds = ds.ignore_errors(log_warning=True)
        if cache:
            ds = ds.cache()
        ds = ds.repeat(repeat)
        ds = ds.batch(batch_size)
    ds = map_(ds, to_pairs)
    return ds.prefetch(tf.data.AUTOTUNE)
