"""Read images from anywhere into normalised numpy arrays, and write results back safely.

The generators take and return float RGB in [0, 255]. This module sits on both sides of them:

- :func:`read_image` reads a file path, an http(s) URL, encoded bytes, a ``PIL.Image.Image`` or
  a numpy array into one of three kinds of array: ``HxW`` grayscale, ``HxWx3`` RGB or ``HxWx4``
  RGBA, with dtype ``uint8``, or ``uint16`` when the source stores 16 bits per sample. EXIF
  orientation is applied; nothing is resized or flipped.
- :func:`to_model_input` turns such an array into the network's float32 RGB in [0, 255] plus an
  :class:`ImageInfo` describing the original; :func:`from_model_output` turns the network's
  output back into the same kind (grayscale, RGB or RGBA, 8 or 16 bits).
  :func:`split_alpha` and :func:`to_model_alpha` give the alpha channel, which the caller upsamples
  separately.
- :func:`write_image` writes atomically: the output appears complete or not at all.

Decoding is guarded against decompression bombs: images with more than ``max_pixels`` pixels are
refused after reading only their header. Pillow's global ``Image.MAX_IMAGE_PIXELS`` is never
changed; ``max_pixels`` alone decides.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import struct
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image

from super_resolution_gans import net

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ImageInfo",
    "from_model_output",
    "read_image",
    "split_alpha",
    "to_model_alpha",
    "to_model_input",
    "to_pil",
    "write_image",
]

DEFAULT_MAX_PIXELS: int = 1024 * 1024 * 1024 // 4 // 3
"""Largest image, in pixels, that :func:`read_image` decodes by default: 89,478,485, the value of
Pillow's default ``Image.MAX_IMAGE_PIXELS`` (a 256 MiB RGB image), fixed here so that a changed
Pillow global does not change it."""

DEFAULT_MAX_BYTES: int = 100 * 1024 * 1024
"""Largest response body, in bytes, that :func:`read_image` downloads from a URL (100 MiB)."""

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | Image.Image | np.ndarray

_MODES = ("L", "RGB", "RGBA")
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Pillow "L"
_UINT16_TO_MODEL_SCALE = 257.0  # 65535 / 255: 16-bit samples map exactly onto [0, 255]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOR_TYPES_WITH_COLOR_OR_ALPHA = (2, 4, 6)  # RGB, gray + alpha, RGBA
_PILLOW_16BIT_GRAY_MODES = ("I;16", "I;16L", "I;16B", "I;16N")

# What Pillow raises on data it cannot parse or decode (besides DecompressionBombError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)

_WRITE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
_FORMATS_WITHOUT_ALPHA = ("JPEG", "BMP")  # Pillow's BMP reader drops a 32-bit BMP's alpha


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """What :func:`from_model_output` needs to give the network's output the input's kind.

    Attributes:
        mode: ``"L"`` (grayscale, ``HxW``), ``"RGB"`` (``HxWx3``) or ``"RGBA"`` (``HxWx4``).
        bit_depth: 8 (``uint8`` samples) or 16 (``uint16`` samples).

    Example:

    ```python
    info = ImageInfo.of(np.zeros((4, 4, 4), np.uint16))
    info.mode, info.bit_depth, info.has_alpha  # ("RGBA", 16, True)
    ```
    """

    mode: str
    bit_depth: int

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"ImageInfo.mode must be one of {_MODES}, received {self.mode!r}.")
        if self.bit_depth not in (8, 16):
            raise ValueError(f"ImageInfo.bit_depth must be 8 or 16, received {self.bit_depth!r}.")

    @classmethod
    def of(cls, image: np.ndarray) -> ImageInfo:
        """Describe an image array (anything :func:`read_image` accepts as an array).

        Example:

        ```python
        ImageInfo.of(np.zeros((4, 4), np.uint8))  # ImageInfo(mode='L', bit_depth=8)
        ```
        """
        image = _validated_array(image, "image")
        channels = 1 if image.ndim == 2 else image.shape[2]
        return cls(mode=_MODE_BY_CHANNELS[channels], bit_depth=image.dtype.itemsize * 8)

    @property
    def has_alpha(self) -> bool:
        """True for RGBA images."""
        return self.mode == "RGBA"

    @property
    def dtype(self) -> np.dtype:
        """``uint8`` or ``uint16``."""
        return np.dtype(np.uint8 if self.bit_depth == 8 else np.uint16)

    @property
    def max_value(self) -> int:
        """Largest sample value: 255 or 65535."""
        return 255 if self.bit_depth == 8 else 65535


# --------------------------------------------------------------------------------------------
# Reading


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
    from super_resolution_gans.image_io import read_image

    photo = read_image("photo.jpg")  # (H, W, 3) uint8, upright
    scan = read_image("scan16.png")  # (H, W) uint16 for a 16-bit grayscale PNG
    web = read_image("https://example.com/logo.png")  # (H, W, 4) uint8 if it has transparency
    huge = read_image("panorama.tif", max_pixels=200_000_000)  # allow a bigger image
    ```
    """
    max_pixels = _checked_max_pixels(max_pixels)
    if isinstance(source, np.ndarray):
        return _validated_array(source, "image array")
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
        raise ValueError(f"{name} is empty (0 bytes), not an image.")
    return _decode_bytes(data, name, max_pixels)


def _checked_max_pixels(max_pixels: int | None) -> int | None:
    if max_pixels is None:
        return None
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels <= 0:
        raise ValueError(f"max_pixels must be a positive integer or None, received {max_pixels!r}.")
    return max_pixels


def _read_file_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ValueError(f"'{path}' is a directory, not an image file.")
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise FileNotFoundError(f"Image file not found: '{path}'.") from err


def _check_pixel_count(size: tuple[int, int], name: str, max_pixels: int | None) -> None:
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise ValueError(
            f"{name} is {width}x{height} = {width * height:,} pixels, more than "
            f"max_pixels={max_pixels:,}; refusing to decode it (possible decompression bomb). "
            "If you trust the source, pass a larger max_pixels= (or max_pixels=None)."
        )


def _decode_bytes(data: bytes, name: str, max_pixels: int | None) -> np.ndarray:
    with warnings.catch_warnings():
        # max_pixels decides, not Pillow's global limit: silence its warning here only.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            # Over twice Pillow's global limit: Pillow refuses even to open the header.
            image = _open_without_pillow_limit(data, name)
        except _DECODE_ERRORS as err:
            raise ValueError(f"{name} is not a readable image ({err}).") from err
        _check_pixel_count(image.size, name, max_pixels)
        if _is_16bit_color_png(data):
            # Pillow reduces 16-bit colour PNGs to 8 bits; TensorFlow keeps all 16.
            return _apply_orientation(_decode_png16(data, name), _orientation(image, name))
        return _decode_pil_image(image, name, max_pixels)


def _open_without_pillow_limit(data: bytes, name: str) -> Image.Image:
    """Open the header the way ``Image.open`` does, minus its global pixel-limit check."""
    Image.init()
    prefix = data[:16]
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        if accept is not None:
            accepted = accept(prefix)
            if not accepted or isinstance(accepted, str):
                continue
        try:
            return factory(io.BytesIO(data), "")
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue
        except _DECODE_ERRORS as err:
            raise ValueError(f"{name} is not a readable image ({err}).") from err
    raise ValueError(f"{name} is not a readable image (no decoder recognises it).")


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
        raise ValueError(f"{name} is truncated or corrupt (16-bit PNG decoding failed).") from err
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
            raise ValueError(
                f"{name} has an animation frame larger than Pillow's global limit ({err})."
            ) from err
        except _DECODE_ERRORS as err:
            raise ValueError(f"{name} is truncated or corrupt ({err}).") from err
    array = _pil_to_array(image, name)
    return _apply_orientation(array, _orientation(image, name))


def _pil_to_array(image: Image.Image, name: str) -> np.ndarray:
    mode = image.mode
    if mode in _PILLOW_16BIT_GRAY_MODES:
        return np.array(image).astype(np.uint16, copy=False)  # native byte order
    if mode == "I":
        return np.clip(np.array(image), 0, 65535).astype(np.uint16)
    if mode == "F":
        raise ValueError(
            f"{name} is a floating-point image (mode 'F'), which has no standard pixel range; "
            "convert it to 8 or 16 bits first."
        )
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


def _validated_array(array: np.ndarray, name: str) -> np.ndarray:
    """Check an image array; return it as ``uint8``/``uint16``, ``HxWx1`` squeezed to ``HxW``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, received {type(array).__name__}.")
    shape_ok = array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3, 4))
    if not shape_ok:
        raise ValueError(
            f"{name} must have shape HxW, HxWx1, HxWx3 or HxWx4, received shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {array.shape}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    dtype = array.dtype
    if dtype.kind == "u" and dtype.itemsize in (1, 2):
        return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
    if dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 255.0:
            raise ValueError(
                f"{name} is a float array with values in [{low:g}, {high:g}]; float images must "
                "be in [0, 255] (multiply a [0, 1] image by 255)."
            )
        return np.rint(array).astype(np.uint8)
    raise ValueError(
        f"{name} has dtype {dtype}; expected uint8, uint16, or float in [0, 255]."
    )


# --------------------------------------------------------------------------------------------
# To and from the network's pixel contract


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Separate the colour (or gray) samples from the alpha channel.

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).

    Returns:
        ``(color, alpha)``: ``color`` is ``HxW`` or ``HxWx3``, ``alpha`` is ``HxW`` or ``None``
        when the image has no alpha channel. Both keep the image's dtype (views, not copies).

    Example:

    ```python
    rgb, alpha = split_alpha(read_image("logo.png"))  # alpha is None for an opaque image
    ```
    """
    image = _validated_array(image, "image")
    if image.ndim == 3 and image.shape[2] == 4:
        return image[..., :3], image[..., 3]
    return image, None


