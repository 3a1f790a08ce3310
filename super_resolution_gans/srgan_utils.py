"""The predecessor's public functions, `SRGAN_predict` and `show_image`, on the new library.

SuperResolution-GANs 0.0.x users called `srgan_utils.SRGAN_predict(path, model_path)` and
`srgan_utils.show_image(sr)`; both names keep working. What changed from 0.0.x:

- `SRGAN_predict` returns the image as read and its super-resolution as `uint8` arrays
  (`uint16` for 16-bit input), not float arrays in [-1, 1];
- the input is no longer squashed to 64x64 nor flipped left-right at random: the whole image is
  super-resolved at its own size and aspect ratio (tiled when large, without seams), and
  grayscale or RGBA inputs give grayscale or RGBA outputs;
- the model is loaded once and cached, not reloaded from disk on every call; `model_path` may
  be omitted to use the weights shipped with the package;
- `output_path` (formerly `outputPath`, which saved a matplotlib figure) writes the
  super-resolved image itself.

Nothing happens at import time: matplotlib is imported only by `show_image`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from .inference.upscaler import Upscaler
from .io.write import to_pil, write_image

__all__ = ["SRGAN_predict", "show_image"]


def SRGAN_predict(  # noqa: N802 (the predecessor's public name)
    lr_image_path: Any,
    model_path: Any = None,
    *,
    tile_size: int | None = None,
    tile_overlap: int | None = None,
    output_path: str | os.PathLike | None = None,
    progress: bool = False,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Super-resolves one image and returns `(lr, sr)`; a thin wrapper over `Upscaler`.

    Args:
        lr_image_path: the low-resolution image: a path (`str` or `pathlib.Path`), an http(s)
            URL, a `PIL.Image.Image` or a numpy array (`uint8`, `uint16`, or float in [0, 255]).
        model_path: a model file (`.keras`, `.weights.h5`, the predecessor's Keras-2 `.h5`, or a
            PyTorch `.pth` / `.safetensors` of ESRGAN / Real-ESRGAN), an http(s) URL to one, a
            registered name (`list_pretrained()`, e.g. "realesrgan_x4plus": downloaded,
            verified and converted on first use), a loaded generator, or None for the weights
            shipped with the package.
        tile_size: LR tile side in pixels at most; 0 for one pass over the whole image, None
            to choose from the image size (see `inference` for the tiling contract).
        tile_overlap: LR pixels of context around each tile; defaults to the network's
            receptive radius, which makes the tiled result equal the whole-image one.
        output_path: also write the super-resolved image there (atomically; the format follows
            the extension: .png, .jpg, .jpeg, .webp, .tif, .tiff, .bmp). The folder must exist.
        progress: show a progress bar over the tiles.
        **options: other `UpscaleOptions` fields: `max_pixels` (decompression-bomb limit),
            `max_bytes` and `timeout` (for URLs), `runtime`, `precision`, `tile_batch_size`.
            `outputPath=` is accepted as a deprecated alias of `output_path` (the 0.0.x name).

    Returns:
        `(lr, sr)`: the input exactly as read (no resizing, no flipping; EXIF orientation
        applied) and the super-resolved image, `scale` times larger on each side. Both are
        `uint8` (`uint16` for 16-bit input) and grayscale (`HxW`), RGB (`HxWx3`) or RGBA
        (`HxWx4`) like the input.

    Raises:
        FileNotFoundError: the image or model file does not exist, or the shipped weights are
            not part of this installation (pass `model_path`).
        ValueError: the image or model is unreadable, corrupt, too large or of an unknown
            layout; an unsupported URL scheme or output extension. Messages name the input.
        net.DownloadError: a URL could not be downloaded (HTTP error, timeout, too large).

    Changed from 0.0.x: arrays are `uint8` now, not float in [-1, 1]; no 64x64 squashing and no
    random flip; grayscale, RGBA and 16-bit inputs keep their kind; the model is loaded once
    and cached; `output_path` writes the SR image, not a matplotlib figure.

    Example:

    ```python
    from super_resolution_gans.srgan_utils import SRGAN_predict, show_image

    lr, sr = SRGAN_predict("photo.png", "generator.keras", output_path="photo_x4.png")
    lr.shape, sr.shape  # ((120, 160, 3), (480, 640, 3)), both uint8
    lr, sr = SRGAN_predict("photo.jpg", "realesrgan_x4plus")  # photo-realistic GAN texture
    show_image(sr, title="4x")
    ```
    """
    if "outputPath" in options:
        legacy = options.pop("outputPath")
        if output_path is not None:
            raise TypeError("give output_path or its deprecated alias outputPath, not both")
        warnings.warn(
            "SRGAN_predict(outputPath=...) is deprecated; use output_path=... (it now writes "
            "the super-resolved image, not a figure)",
            DeprecationWarning,
            stacklevel=2,
        )
        output_path = legacy
    upscaler = Upscaler(model_path, tile_size=tile_size, tile_overlap=tile_overlap,
                        progress=progress, **options)
    lr, sr = upscaler.upscale(lr_image_path)
    if output_path is not None:
        write_image(sr, output_path)
    return lr, sr


def show_image(img: np.ndarray, *, title: str | None = None, ax: Any = None) -> Any:
    """Shows an image returned by `SRGAN_predict` with matplotlib and returns the Axes.

    Takes what `SRGAN_predict` returns: `uint8` or `uint16` arrays, grayscale (`HxW`, shown
    with a gray colour map), RGB or RGBA; float arrays must be in [0, 255] (the predecessor's
    [-1, 1] arrays are refused with a ValueError rather than shown wrongly). 16-bit images are
    reduced to 8 bits for display. In a notebook the figure appears by itself; in a script call
    `matplotlib.pyplot.show()` afterwards. matplotlib is an optional dependency
    (`pip install matplotlib`).

    Args:
        img: the image array.
        title: optional title above the image.
        ax: a matplotlib Axes to draw into; by default a new figure is created.

    Returns:
        The matplotlib Axes holding the image.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError / TypeError: `img` is not an image array (see `read_image`).

    Example:

    ```python
    lr, sr = SRGAN_predict("photo.png")
    ax = show_image(sr, title="super-resolved")
    ax.figure.savefig("sr_figure.png")
    ```
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            "show_image needs matplotlib, which is not installed: pip install matplotlib"
        ) from err
    pixels = np.asarray(to_pil(img))  # validates; uint8 for display
    if ax is None:
        _figure, ax = plt.subplots()
    if pixels.ndim == 2:
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(pixels, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax
