"""Writing image arrays to files (atomically) and to PIL images for display."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..validation import ArgumentError, check_int
from . import net
from .atomic import atomic_write
from .pixels import ImageInfo, to_8bit, validated_array

logger = logging.getLogger(__name__)

__all__ = ["WRITE_FORMATS", "to_pil", "write_image"]

WRITE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
"""Extensions :func:`write_image` writes, and their Pillow formats."""

_FORMATS_WITHOUT_ALPHA = ("JPEG", "BMP")  # Pillow's BMP reader drops a 32-bit BMP's alpha


def to_pil(image: np.ndarray) -> Image.Image:
    """An 8-bit ``PIL.Image.Image`` for display (``"L"``, ``"RGB"`` or ``"RGBA"``).

    16-bit images are reduced to 8 bits (rounded); use :func:`write_image` to keep 16 bits.

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).

    Returns:
        A new PIL image.

    Example:

    ```python
    to_pil(read_image("photo.png")).show()
    ```
    """
    return Image.fromarray(to_8bit(image))


DEFAULT_JPEG_QUALITY = 95
"""Quality of JPEG and WebP outputs unless told otherwise (`--jpeg-quality`)."""

_SAVE_OPTIONS = {"PNG": {"compress_level": 1}}
"""PNGs with zlib's fastest level, as OpenCV writes them by default: on a 384x384 photo-like
result 10 ms instead of Pillow's default 59 ms, for a file 17% larger (BENCHMARKS.md, batch)."""


def write_image(
    image: np.ndarray, path: str | os.PathLike, *, quality: int = DEFAULT_JPEG_QUALITY
) -> Path:
    """Write an image array atomically; the format comes from the extension.

    Supported extensions: ``.png``, ``.jpg``/``.jpeg``, ``.webp``, ``.tif``/``.tiff``, ``.bmp``.
    ``uint16`` images are written with 16 bits per sample as PNG (any mode) or TIFF (grayscale
    only); other combinations raise ``ValueError`` rather than silently losing precision. RGBA
    cannot be written as JPEG or BMP (``ValueError``). WebP stores grayscale as RGB.

    The image is encoded into a temporary file next to ``path`` which then replaces ``path`` in
    one step, so ``path`` never holds a partial image: after any error it is left as it was
    (absent, or the previous file) and the temporary file is removed. The parent directory must
    exist; it is not created.

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).
        path: Output file path.
        quality: JPEG and WebP quality, 1 to 100 (ignored by the lossless formats).

    Returns:
        ``path`` as a ``pathlib.Path``.

    Raises:
        FileNotFoundError: If the parent directory does not exist.
        ValueError: On an unsupported extension, a mode or bit depth the format cannot store,
            a path that is a directory, an invalid quality or image array.

    Example:

    ```python
    write_image(result, "out/photo_x4.png")
    write_image(result, "photo_x4.jpg", quality=90)
    ```
    """
    image = validated_array(image, "image")
    if isinstance(path, str) and net.is_url(path):
        raise ArgumentError("path", f"Cannot write an image to a URL: {path!r}; give a file path.")
    path = Path(path).expanduser()
    check_int("quality", quality, minimum=1, maximum=100)
    extension = path.suffix.lower()
    image_format = WRITE_FORMATS.get(extension)
    if image_format is None:
        supported = ", ".join(WRITE_FORMATS)
        raise ArgumentError(
            "path",
            f"Cannot write '{path}': unsupported extension {extension or '(none)'!r}; "
            f"use one of {supported}."
        )
    if path.is_dir():
        raise ArgumentError("path", f"Cannot write '{path}': it is a directory.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"Cannot write '{path}': the directory '{path.parent}' does not exist; create it first."
        )
    info = ImageInfo.of(image)
    if info.has_alpha and image_format in _FORMATS_WITHOUT_ALPHA:
        raise ArgumentError(
            "path",
            f"Cannot write an RGBA image to '{path}': {image_format} has no alpha channel. "
            "Use .png, .webp or .tif, or drop the alpha first (split_alpha)."
        )
    if info.bit_depth == 16 and not (
        image_format == "PNG" or (image_format == "TIFF" and info.mode == "L")
    ):
        raise ArgumentError(
            "path",
            f"Cannot write a 16-bit {info.mode} image to '{path}': 16 bits per sample can be "
            "written as .png (any mode) or .tif (grayscale only). Use .png, or reduce the image "
            "to 8 bits first."
        )

    with atomic_write(path) as file:
        if info.bit_depth == 16 and info.mode != "L":
            file.write(_encode_png16(image))
        else:
            options = _SAVE_OPTIONS.get(image_format, {})
            if image_format in ("JPEG", "WEBP"):
                options = {"quality": quality}
            pil_image = Image.fromarray(image)  # uint16 HxW becomes mode "I;16"
            pil_image.save(file, format=image_format, **options)
    logger.debug("Wrote %s (%s, %d-bit).", path, info.mode, info.bit_depth)
    return path


def _encode_png16(image: np.ndarray) -> bytes:
    import tensorflow as tf  # only needed for 16-bit colour PNGs; slow to import

    return tf.io.encode_png(image).numpy()
