"""Super-resolving whole images: seamless tiling with bounded memory, alpha and 16-bit kept.

Tiling contract: the LR image is cut into tiles of `tile_size` x `tile_size` pixels; each tile is
run with `tile_overlap` extra pixels of real image context on every side (less at the image's
edges, where the whole image has no context either), and only the tile's own region of the
output is kept. With an overlap of at least the network's receptive radius
(`receptive_radius`, the default) every output pixel sees exactly the inputs it would see in
one pass over the whole image, so the tiled result equals the whole-image result up to float
rounding: no seams, no blending. Memory is bounded by the tile size, not the image size.
`tile_size=0` runs one pass over the whole image; `tile_size=None` picks one from the image
size so that the activations stay under `AUTO_TILE_BUDGET_BYTES`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .fast_inference import predictor_for
from .image_io import from_model_output, read_image, to_model_alpha, to_model_input
from .layers import PixelShuffle, ResizeByFactor
from .model_io import load_generator
from .models import output_scale

AUTO_TILE_BUDGET_BYTES = 1024**3
_MIN_AUTO_TILE = 64


def receptive_radius(model: keras.Model) -> int:
    """How many LR pixels of context on each side an output pixel depends on (rounded up).

    Walks the layers in order: a KxK convolution running at `f` times the input resolution adds
    (K - 1) / 2 / f LR pixels; a bicubic resize adds 2. For branching models this is an upper
    bound, which is what tiling needs.

    Example:
    >>> receptive_radius(build_generator(num_blocks=2, filters=16))
    12
    """
    radius, _factor = _walk_radius(model, 0.0, 1)
    return math.ceil(radius - 1e-9)


def _walk_radius(model: keras.Model, radius: float, factor: int) -> tuple[float, int]:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            radius, factor = _walk_radius(layer, radius, factor)
        elif isinstance(layer, keras.layers.Conv2D):
            radius += (layer.kernel_size[0] - 1) / 2 * layer.dilation_rate[0] / factor
        elif isinstance(layer, PixelShuffle):
            factor *= layer.factor
        elif isinstance(layer, keras.layers.UpSampling2D):
            factor *= layer.size[0]
        elif isinstance(layer, ResizeByFactor):
            radius += 2 / factor  # the bicubic kernel's support; the output scale follows convs
    return radius, factor


def activation_bytes_per_pixel(model: keras.Model) -> int:
    """Rough peak activation memory per LR pixel: three float32 tensors at the output
    resolution with the widest channel count seen after upsampling."""
    scale = output_scale(model)
    widest = max(
        (layer.filters for layer in _flat_layers(model) if isinstance(layer, keras.layers.Conv2D)),
        default=64,
    )
    return 3 * scale * scale * max(64, widest // 4) * 4


def _flat_layers(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


def choose_tile_size(model: keras.Model, height: int, width: int, overlap: int) -> int:
    """The automatic tile size: 0 (whole image) when it fits the memory budget, else the
    largest multiple of 8 whose padded tile does.

    Example:
    >>> choose_tile_size(build_generator(num_blocks=2, filters=16), 64, 64, overlap=10)
    0
    """
    max_pixels = AUTO_TILE_BUDGET_BYTES // activation_bytes_per_pixel(model)
    if height * width <= max_pixels:
        return 0
    side = int(math.sqrt(max_pixels)) - 2 * overlap
    return max(_MIN_AUTO_TILE, side // 8 * 8)


def upscale_rgb(
    model: keras.Model,
    rgb: np.ndarray,
    *,
    tile_size: int | None = None,
    tile_overlap: int | None = None,
    tile_batch_size: int = 1,
    progress: bool = False,
    runtime: str = "auto",
    precision: str = "float32",
) -> np.ndarray:
    """Runs a generator over an RGB float image of any size, tiling as needed.

    Args:
        model: a generator following the library's contract ([0, 255] in and out).
        rgb: `HxWx3` float array in [0, 255].
        tile_size: LR tile side in pixels; 0 for one pass, None to choose from the image size.
        tile_overlap: LR pixels of context around each tile; defaults to `receptive_radius`.
        tile_batch_size: how many equally-sized tiles run together.
        progress: show a progress bar over the tiles.
        runtime: "auto", "tensorflow" or "openvino" (see `fast_inference`).
        precision: "float32", "float16" (GPU) or "bfloat16" (OpenVINO); see `predictor_for`.

    Returns:
        The `(H*scale)x(W*scale)x3` float32 output (not clipped).

    Example:
    >>> generator = build_generator(num_blocks=2, filters=16)
    >>> upscale_rgb(generator, np.zeros((30, 50, 3), "float32"), tile_size=16).shape
    (120, 200, 3)
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must have shape HxWx3, got {rgb.shape}")
    if tile_size is not None and (not isinstance(tile_size, int) or tile_size < 0):
        raise ValueError(f"tile_size must be None, 0 or a positive integer, got {tile_size!r}")
    if tile_overlap is not None and tile_overlap < 0:
        raise ValueError(f"tile_overlap must be >= 0, got {tile_overlap!r}")
    if tile_batch_size < 1:
        raise ValueError(f"tile_batch_size must be >= 1, got {tile_batch_size!r}")
    predict = predictor_for(model, runtime=runtime, precision=precision)
    height, width = rgb.shape[:2]
    overlap = receptive_radius(model) if tile_overlap is None else tile_overlap
    if tile_size is None:
        tile_size = choose_tile_size(model, height, width, overlap)
    if tile_size == 0 or (tile_size >= height and tile_size >= width):
        return predict(rgb[None])[0]

    scale = output_scale(model)
    output = np.empty((height * scale, width * scale, 3), np.float32)
    groups: dict[tuple[int, int], list[tuple[int, ...]]] = defaultdict(list)
    for top in range(0, height, tile_size):
        for left in range(0, width, tile_size):
            bottom, right = min(top + tile_size, height), min(left + tile_size, width)
            in_top, in_left = max(0, top - overlap), max(0, left - overlap)
            in_bottom, in_right = min(height, bottom + overlap), min(width, right + overlap)
            shape = (in_bottom - in_top, in_right - in_left)
            groups[shape].append((top, left, bottom, right, in_top, in_left, in_bottom, in_right))
    total = sum(len(tiles) for tiles in groups.values())
    with tqdm(total=total, desc="tiles", unit="tile", disable=not progress, leave=False) as bar:
        for tiles in groups.values():
            for start in range(0, len(tiles), tile_batch_size):
                batch = tiles[start : start + tile_batch_size]
                inputs = np.stack([rgb[t[4] : t[6], t[5] : t[7]] for t in batch])
                results = predict(inputs)
                for result, (top, left, bottom, right, in_top, in_left, *_) in zip(results, batch):
                    y0, x0 = (top - in_top) * scale, (left - in_left) * scale
                    output[top * scale : bottom * scale, left * scale : right * scale] = result[
                        y0 : y0 + (bottom - top) * scale, x0 : x0 + (right - left) * scale
                    ]
                bar.update(len(batch))
    return output


