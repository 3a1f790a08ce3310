"""The web demo's work, free of any UI code: read an upload, super-resolve it, compare, save.

Everything that can go wrong with a user's upload is raised as `DemoError` with a one-line
message fit for the page: it names an uploaded file by the name it had on the user's machine,
never by the server's temporary path, and holds no Python object representations.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MAX_PIXELS = 4_000_000
"""Largest upload the demo accepts, in LR pixels (the output has 16 times as many)."""

AUTO_TILE = "auto"
"""Tile-size choice that lets the library pick the tiles from the image size."""

MAX_MODEL_BYTES = 512 * 1024 * 1024
"""Largest model file the demo accepts as an upload (RealESRGAN_x4plus.pth is 67 MB)."""

MODEL_SUFFIXES = (".keras", ".pth", ".safetensors")
"""Model files the demo accepts as uploads: ours, and ESRGAN / Real-ESRGAN PyTorch weights."""

UPLOADED_MODELS_KEPT = 4
"""Uploaded models kept loaded, by content: uploading the same file again reuses the loaded
model (and its compiled fast copy) instead of loading it anew."""

_uploaded_models: collections.OrderedDict[str, Any] = collections.OrderedDict()
_uploaded_models_lock = threading.Lock()

logger = logging.getLogger(__name__)


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
        model: the name of the model that ran (registered name or uploaded file name).
    """

    lr: np.ndarray
    sr: np.ndarray
    bicubic: np.ndarray
    png_path: Path
    seconds: float
    model: str = ""

    @property
    def sr_8bit(self) -> np.ndarray:
        """`sr` with 8 bits per sample, for display (the PNG keeps 16-bit results)."""
        from ..io.write import to_pil

        return np.asarray(to_pil(self.sr))

    @property
    def summary(self) -> str:
        """Model, sizes and time in one line, e.g. `srresnet_x4: 96x96 -> 384x384 in 0.41 s`."""
        (lr_h, lr_w), (sr_h, sr_w) = self.lr.shape[:2], self.sr.shape[:2]
        sizes = f"{lr_w}x{lr_h} -> {sr_w}x{sr_h} in {self.seconds:.2f} s"
        return f"{self.model}: {sizes}" if self.model else sizes


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


def demo_models() -> list[Any]:
    """The registry entries the demo offers: the shipped weights, and downloads whose sha256
    is registered (fetched and verified on first use). Unverifiable downloads are left out.

    Example:
    >>> [entry.name for entry in demo_models() if entry.shipped]
    ['realsr_x4', 'srresnet_x4']
    """
    from ..models.presets import list_pretrained

    return [entry for entry in list_pretrained() if entry.shipped or entry.sha256 is not None]


def model_choices() -> list[tuple[str, str]]:
    """The demo's model menu: (label, registered name) for each of `demo_models()`.

    Example:
    >>> dict(model_choices())["srresnet_x4 (SRResNet x4, shipped)"]
    'srresnet_x4'
    """
    choices = []
    for entry in demo_models():
        if entry.shipped:
            where = "shipped"
        elif entry.size_bytes:
            where = f"downloads {entry.size_bytes / 1e6:.0f} MB on first use"
        else:
            where = "downloads on first use"
        choices.append((f"{entry.name} ({entry.architecture} x{entry.scale}, {where})",
                        entry.name))
    return choices


