"""Pixel conversion between image arrays and the generators' float RGB in [0, 255].

:func:`to_model_input` turns an image array (see
:func:`~super_resolution_gans.io.decode.read_image`) into the network's float32 RGB in [0, 255]
plus an :class:`ImageInfo` describing the original; :func:`from_model_output` turns the
network's output back into the same kind (grayscale, RGB or RGBA, 8 or 16 bits).
:func:`split_alpha` and :func:`to_model_alpha` give the alpha channel, which the caller upsamples
separately. :func:`to_8bit` and :func:`to_rgb8` reduce an image to 8 bits (display, the training
pipeline). :func:`quantise` rounds float pixels to 8-bit levels and :func:`bicubic_upscale` is
the library's one bicubic baseline (evaluation, training logs, the demo's comparison image);
these two are TensorFlow ops.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from PIL import Image

from ..validation import ArgumentError, SourceError

__all__ = [
    "ImageInfo",
    "bicubic_upscale",
    "from_model_output",
    "quantise",
    "split_alpha",
    "to_8bit",
    "to_model_alpha",
    "to_model_input",
    "to_rgb8",
    "validated_array",
]

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | Image.Image | np.ndarray
"""Everything :func:`~super_resolution_gans.io.decode.read_image` reads."""

_MODES = ("L", "RGB", "RGBA")
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Pillow "L"
_UINT16_TO_MODEL_SCALE = 257.0  # 65535 / 255: 16-bit samples map exactly onto [0, 255]


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
            raise ArgumentError(
                "mode", f"ImageInfo.mode must be one of {_MODES}, received {self.mode!r}."
            )
        if self.bit_depth not in (8, 16):
            raise ArgumentError(
                "bit_depth",
                f"ImageInfo.bit_depth must be 8 or 16, received {self.bit_depth!r}.",
            )

    @classmethod
    def of(cls, image: np.ndarray) -> ImageInfo:
        """Describe an image array (anything :func:`read_image` accepts as an array).

        Example:

        ```python
        ImageInfo.of(np.zeros((4, 4), np.uint8))  # ImageInfo(mode='L', bit_depth=8)
        ```
        """
        image = validated_array(image, "image")
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


def validated_array(array: np.ndarray, name: str) -> np.ndarray:
    """Check an image array; return it as ``uint8``/``uint16``, ``HxWx1`` squeezed to ``HxW``.

    Raises ``TypeError`` for a non-array and `SourceError` (a ``ValueError``) naming ``name``
    for an unusable one.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, received {type(array).__name__}.")
    shape_ok = array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3, 4))
    if not shape_ok:
        raise SourceError(
            name, f"must have shape HxW, HxWx1, HxWx3 or HxWx4, received shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise SourceError(name, f"is empty: shape {array.shape}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    dtype = array.dtype
    if dtype.kind == "u" and dtype.itemsize in (1, 2):
        return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
    if dtype.kind == "f":
        if not np.isfinite(array).all():
            raise SourceError(name, "contains NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 255.0:
            raise SourceError(
                name,
                f"is a float array with values in [{low:g}, {high:g}]; float images must "
                "be in [0, 255] (multiply a [0, 1] image by 255).",
            )
        return np.rint(array).astype(np.uint8)
    raise SourceError(name, f"has dtype {dtype}; expected uint8, uint16, or float in [0, 255].")


def to_8bit(image: np.ndarray) -> np.ndarray:
    """The image with 8-bit samples: ``uint8`` as it is, ``uint16`` rounded (``v / 257``).

    Args:
        image: An image array (anything :func:`read_image` accepts as an array).

    Returns:
        A ``uint8`` array of the same shape (``HxWx1`` squeezed to ``HxW``).

    Example:
    >>> to_8bit(np.array([[0, 128, 129, 65535]], np.uint16))
    array([[  0,   0,   1, 255]], dtype=uint8)
    """
    image = validated_array(image, "image")
    if image.dtype == np.uint8:
        return image
    return ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)  # round(v / 257)


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """The image as ``uint8`` RGB ``HxWx3``: gray replicated, alpha dropped, 16 bits rounded to
    8 (:func:`to_8bit`). What the training pipeline decodes every file to.

    Example:
    >>> to_rgb8(np.zeros((2, 3, 4), np.uint16)).shape
    (2, 3, 3)
    """
    color, _ = split_alpha(to_8bit(image))
    if color.ndim == 2:
        return np.repeat(color[..., None], 3, axis=2)
    return np.ascontiguousarray(color)


def quantise(pixels):
    """Float pixels clipped to [0, 255] and rounded to 8-bit levels (a TensorFlow op).

    Example:
    >>> quantise(np.array([-3.0, 7.4, 300.0])).numpy()
    array([  0.,   7., 255.])
    """
    import tensorflow as tf  # slow to import; only the TensorFlow paths need it

    return tf.round(tf.clip_by_value(pixels, 0.0, 255.0))


def bicubic_upscale(lr, size):
    """Bicubic upscaling to ``size`` (height, width), clipped and rounded to 8-bit values: the
    baseline every score of the library is compared with (evaluation, training logs) and the
    demo's comparison image.

    Args:
        lr: Pixels on the [0, 255] scale, ``(H, W, C)`` or ``(B, H, W, C)`` with any number of
            channels (RGB, RGBA, gray as ``HxWx1``); a tensor or an array of any real dtype.
        size: The output ``(height, width)``.

    Returns:
        A float32 tensor of 8-bit values with the same rank and channels.

    Example:
    >>> bicubic_upscale(np.full((1, 2, 3, 3), 10.0, np.float32), (8, 12)).shape
    TensorShape([1, 8, 12, 3])
    """
    import tensorflow as tf  # slow to import; only the TensorFlow paths need it

    return quantise(tf.image.resize(lr, size, method="bicubic"))


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
    image = validated_array(image, "image")
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
    image = validated_array(image, "image")
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
    image = validated_array(image, "image")
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
        raise ArgumentError(
            "sr_rgb", f"sr_rgb must have shape HxWx3, received shape {rgb.shape}."
        )
    out = _to_samples(rgb, info, "sr_rgb")
    if info.mode == "L":
        out = out @ _LUMA_WEIGHTS
    out = _round_to_dtype(out, info)
    if not info.has_alpha:
        if alpha_sr is not None:
            raise ArgumentError(
                "alpha_sr",
                f"alpha_sr was given but the input image ({info.mode}) has no alpha.",
            )
        return out
    if alpha_sr is None:
        raise ArgumentError(
            "alpha_sr",
            "The input image is RGBA: pass its upsampled alpha channel as alpha_sr "
            "(see to_model_alpha)."
        )
    alpha = np.asarray(alpha_sr)
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[..., 0]
    if alpha.shape != rgb.shape[:2]:
        raise ArgumentError(
            "alpha_sr",
            f"alpha_sr must have shape {rgb.shape[:2]} (the height and width of sr_rgb), "
            f"received shape {alpha.shape}."
        )
    alpha = _round_to_dtype(_to_samples(alpha, info, "alpha_sr"), info)
    return np.concatenate([out, alpha[..., None]], axis=2)


def _to_samples(values: np.ndarray, info: ImageInfo, name: str) -> np.ndarray:
    """Clip to [0, 255] as float32 (a new array) and rescale to ``info``'s sample range."""
    if values.dtype.kind not in "fiu":
        raise ArgumentError(name, f"{name} must be numeric, received dtype {values.dtype}.")
    values = values.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise ArgumentError(name, f"{name} contains NaN or infinite values.")
    out = np.clip(values, 0.0, 255.0)
    if info.bit_depth == 16:
        out *= _UINT16_TO_MODEL_SCALE
    return out


def _round_to_dtype(samples: np.ndarray, info: ImageInfo) -> np.ndarray:
    np.rint(samples, out=samples)
    np.clip(samples, 0, info.max_value, out=samples)
    return samples.astype(info.dtype)