def upscale_alpha(alpha: np.ndarray, scale: int) -> np.ndarray:
    """Bicubic upscaling of an alpha channel (`HxW`, [0, 255] scale), clipped to [0, 255].

    Example:
    >>> upscale_alpha(np.full((3, 5), 255.0, "float32"), 4).shape
    (12, 20)
    """
    height, width = alpha.shape
    resized = tf.image.resize(alpha[None, ..., None], (height * scale, width * scale), "bicubic")
    return np.clip(resized.numpy()[0, ..., 0], 0.0, 255.0)


def super_resolve(
    image: Any,
    model: keras.Model | str | None = None,
    *,
    tile_size: int | None = None,
    tile_overlap: int | None = None,
    tile_batch_size: int = 1,
    progress: bool = False,
    runtime: str = "auto",
    precision: str = "float32",
    **read_options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Reads an image, super-resolves it and returns `(lr, sr)` of the same kind and dtype.

    Args:
        image: a path, http(s) URL, bytes, PIL image or numpy array (see `read_image`).
        model: a generator, a model path / URL / registered name, or None for the shipped one.
        tile_size, tile_overlap, tile_batch_size, progress, runtime, precision: see
            `upscale_rgb`.
        **read_options: passed to `read_image` (`max_pixels`, `max_bytes`, `timeout`).

    Returns:
        `(lr, sr)`: the input as read (no resizing, no flipping) and the super-resolved image,
        grayscale / RGB / RGBA like the input, uint8 or uint16 like the input.

    Example:
    >>> lr, sr = super_resolve("photo.png")  # doctest: +SKIP
    >>> sr.shape[0] == 4 * lr.shape[0]  # doctest: +SKIP
    True
    """
    generator = model if isinstance(model, keras.Model) else load_generator(model)
    lr = read_image(image, **read_options)
    rgb, info = to_model_input(lr)
    sr_rgb = upscale_rgb(
        generator,
        rgb,
        tile_size=tile_size,
        tile_overlap=tile_overlap,
        tile_batch_size=tile_batch_size,
        progress=progress,
        runtime=runtime,
        precision=precision,
    )
    alpha = to_model_alpha(lr)
    alpha_sr = None if alpha is None else upscale_alpha(alpha, output_scale(generator))
    return lr, from_model_output(sr_rgb, info, alpha_sr)