def load_model(
    name: str | None,
    uploaded: str | os.PathLike | None = None,
    *,
    uploaded_name: str | None = None,
) -> Any:
    """The generator for one of `demo_models()`, or for an uploaded model file when one is
    given (`.keras` saved by this library, or an ESRGAN / Real-ESRGAN `.pth` / `.safetensors`).

    Args:
        name: a registered name offered by the demo (`demo_models()`); None for the
            default, `srresnet_x4`.
        uploaded: path of an uploaded model file; replaces `name`.
        uploaded_name: the uploaded file's own name, for messages (default: the path's name).

    Raises:
        DemoError: unknown name, not a model file, too large, unreadable, or the download of a
            registered model failed.

    Example:
    >>> generator = load_model("srresnet_x4")  # doctest: +SKIP
    """
    from ..io import net
    from ..io.model_io import load_generator

    if uploaded:
        source = _local_upload(uploaded, "model file")
        label = display_name(uploaded_name or source.name)
        if Path(label).suffix.lower() not in MODEL_SUFFIXES and (
                source.suffix.lower() not in MODEL_SUFFIXES):
            raise DemoError(f"Model {label}: upload a .keras file saved by this library, or an "
                            "ESRGAN / Real-ESRGAN .pth or .safetensors file.")
        _check_size(source, label, MAX_MODEL_BYTES, "model file")
        try:
            return _load_uploaded(source)
        except (ValueError, OSError) as err:
            reason = getattr(err, "reason", None) or str(err)
            raise DemoError(f"Model {label} could not be loaded: "
                            f"{_clean(reason, source, label)}") from err
    from ..models.presets import DEFAULT_MODEL

    name = DEFAULT_MODEL if name is None else name
    offered = [entry.name for entry in demo_models()]
    if name not in offered:
        shown = re.sub(r"[^\w .,/:()+\-\[\]=@#~]", "_", str(name))[:80]
        raise DemoError(f"Unknown model {shown!r}; choose one of: "
                        f"{', '.join(offered)}.")
    try:
        return load_generator(name, progress=False)
    except net.DownloadError as err:
        logger.warning("demo: %s", err)
        raise DemoError(f"Model {name} could not be downloaded by the server (it may be "
                        "offline); choose a shipped model, or ask its administrator to put "
                        "the file in the weights cache (see the server log).") from err
    except (ValueError, OSError) as err:
        logger.warning("demo: %s", err)
        raise DemoError(f"Model {name} could not be loaded: {_clean(str(err))}") from err


def _load_uploaded(path: Path) -> Any:
    """`load_generator(path)`, cached by the file's content and suffix (an upload arrives as a
    new file each time, so the library's per-file cache would load it again)."""
    from ..io.model_io import load_generator

    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(2**20), b""):
            digest.update(block)
    key = f"{digest.hexdigest()}{path.suffix.lower()}"
    with _uploaded_models_lock:
        if key in _uploaded_models:
            _uploaded_models.move_to_end(key)
            return _uploaded_models[key]
    generator = load_generator(path, progress=False)
    with _uploaded_models_lock:
        _uploaded_models[key] = generator
        while len(_uploaded_models) > UPLOADED_MODELS_KEPT:
            _uploaded_models.popitem(last=False)
    return generator


def upscale_upload(
    image: Any,
    generator: Any,
    output_dir: str | os.PathLike,
    *,
    tile_size: int | None = None,
    precision: str = "float32",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: bool = False,
    name: str | None = None,
    model_name: str | None = None,
) -> DemoResult:
    """Super-resolves an uploaded image and saves the result as a PNG in `output_dir`.

    Args:
        image: a file path, encoded bytes, PIL image or numpy array (see `read_image`); URLs
            are refused (the demo never fetches anything on a user's behalf).
        generator: a loaded generator (`load_model`).
        output_dir: existing folder for the PNG (a new, unique name each call).
        tile_size: see `upscale_rgb` (None chooses from the image size).
        precision: "float32", "float16" or "bfloat16" (see `upscale_rgb`).
        max_pixels: largest input accepted, in pixels; None for no limit. Files larger than
            16 bytes a pixel (plus 1 MiB) are refused before they are read.
        progress: report progress over the tiles with tqdm (Gradio can track it).
        name: the upload's own file name, for messages (default: the path's file name).
        model_name: the model's name for the summary (default: the Keras model's name).

    Returns:
        A `DemoResult`.

    Raises:
        DemoError: the upload is missing, not an image, truncated, too large or a
            decompression bomb, or the settings are invalid.

    Example:
    >>> result = upscale_upload("photo.png", load_model("srresnet_x4"), "/tmp")  # doctest: +SKIP
    >>> result.summary  # doctest: +SKIP
    'srresnet: 96x96 -> 384x384 in 0.41 s'
    """
    from ..inference import Upscaler
    from ..io.write import write_image
    from ..validation import SourceError

    if image is None:
        raise DemoError("Upload an image first.")
    path = None
    if isinstance(image, (str, os.PathLike)):
        path = _local_upload(image, "image")
        name = display_name(name or path.name)
        if max_pixels is not None:
            _check_size(path, name, 16 * max_pixels + 2**20, "image")
        try:
            image = path.read_bytes()
        except OSError as err:
            raise DemoError(f"{name} could not be read on the server; upload it again.") from err
    label = display_name(name) if name else "The upload"
    try:
        upscaler = Upscaler(generator, tile_size=tile_size, precision=precision,
                            max_pixels=max_pixels, progress=progress)
    except ValueError as err:
        raise DemoError(f"Invalid settings: {_clean(str(err))}") from err
    try:
        lr = upscaler.read(image)
    except SourceError as err:
        raise DemoError(_upload_message(label, err, max_pixels)) from err
    except (ValueError, OSError, TypeError) as err:
        raise DemoError(f"{label} is not an image the demo can read: "
                        f"{_clean(str(err), path, label)}") from err
    start = time.perf_counter()
    try:
        _lr, sr = upscaler.upscale(lr)
    except ValueError as err:
        raise DemoError(f"Could not super-resolve this image: {_clean(str(err))}") from err
    seconds = time.perf_counter() - start
    out = Path(output_dir) / f"super_resolved_{uuid.uuid4().hex[:12]}.png"
    write_image(sr, out)
    model = model_name if model_name is not None else str(getattr(generator, "name", ""))
    return DemoResult(lr=lr, sr=sr, bicubic=bicubic_like(lr, sr), png_path=out,
                      seconds=seconds, model=display_name(model) if model else "")