def to_model_input(image: np.ndarray) -> tuple[np.ndarray, ImageInfo]:
    """Turn an image into the network's input: float32 RGB ``HxWx3`` in [0, 255].

    Grayscale is replicated to three channels, alpha is dropped (get it with
    :func:`to_model_alpha`), and 16-bit samples are divided by 257, so that 65535 maps to 255.0
    with no precision lost to rounding.

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).

    Returns:
        ``(rgb, info)``: the float32 ``HxWx3`` array and the :class:`ImageInfo` that
        :func:`from_model_output` needs to give the output the same kind as ``image``.

    Example:

    ```python
    image = read_image("photo.png")
    rgb, info = to_model_input(image)
    sr = generator.predict(rgb[None])[0]
    write_image(from_model_output(sr, info), "photo_x4.png")
    ```
    """
    image = _validated_array(image, "image")
    info = ImageInfo.of(image)
    color, _ = split_alpha(image)
    rgb = color.astype(np.float32)
    if info.bit_depth == 16:
        rgb /= _UINT16_TO_MODEL_SCALE
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    return rgb, info


def to_model_alpha(image: np.ndarray) -> np.ndarray | None:
    """The alpha channel on the network's scale: float32 ``HxW`` in [0, 255], or ``None``.

    Upsample it as you like (for example bicubic resizing, or the network itself on the alpha
    replicated to three channels) and pass the result as ``alpha_sr`` to
    :func:`from_model_output`.

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).

    Returns:
        The alpha channel divided by 257 for 16-bit images, or ``None`` without alpha.

    Example:

    ```python
    alpha = to_model_alpha(image)
    alpha_sr = None if alpha is None else np.kron(alpha, np.ones((4, 4), np.float32))
    ```
    """
    image = _validated_array(image, "image")
    _, alpha = split_alpha(image)
    if alpha is None:
        return None
    scaled = alpha.astype(np.float32)
    if image.dtype == np.uint16:
        scaled /= _UINT16_TO_MODEL_SCALE
    return scaled


def from_model_output(
    sr_rgb: np.ndarray, info: ImageInfo, alpha_sr: np.ndarray | None = None
) -> np.ndarray:
    """Turn the network's float RGB output back into the kind of image described by ``info``.

    Values are clipped to [0, 255] (the network may overshoot) and rounded to the nearest
    integer sample; for 16-bit images they are first multiplied by 257, so the output keeps
    whatever precision beyond 8 bits the float values carry. For a grayscale ``info`` the output
    is the luma of the RGB output (ITU-R BT.601 weights 0.299, 0.587, 0.114, as Pillow's ``"L"``
    conversion). For an RGBA ``info``, ``alpha_sr`` (upsampled by the caller, same scale as the
    network, see :func:`to_model_alpha`) becomes the alpha channel.

    Args:
        sr_rgb: ``HxWx3`` float array (or tensor) on the [0, 255] scale.
        info: The :class:`ImageInfo` returned by :func:`to_model_input` for the input image.
        alpha_sr: ``HxW`` (or ``HxWx1``) alpha on the [0, 255] scale, the same height and width
            as ``sr_rgb``. Required when ``info.has_alpha``, refused otherwise.

    Returns:
        ``HxW``, ``HxWx3`` or ``HxWx4`` array of ``info.dtype``.

    Raises:
        ValueError: On a wrong shape, non-finite values, or a missing or unexpected ``alpha_sr``.

    Example:

    ```python
    rgb, info = to_model_input(image)
    alpha = to_model_alpha(image)
    sr = generator.predict(rgb[None])[0]
    alpha_sr = None if alpha is None else upsample(alpha)
    result = from_model_output(sr, info, alpha_sr)  # same kind and dtype as image
    ```
    """
    if not isinstance(info, ImageInfo):
        raise TypeError(f"info must be an ImageInfo, received {type(info).__name__}.")
    rgb = np.asarray(sr_rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(f"sr_rgb must have shape HxWx3, received shape {rgb.shape}.")
    out = _to_samples(rgb, info, "sr_rgb")
    if info.mode == "L":
        out = out @ _LUMA_WEIGHTS
    out = _round_to_dtype(out, info)
    if not info.has_alpha:
        if alpha_sr is not None:
            raise ValueError(f"alpha_sr was given but the input image ({info.mode}) has no alpha.")
        return out
    if alpha_sr is None:
        raise ValueError(
            "The input image is RGBA: pass its upsampled alpha channel as alpha_sr "
            "(see to_model_alpha)."
        )
    alpha = np.asarray(alpha_sr)
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[..., 0]
    if alpha.shape != rgb.shape[:2]:
        raise ValueError(
            f"alpha_sr must have shape {rgb.shape[:2]} (the height and width of sr_rgb), "
            f"received shape {alpha.shape}."
        )
    alpha = _round_to_dtype(_to_samples(alpha, info, "alpha_sr"), info)
    return np.concatenate([out, alpha[..., None]], axis=2)


def _to_samples(values: np.ndarray, info: ImageInfo, name: str) -> np.ndarray:
    """Clip to [0, 255] as float32 (a new array) and rescale to ``info``'s sample range."""
    if values.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be numeric, received dtype {values.dtype}.")
    values = values.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    out = np.clip(values, 0.0, 255.0)
    if info.bit_depth == 16:
        out *= _UINT16_TO_MODEL_SCALE
    return out


def _round_to_dtype(samples: np.ndarray, info: ImageInfo) -> np.ndarray:
    np.rint(samples, out=samples)
    np.clip(samples, 0, info.max_value, out=samples)
    return samples.astype(info.dtype)


# --------------------------------------------------------------------------------------------
# Writing and display


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
"""File extensions that folder-level commands (infer, evaluate) pick up, in any case."""


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files directly in `folder` (by extension, case-insensitive; hidden files
    skipped), sorted by name.

    Example:
    >>> list_images("photos")  # doctest: +SKIP
    [PosixPath('photos/a.png'), PosixPath('photos/b.JPG')]
    """
    return sorted(
        path
        for path in Path(folder).iterdir()
        if path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")
        and path.is_file()
    )


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
    image = _validated_array(image, "image")
    return Image.fromarray(_to_uint8(image))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    return ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)  # round(v / 257)


def write_image(image: np.ndarray, path: str | os.PathLike, *, quality: int = 95) -> Path:
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
    image = _validated_array(image, "image")
    if isinstance(path, str) and net.is_url(path):
        raise ValueError(f"Cannot write an image to a URL: {path!r}; give a file path.")
    path = Path(path).expanduser()
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer from 1 to 100, received {quality!r}.")
    extension = path.suffix.lower()
    image_format = _WRITE_FORMATS.get(extension)
    if image_format is None:
        supported = ", ".join(_WRITE_FORMATS)
        raise ValueError(
            f"Cannot write '{path}': unsupported extension {extension or '(none)'!r}; "
            f"use one of {supported}."
        )
    if path.is_dir():
        raise ValueError(f"Cannot write '{path}': it is a directory.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"Cannot write '{path}': the directory '{path.parent}' does not exist; create it first."
        )
    info = ImageInfo.of(image)
    if info.has_alpha and image_format in _FORMATS_WITHOUT_ALPHA:
        raise ValueError(
            f"Cannot write an RGBA image to '{path}': {image_format} has no alpha channel. "
            "Use .png, .webp or .tif, or drop the alpha first (split_alpha)."
        )
    if info.bit_depth == 16 and not (
        image_format == "PNG" or (image_format == "TIFF" and info.mode == "L")
    ):
        raise ValueError(
            f"Cannot write a 16-bit {info.mode} image to '{path}': 16 bits per sample can be "
            "written as .png (any mode) or .tif (grayscale only). Use .png, or reduce the image "
            "to 8 bits first."
        )

    def encode(file: BinaryIO) -> None:
        if info.bit_depth == 16 and info.mode != "L":
            file.write(_encode_png16(image))
            return
        options = {"quality": quality} if image_format in ("JPEG", "WEBP") else {}
        pil_image = Image.fromarray(image)  # uint16 HxW becomes mode "I;16"
        pil_image.save(file, format=image_format, **options)

    _write_atomically(path, encode)
    logger.debug("Wrote %s (%s, %d-bit).", path, info.mode, info.bit_depth)
    return path


def _encode_png16(image: np.ndarray) -> bytes:
    import tensorflow as tf  # only needed for 16-bit colour PNGs; slow to import

    return tf.io.encode_png(image).numpy()


def _write_atomically(path: Path, encode: Callable[[BinaryIO], None]) -> None:
    """Run ``encode(file)`` on a temporary file beside ``path``, then move it onto ``path``."""
    mode = new_file_mode(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as file:
            encode(file)
        os.chmod(temp_name, mode)  # mkstemp creates 0600; give the usual permissions
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def new_file_mode(path: Path) -> int:
    """Permissions for an atomically written file (temporary files start at 0o600): those of
    the file it replaces, else 0o666 minus the umask.

    Example:
    >>> oct(new_file_mode(Path("new_file.png")))  # doctest: +SKIP
    '0o644'
    """
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    return 0o666 & ~_current_umask()


def _current_umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for all threads)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
