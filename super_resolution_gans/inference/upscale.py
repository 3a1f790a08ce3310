"""Super-resolving whole images: tiled runs of a generator's fast path, alpha and 16-bit kept.

See `tiling` for the tiling contract. `tile_size=0` runs one pass over the whole image;
`tile_size=None` picks one from the image size so that the activations stay under
`memory.AUTO_TILE_BUDGET_BYTES`. With the default overlap, `SRResNet` models are tiled in two
stages (`predictors.fast_path`): the trunk (the residual blocks at LR resolution) needs far less
memory per pixel than the upsampling tail, so it runs on larger tiles, and the tail's tiles
need only the tail's few pixels of context. The result is the same, up to float rounding, with
far less computed twice (BENCHMARKS.md has the measurements).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ..io.decode import read_image
from ..io.model_io import load_generator
from ..io.pixels import from_model_output, to_model_alpha, to_model_input
from ..models.srresnet import SRResNet, output_scale  # noqa: F401 (the examples use SRResNet)
from ..validation import ArgumentError
from . import memory, runtimes
from .predictors import Stage, fast_path
from .runtimes import Predictor
from .tiling import Box, box_slices, largest_tile, tile_boxes, two_stage_plan

__all__ = ["super_resolve", "upscale_alpha", "upscale_rgb"]


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
        tile_size: LR tile side in pixels at most (for `build_generator` models with the
            default overlap: the upsampling stage's tiles; the trunk's are as large as the same
            memory allows, and no smaller); 0 for one pass, None to choose from the image size.
        tile_overlap: LR pixels of context around each tile; defaults to `receptive_radius`
            (and then to two-stage tiling where the model allows it, see the module docstring).
        tile_batch_size: how many tiles run together (of one image, or of one trunk tile in
            two-stage tiling: tiles of one shape).
        progress: show a progress bar over the tiles.
        runtime: "auto", "tensorflow" or "openvino" (see `runtimes`).
        precision: "float32", "float16" (GPU) or "bfloat16" (OpenVINO); see `predictor_for`.

    Returns:
        The `(H*scale)x(W*scale)x3` float32 output (not clipped).

    Example:
    >>> generator = SRResNet(num_blocks=2, filters=16)
    >>> upscale_rgb(generator, np.zeros((30, 50, 3), "float32"), tile_size=16).shape
    (120, 200, 3)
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or not rgb.size:
        raise ValueError(f"rgb must have shape HxWx3 with H, W > 0, got {rgb.shape}")
    _check_tiling(tile_size, tile_overlap, tile_batch_size)
    height, width = rgb.shape[:2]
    overlap = memory.receptive_radius(model) if tile_overlap is None else tile_overlap
    path = fast_path(model, runtime=runtime, precision=precision)
    stages = None if tile_overlap is not None else path.stages
    if stages is None:
        predict = path.whole.predict
        resolved = predict.runtime  # TensorFlow where OpenVINO could not convert the model
    else:  # the library's layout, which OpenVINO converts
        resolved = runtimes.resolve_runtime(runtime)
    auto = tile_size is None
    if auto:
        tile_size = memory.choose_tile_size(model, height, width, overlap, resolved)
    if tile_size == 0 or (tile_size >= height and tile_size >= width):
        return path.whole.predict(rgb[None])[0]

    scale = output_scale(model)
    image: Box = ((0, height), (0, width))
    if stages is None:
        tiles = tile_boxes(image, tile_size, overlap, image)
        with tqdm(total=len(tiles), desc="tiles", unit="tile", disable=not progress,
                  leave=False) as bar:
            return _predict_tiles(predict, [rgb], scale, image, tiles, tile_batch_size, bar)
    return _upscale_in_two_stages(
        *stages, rgb, scale, None if auto else tile_size, resolved, tile_batch_size, progress
    )


def _check_tiling(tile_size: Any, tile_overlap: Any, tile_batch_size: Any) -> None:
    if tile_size is not None and (not isinstance(tile_size, int) or tile_size < 0):
        raise ArgumentError(
            "tile_size", f"tile_size must be None, 0 or a positive integer, got {tile_size!r}")
    if tile_overlap is not None and tile_overlap < 0:
        raise ArgumentError("tile_overlap", f"tile_overlap must be >= 0, got {tile_overlap!r}")
    if tile_batch_size < 1:
        raise ArgumentError(
            "tile_batch_size", f"tile_batch_size must be >= 1, got {tile_batch_size!r}")


def _upscale_in_two_stages(
    trunk: Stage,
    tail: Stage,
    rgb: np.ndarray,
    scale: int,
    tile_size: int | None,
    runtime: str,
    batch_size: int,
    progress: bool,
) -> np.ndarray:
    """The trunk on large tiles, then the tail on small tiles of each trunk tile's features.

    A trunk window holds the trunk tile plus the trunk's and the tail's radius of context, so
    its features are exact at least on the trunk tile plus the tail's radius, which holds the
    windows of the tail tiles."""
    height, width = rgb.shape[:2]
    tail_overlap = memory.receptive_radius(tail.model)
    trunk_radius = memory.receptive_radius(trunk.model)
    trunk_overlap = trunk_radius + tail_overlap
    tail_bytes = memory.activation_bytes_per_pixel(tail.model, runtime)
    # Each stage takes half the budget: OpenVINO keeps both stages' buffers between calls
    # (one compiled shape each for an image, see `_two_stage_plan`).
    if tile_size is None:
        budget = memory.AUTO_TILE_BUDGET_BYTES // 2
        tail_tile = largest_tile(budget, tail_bytes, tail_overlap)
    else:
        tail_tile = tile_size
        budget = (tile_size + 2 * tail_overlap) ** 2 * tail_bytes
    trunk_side = math.isqrt(budget // memory.activation_bytes_per_pixel(trunk.model, runtime))
    trunk_tile = max(tail_tile, trunk_side - 2 * trunk_overlap)

    plan = two_stage_plan((height, width), trunk_tile, trunk_radius, tail_tile, tail_overlap)
    output = np.empty((height * scale, width * scale, 3), np.float32)
    total = sum(1 + len(tiles) for *_, tiles in plan)
    with tqdm(total=total, desc="tiles", unit="tile", disable=not progress, leave=False) as bar:
        for piece, window, exact, tiles in plan:
            features = trunk.predict(rgb[box_slices(window)][None])[0]
            bar.update(1)
            # The tail's inputs, in `predictors._split_at_trunk`'s order.
            inputs = [features[box_slices(exact, origin=window)], rgb[box_slices(exact)]]
            result = _predict_tiles(
                tail.predict, inputs[: len(tail.model.inputs)], scale, piece, tiles, batch_size,
                bar, origin=exact,
            )
            output[box_slices(piece, scale=scale)] = result
    return output


def _predict_tiles(
    predict: Predictor,
    inputs: list[np.ndarray],
    scale: int,
    region: Box,
    tiles: list[tuple[Box, Box]],
    batch_size: int,
    bar: Any,
    *,
    origin: Box | None = None,
) -> np.ndarray:
    """The output of `region`, tile by tile: each window of the `inputs` (HxWxC arrays whose
    corner is that of `origin`, the image's by default) predicted, its piece kept."""
    (top, bottom), (left, right) = region
    output = np.empty(((bottom - top) * scale, (right - left) * scale, 3), np.float32)
    for start in range(0, len(tiles), batch_size):
        batch = tiles[start : start + batch_size]
        windows = [np.stack([x[box_slices(window, origin=origin)] for _, window in batch])
                   for x in inputs]
        for result, (piece, window) in zip(predict(*windows), batch, strict=True):
            output[box_slices(piece, origin=region, scale=scale)] = result[
                box_slices(piece, origin=window, scale=scale)
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
