"""The tiling engine behind `Upscaler`: tiled runs of a generator's fast path over an RGB image.

See `tiling` for the tiling contract. `tile_size=0` runs one pass over the whole image;
`tile_size=None` picks one from the image size so that the activations stay under
`memory.AUTO_TILE_BUDGET_BYTES`. With the default overlap (the network's own `tile_overlap`),
networks that state a trunk / tail cut (`models.network.trunk_split`: SRResNet, RRDBNet x4 and
x8) are tiled in two stages: the trunk (the blocks at LR resolution) needs far less memory per
pixel than the upsampling tail, so it runs on larger tiles, and the tail's tiles need only the
tail's few pixels of context. For SRResNet and SRVGGNetCompact the result equals the
whole-image one up to float rounding; for RRDBNet the default overlap is its measured
effective receptive field (README, "Tiling"). BENCHMARKS.md has the measurements.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ..models.network import output_scale
from ..models.srresnet import SRResNet  # noqa: F401 (the examples use it)
from ..validation import ArgumentError
from . import memory, runtimes
from .predictors import Stage, fast_path
from .runtimes import Predictor
from .tiling import Box, box_slices, largest_tile, tile_boxes, two_stage_plan

__all__ = ["check_tiling", "tiled_upscale", "upscale_alpha"]


def tiled_upscale(
    model: keras.Model,
    rgb: np.ndarray,
    *,
    tile_size: int | None = None,
    tile_overlap: int | None = None,
    tile_batch_size: int = 1,
    progress: bool = False,
    runtime: str = "auto",
    precision: str = "float32",
    threads: int | None = None,
) -> np.ndarray:
    """Runs a generator over an RGB float image of any size, tiling as needed (the work of
    `Upscaler.upscale_rgb`, whose options these are).

    Args:
        model: a generator following the library's contract ([0, 255] in and out).
        rgb: `HxWx3` float array in [0, 255].
        tile_size: LR tile side in pixels at most (for `build_generator` models with the
            default overlap: the upsampling stage's tiles; the trunk's are as large as the same
            memory allows, and no smaller); 0 for one pass, None to choose from the image size.
        tile_overlap: LR pixels of context around each tile; defaults to the network's
            `tile_overlap` (and then to two-stage tiling where the network states a trunk / tail
            cut, see the module docstring).
        tile_batch_size: how many tiles run together (of one image, or of one trunk tile in
            two-stage tiling: tiles of one shape).
        progress: show a progress bar over the tiles.
        runtime: "auto", "tensorflow" or "openvino" (see `runtimes`).
        precision: "float32", "float16" (GPU) or "bfloat16" (OpenVINO); see `predictor_for`.

    Returns:
        The `(H*scale)x(W*scale)x3` float32 output (not clipped).

    Example:
    >>> generator = SRResNet(num_blocks=2, filters=16)
    >>> tiled_upscale(generator, np.zeros((30, 50, 3), "float32"), tile_size=16).shape
    (120, 200, 3)
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or not rgb.size:
        raise ValueError(f"rgb must have shape HxWx3 with H, W > 0, got {rgb.shape}")
    check_tiling(tile_size, tile_overlap, tile_batch_size)
    height, width = rgb.shape[:2]
    path = fast_path(model, runtime=runtime, precision=precision, threads=threads)
    overlap = path.whole.overlap if tile_overlap is None else tile_overlap
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


def check_tiling(tile_size: Any, tile_overlap: Any, tile_batch_size: Any) -> None:
    """Raises `ArgumentError` for an unusable tile size, overlap or batch size.

    Example:
    >>> check_tiling(None, None, 1)
    """
    if tile_size is not None and (
            not isinstance(tile_size, int) or isinstance(tile_size, bool) or tile_size < 0):
        raise ArgumentError(
            "tile_size", f"tile_size must be None, 0 or a positive integer, got {tile_size!r}")
    if tile_overlap is not None and (not isinstance(tile_overlap, int) or tile_overlap < 0):
        raise ArgumentError("tile_overlap", f"tile_overlap must be >= 0, got {tile_overlap!r}")
    if not isinstance(tile_batch_size, int) or tile_batch_size < 1:
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
    tail_overlap = tail.overlap
    trunk_radius = trunk.overlap
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
            # The tail's inputs, in `models.network.TrunkSplit`'s order.
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
