"""The one image decoder: a path, URL, bytes, PIL image or array into a normalised numpy array.

:func:`read_image` returns one of three kinds of array: ``HxW`` grayscale, ``HxWx3`` RGB or
``HxWx4`` RGBA, with dtype ``uint8``, or ``uint16`` when the source stores 16 bits per sample.
EXIF orientation is applied; nothing is resized or flipped. Inference and the training data
pipeline read images through it; :func:`read_size` gives the size it will return from the file's
header alone (the training pipeline's up-front check of a folder).

Decoding is guarded against decompression bombs: images with more than ``max_pixels`` pixels are
refused after reading only their header. Pillow's global ``Image.MAX_IMAGE_PIXELS`` is never
changed; ``max_pixels`` alone decides.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image

from ..validation import SourceError, check_int
from . import net
from .pixels import ImageSource, validated_array

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "read_image", "read_size"]

DEFAULT_MAX_PIXELS: int = 1024 * 1024 * 1024 // 4 // 3
"""Largest image, in pixels, that :func:`read_image` decodes by default: 89,478,485, the value of
Pillow's default ``Image.MAX_IMAGE_PIXELS`` (a 256 MiB RGB image), fixed here so that a changed
Pillow global does not change it."""

DEFAULT_MAX_BYTES: int = 100 * 1024 * 1024
"""Largest response body, in bytes, that :func:`read_image` downloads from a URL (100 MiB)."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOR_TYPES_WITH_COLOR_OR_ALPHA = (2, 4, 6)  # RGB, gray + alpha, RGBA
_PILLOW_16BIT_GRAY_MODES = ("I;16", "I;16L", "I;16B", "I;16N")

# What Pillow raises on data it cannot parse or decode (besides DecompressionBombError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


