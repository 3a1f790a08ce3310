"""The web demo's work, free of any UI code: read an upload, super-resolve it, compare, save.

Everything that can go wrong with a user's upload is raised as `DemoError` with a one-line
message fit for the page.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

DEFAULT_MAX_PIXELS = 4_000_000
"""Largest upload the demo accepts, in LR pixels (the output has 16 times as many)."""

AUTO_TILE = "auto"
"""Tile-size choice that lets the library pick the tiles from the image size."""


class DemoError(ValueError):
    """A problem with the user's input, model or settings, with a message for the page."""


@dataclasses.dataclass(frozen=True)
class DemoResult:
    """One super-resolved upload.

    Attributes:
        lr: the upload as read (`uint8`/`uint16`, grayscale, RGB or RGBA).
        sr: the super-resolved image, of the same kind.
        bicubic: the upload resized by bicubic interpolation to `sr`'s size, for comparison.
        png_path: the super-resolved image saved as PNG.
        seconds: time spent super-resolving (model loading excluded).
    """

    lr: np.ndarray
    sr: np.ndarray
    bicubic: np.ndarray
    png_path: Path
    seconds: float

    @property
    def sr_8bit(self) -> np.ndarray:
        """`sr` with 8 bits per sample, for display (the PNG keeps 16-bit results)."""
        from ..io.write import to_pil

        return np.asarray(to_pil(self.sr))

    @property
    def summary(self) -> str:
        """Sizes and time in one line, e.g. `96x96 -> 384x384 in 0.41 s`."""
        (lr_h, lr_w), (sr_h, sr_w) = self.lr.shape[:2], self.sr.shape[:2]
        return f"{lr_w}x{lr_h} -> {sr_w}x{sr_h} in {self.seconds:.2f} s"


def parse_tile_size(choice: str | int | None) -> int | None:
    """The library's `tile_size` for a UI choice: "auto" -> None, "0" -> 0, "256" -> 256.

    Example:
    >>> parse_tile_size("auto"), parse_tile_size("128")
    (None, 128)
    """
    if choice is None or choice == AUTO_TILE:
        return None
    try:
        value = int(choice)
    except (TypeError, ValueError):
        raise DemoError(f"Tile size must be 'auto' or a whole number, got {choice!r}.") from None
    if value < 0:
        raise DemoError(f"Tile size must be 0 (whole image) or more, got {value}.")
    return value


MODEL_SUFFIXES = (".keras", ".pth", ".safetensors")
"""Model files the demo accepts as uploads: ours, and ESRGAN / Real-ESRGAN PyTorch weights."""


def load_model(name: str | None, uploaded: str | os.PathLike | None = None) -> Any:
    """The generator for a registered name, or for an uploaded model file when one is given
    (`.keras` saved by this library, or an ESRGAN / Real-ESRGAN `.pth` / `.safetensors`).

    Example:
    >>> generator = load_model("srresnet_x4")  # doctest: +SKIP
    """
    from ..io.model_io import load_generator

    source = os.fspath(uploaded) if uploaded else name
    label = Path(source).name if uploaded else repr(source)
    if uploaded and Path(source).suffix.lower() not in MODEL_SUFFIXES:
        raise DemoError(f"Model {label}: upload a .keras file saved by this library, or an "
                        "ESRGAN / Real-ESRGAN .pth or .safetensors file.")
    try:
        return load_generator(source, progress=False)
    except (ValueError, OSError) as err:
        raise DemoError(f"Model {label} could not be loaded: {_one_line(err)}") from err


def upscale_upload(
    image: Any,
    generator: Any,
    output_dir: str | os.PathLike,
    *,
    tile_size: int | None = None,
    precision: str = "float32",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: bool = False,
) -> DemoResult:
    """Super-resolves an uploaded image and saves the result as a PNG in `output_dir`.

    Args:
        image: a file path, encoded bytes, PIL image or numpy array (see `read_image`).
        generator: a loaded generator (`load_model`).
        output_dir: existing folder for the PNG (a new, unique name each call).
        tile_size: see `upscale_rgb` (None chooses from the image size).
        precision: "float32", "float16" or "bfloat16" (see `upscale_rgb`).
        max_pixels: largest input accepted, in pixels; None for no limit.
        progress: report progress over the tiles with tqdm (Gradio can track it).

    Returns:
        A `DemoResult`.

    Raises:
        DemoError: the upload is missing, not an image, too large or a decompression bomb, or
            the settings are invalid.

    Example:
    >>> result = upscale_upload("photo.png", load_model("srresnet_x4"), "/tmp")  # doctest: +SKIP
    >>> result.summary  # doctest: +SKIP
    '96x96 -> 384x384 in 0.41 s'
    """
    from ..inference import Upscaler
    from ..io.write import write_image

    if image is None:
        raise DemoError("Upload an image first.")
    try:
        upscaler = Upscaler(generator, tile_size=tile_size, precision=precision,
                            max_pixels=max_pixels, progress=progress)
    except ValueError as err:
        raise DemoError(f"Invalid settings: {_one_line(err)}") from err
    try:
        lr = upscaler.read(image)
    except (ValueError, OSError, TypeError) as err:
        raise DemoError(_upload_message(err, max_pixels)) from err
    start = time.perf_counter()
    try:
        _lr, sr = upscaler.upscale(lr)
    except ValueError as err:
        raise DemoError(f"Could not super-resolve this image: {_one_line(err)}") from err
    seconds = time.perf_counter() - start
    path = Path(output_dir) / f"super_resolved_{uuid.uuid4().hex[:12]}.png"
    write_image(sr, path)
    return DemoResult(lr=lr, sr=sr, bicubic=bicubic_like(lr, sr), png_path=path, seconds=seconds)


def bicubic_like(lr: np.ndarray, sr: np.ndarray) -> np.ndarray:
    """`lr` resized with bicubic interpolation to `sr`'s size, as 8-bit RGB(A) for display.

    Example:
    >>> bicubic_like(np.zeros((2, 3, 3), "uint8"), np.zeros((8, 12, 3), "uint8")).shape
    (8, 12, 3)
    """
    from ..io.write import to_pil

    height, width = sr.shape[:2]
    return np.asarray(to_pil(lr).resize((width, height), Image.Resampling.BICUBIC))


def _upload_message(err: BaseException, max_pixels: int | None) -> str:
    text = _one_line(err)
    if "max_pixels" in text or "decompression" in text.lower():
        return (
            f"This image is too large for the demo (the limit is {max_pixels:,} pixels; "
            "it may be a decompression bomb)."
        )
    return f"This file is not an image the demo can read: {text}"


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