def bicubic_like(lr: np.ndarray, sr: np.ndarray) -> np.ndarray:
    """`lr` resized with bicubic interpolation to `sr`'s size, as 8-bit RGB(A) for display: the
    library's one bicubic baseline (`io.pixels.bicubic_upscale`, also evaluation's).

    Example:
    >>> bicubic_like(np.zeros((2, 3, 3), "uint8"), np.zeros((8, 12, 3), "uint8")).shape
    (8, 12, 3)
    """
    from ..io.pixels import bicubic_upscale, to_8bit

    image = to_8bit(lr)
    upscaled = bicubic_upscale(np.atleast_3d(image), sr.shape[:2]).numpy().astype(np.uint8)
    return upscaled.reshape(sr.shape[:2] + image.shape[2:])


def display_name(name: str) -> str:
    """A user-supplied file name made safe to show: no folders, no markup, at most 80
    characters.

    Example:
    >>> display_name("/tmp/gradio/0f3a/holiday <1>.png")
    'holiday _1_.png'
    """
    name = re.split(r"[\\/]", str(name))[-1]
    name = re.sub(r"[^\w .,()+\-\[\]=@#~]", "_", name).strip() or "upload"
    return name if len(name) <= 80 else f"{name[:38]}...{name[-39:]}"


_OBJECT_REPR = re.compile(r"\s*<[^<>]*\bat 0x[0-9a-fA-F]+>")


def _clean(text: str, path: Path | None = None, label: str | None = None) -> str:
    """One line, without Python object representations and with the server's path of an
    upload (and its folder) replaced by the upload's own name."""
    text = " ".join(str(text).split())
    if path is not None and label is not None:
        for form in sorted({str(path), str(path.resolve())}, key=len, reverse=True):
            text = text.replace(form, label)
        for folder in sorted({str(path.parent), str(path.resolve().parent)}, key=len,
                             reverse=True):
            text = text.replace(folder + os.sep, "")
    return _OBJECT_REPR.sub("", text).strip() or "unknown error"


def _local_upload(value: str | os.PathLike, what: str) -> Path:
    from ..io import net

    if net.is_url(os.fspath(value)):
        raise DemoError(f"Upload the {what} itself; the demo does not fetch URLs.")
    path = Path(value)
    if not path.is_file():
        raise DemoError(f"The uploaded {what} is no longer on the server; upload it again.")
    return path


def _check_size(path: Path, label: str, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise DemoError(f"{label} is too large for the demo ({size / 2**20:,.1f} MiB; the limit "
                        f"for a {what} is {limit / 2**20:,.0f} MiB).")


_PIXEL_COUNT = re.compile(r"is (\d+)x(\d+) = ([\d,]+) pixels")


def _upload_message(label: str, err: Any, max_pixels: int | None) -> str:
    """The page's message for a `SourceError` from `read_image`."""
    if getattr(err, "argument", None) == "max_pixels":
        found = _PIXEL_COUNT.search(err.reason)
        size = f"; this one has {found[1]}x{found[2]} = {found[3]}" if found else ""
        return (f"{label} is too large for the demo (the limit is {max_pixels:,} pixels{size}; "
                "it may be a decompression bomb).")
    reason = _clean(err.reason)
    if reason.startswith("is not a readable image"):
        return (f"{label} is not an image the demo can read (PNG, JPEG, WebP, TIFF, BMP or GIF "
                "expected).")
    return f"{label} {reason}"