def read_image(
    source: ImageSource,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float | tuple[float, float] = net.DEFAULT_TIMEOUT,
) -> np.ndarray:
    """Read an image into a numpy array: grayscale, RGB or RGBA, 8 or 16 bits.

    Sources:

    - a path (``str`` or ``os.PathLike``) to an image file Pillow can read (PNG, JPEG, WebP,
      TIFF, BMP, GIF, PPM, ...); animated files give their first frame;
    - an ``http://`` or ``https://`` URL string, downloaded with :func:`net.fetch_bytes`
      (other schemes such as ``ftp://`` or ``file://`` are refused);
    - encoded image bytes (``bytes``, ``bytearray`` or ``memoryview``);
    - a ``PIL.Image.Image``;
    - a numpy array: ``HxW``, ``HxWx1``, ``HxWx3`` or ``HxWx4``. ``uint8`` and ``uint16`` arrays
      are returned as they are (not copied; ``HxWx1`` as an ``HxW`` view). Float arrays are taken
      to follow the library's pixel contract, [0, 255], and are rounded to ``uint8``; values
      outside [0, 255] or not finite raise ``ValueError`` (scale a [0, 1] float image by 255
      first). Other dtypes raise ``ValueError``.

    What comes back: ``HxW`` for grayscale sources (also 1-bit ones), ``HxWx3`` for colour,
    ``HxWx4`` when the source has transparency (an alpha channel, a palette with transparent
    entries, or a PNG ``tRNS`` colour; gray + alpha becomes RGBA with the gray replicated). CMYK,
    YCbCr and other colour modes become RGB. The dtype is ``uint16`` when the file stores 16 bits
    per sample (16-bit PNG of any colour type, 16-bit grayscale TIFF, 16-bit PGM) and ``uint8``
    otherwise; this is decided from the file's header, never from pixel values. Pillow reads
    32-bit integer grayscale (mode ``"I"``) too; it is returned as ``uint16``, clipped to
    [0, 65535]. Floating-point images (mode ``"F"``) are refused. The EXIF orientation tag is
    applied, so the array is upright; nothing is resized or flipped otherwise.

    Args:
        source: The image, as described above.
        max_pixels: Refuse images with more pixels than this, after reading only their header,
            as possible decompression bombs. ``None`` disables the check. Applies to every source
            but numpy arrays (already decoded). Pillow's global ``Image.MAX_IMAGE_PIXELS`` is
            neither used nor changed.
        max_bytes: Largest response body accepted from a URL.
        timeout: Seconds for a URL download, one number or a ``(connect, read)`` pair.

    Returns:
        An ``HxW``, ``HxWx3`` or ``HxWx4`` array of dtype ``uint8`` or ``uint16``.

    Raises:
        FileNotFoundError: If a path does not exist.
        ValueError: If the source is a directory, empty, not a readable image, truncated or
            corrupt, larger than ``max_pixels``, a URL whose scheme is not http(s), or an
            invalid array; the message names the source.
        net.DownloadError: If a URL cannot be downloaded (HTTP error, timeout, too large).
        TypeError: If ``source`` is none of the supported types.

    Example:

    ```python
    from super_resolution_gans.io import read_image

    photo = read_image("photo.jpg")  # (H, W, 3) uint8, upright
    scan = read_image("scan16.png")  # (H, W) uint16 for a 16-bit grayscale PNG
    web = read_image("https://example.com/logo.png")  # (H, W, 4) uint8 if it has transparency
    huge = read_image("panorama.tif", max_pixels=200_000_000)  # allow a bigger image
    ```
    """
    max_pixels = check_int("max_pixels", max_pixels, minimum=1, allow_none=True)
    if isinstance(source, np.ndarray):
        return validated_array(source, "image array")
    if isinstance(source, Image.Image):
        name = f"PIL image ({source.mode}, {source.width}x{source.height})"
        _check_pixel_count(source.size, name, max_pixels)
        return _decode_pil_image(source, name, max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = f"image bytes ({len(data)} bytes)"
    elif isinstance(source, str) and net.is_url(source):
        net.check_url(source)
        data = net.fetch_bytes(source, max_bytes=max_bytes, timeout=timeout)
        name = source
        logger.debug("Downloaded %s (%d bytes).", source, len(data))
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        data = _read_file_bytes(path)
        name = f"'{path}'"
    else:
        raise TypeError(
            "source must be a path, an http(s) URL, bytes, a PIL.Image.Image or a numpy array, "
            f"received {type(source).__name__}."
        )
    if not data:
        raise SourceError(name, "is empty (0 bytes), not an image.")
    return _decode_bytes(data, name, max_pixels)


def read_size(
    path: str | os.PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[int, int]:
    """The ``(width, height)`` of the array :func:`read_image` returns for an image file (EXIF
    orientation applied), from the file's header only: nothing is decoded.

    Files that :func:`read_image` refuses from their header are refused here the same way
    (not an image, a floating-point image, more than ``max_pixels`` pixels); a file that is
    truncated or corrupt after its header passes here and fails in :func:`read_image`.

    Args:
        path: An image file.
        max_pixels: As in :func:`read_image`.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: A `SourceError` naming the file, as :func:`read_image` raises it.

    Example:

    ```python
    width, height = read_size("photo.jpg")  # upright: a portrait photo is taller than wide
    ```
    """
    max_pixels = check_int("max_pixels", max_pixels, minimum=1, allow_none=True)
    path = Path(path).expanduser()
    name = f"'{path}'"
    if path.is_dir():
        raise SourceError(name, "is a directory, not an image file.")
    try:
        file = path.open("rb")  # closed below, after the header is read
    except FileNotFoundError as err:
        raise FileNotFoundError(f"Image file not found: '{path}'.") from err
    with file, _open(file, name) as image:
        _check_pixel_count(image.size, name, max_pixels)
        _check_mode(image, name)
        width, height = image.size
        transposed = _orientation(image, name) >= 5  # 5 to 8 swap the axes
    return (height, width) if transposed else (width, height)


def _read_file_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise SourceError(f"'{path}'", "is a directory, not an image file.")
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise FileNotFoundError(f"Image file not found: '{path}'.") from err


def _check_pixel_count(size: tuple[int, int], name: str, max_pixels: int | None) -> None:
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise SourceError(
            name,
            f"is {width}x{height} = {width * height:,} pixels, more than "
            f"max_pixels={max_pixels:,}; refusing to decode it (possible decompression bomb). "
            "If you trust the source, pass a larger max_pixels= (or max_pixels=None).",
            argument="max_pixels",
        )


def _decode_bytes(data: bytes, name: str, max_pixels: int | None) -> np.ndarray:
    image = _open(io.BytesIO(data), name)
    _check_pixel_count(image.size, name, max_pixels)
    if _is_16bit_color_png(data):
        # Pillow reduces 16-bit colour PNGs to 8 bits; TensorFlow keeps all 16.
        return _apply_orientation(_decode_png16(data, name), _orientation(image, name))
    return _decode_pil_image(image, name, max_pixels)


def _open(file: BinaryIO, name: str) -> Image.Image:
    """Opens the header (nothing decoded yet); `max_pixels` decides, not Pillow's global limit."""
    with warnings.catch_warnings():
        # max_pixels decides, not Pillow's global limit: silence its warning here only.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(file)
        except Image.DecompressionBombError:
            # Over twice Pillow's global limit: Pillow refuses even to open the header.
            return _open_without_pillow_limit(file, name)
        except Image.UnidentifiedImageError as err:
            # Pillow's text names the in-memory file object ("<_io.BytesIO object at 0x...>").
            raise SourceError(name, "is not a readable image (no image format Pillow reads: "
                                    "PNG, JPEG, WebP, TIFF, BMP, GIF, ...).") from err
        except _DECODE_ERRORS as err:
            raise SourceError(name, f"is not a readable image ({err}).") from err


def _open_without_pillow_limit(file: BinaryIO, name: str) -> Image.Image:
    """Open the header the way ``Image.open`` does, minus its global pixel-limit check."""
    Image.init()
    file.seek(0)
    prefix = file.read(16)
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        if accept is not None:
            accepted = accept(prefix)
            if not accepted or isinstance(accepted, str):
                continue
        file.seek(0)
        try:
            return factory(file, "")
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue
        except _DECODE_ERRORS as err:
            raise SourceError(name, f"is not a readable image ({err}).") from err
    raise SourceError(name, "is not a readable image (no decoder recognises it).")


def _is_16bit_color_png(data: bytes) -> bool:
    # IHDR is the first chunk: length(4) "IHDR"(4) width(4) height(4) bit depth(1) colour type(1).
    return (
        len(data) >= 26
        and data[:8] == _PNG_SIGNATURE
        and data[12:16] == b"IHDR"
        and data[24] == 16
        and data[25] in _PNG_COLOR_TYPES_WITH_COLOR_OR_ALPHA
    )


def _decode_png16(data: bytes, name: str) -> np.ndarray:
    import tensorflow as tf  # only needed for 16-bit colour PNGs; slow to import

    try:
        array = tf.io.decode_png(data, channels=0, dtype=tf.uint16).numpy()
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as err:
        raise SourceError(name, "is truncated or corrupt (16-bit PNG decoding failed).") from err
    if array.shape[2] == 2:  # gray + alpha
        gray, alpha = array[..., :1], array[..., 1:]
        array = np.concatenate([gray, gray, gray, alpha], axis=2)
    elif array.shape[2] == 1:
        array = array[..., 0]
    return array


def _decode_pil_image(image: Image.Image, name: str, max_pixels: int | None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image.load()  # the full decode: truncated data fails here, not later
        except Image.DecompressionBombError as err:
            raise SourceError(
                name, f"has an animation frame larger than Pillow's global limit ({err})."
            ) from err
        except _DECODE_ERRORS as err:
            raise SourceError(name, f"is truncated or corrupt ({err}).") from err
    array = _pil_to_array(image, name)
    return _apply_orientation(array, _orientation(image, name))


def _check_mode(image: Image.Image, name: str) -> None:
    if image.mode == "F":
        raise SourceError(
            name,
            "is a floating-point image (mode 'F'), which has no standard pixel range; "
            "convert it to 8 or 16 bits first.",
        )


def _pil_to_array(image: Image.Image, name: str) -> np.ndarray:
    _check_mode(image, name)
    mode = image.mode
    if mode in _PILLOW_16BIT_GRAY_MODES:
        return np.array(image).astype(np.uint16, copy=False)  # native byte order
    if mode == "I":
        return np.clip(np.array(image), 0, 65535).astype(np.uint16)
    if mode == "1":
        return np.array(image.convert("L"))
    has_alpha = "A" in image.getbands() or image.has_transparency_data
    if has_alpha:
        target = "RGBA"
    elif mode == "L":
        target = "L"
    else:
        target = "RGB"  # RGB, palette, CMYK, YCbCr, LAB, HSV, RGBX
    if mode != target:
        image = image.convert(target)
    return np.array(image)


def _orientation(image: Image.Image, name: str) -> int:
    # PNG's getexif() decodes the whole image when no eXIf chunk came before the pixel data;
    # a 16-bit PNG's pixels are decoded by TensorFlow instead, so do not trigger that.
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS as err:
        logger.warning("Ignoring unreadable EXIF data in %s: %s", name, err)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Make an image upright from its EXIF orientation (same result as ``exif_transpose``)."""
    if orientation == 2:
        array = array[:, ::-1]
    elif orientation == 3:
        array = array[::-1, ::-1]
    elif orientation == 4:
        array = array[::-1]
    elif orientation == 5:
        array = array.swapaxes(0, 1)
    elif orientation == 6:
        array = np.rot90(array, k=-1)
    elif orientation == 7:
        array = array[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        array = np.rot90(array, k=1)
    else:
        return array
    return np.ascontiguousarray(array)
