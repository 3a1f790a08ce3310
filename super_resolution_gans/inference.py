"""Super-resolving whole images: seamless tiling with bounded memory, alpha and 16-bit kept.

Tiling contract: the LR image is cut into tiles of at most `tile_size` x `tile_size` pixels;
each tile is run with at least `tile_overlap` extra pixels of real image context on every side
(less at the image's edges, where the whole image has no context either), and only the tile's
own region of the output is kept. The windows a tiling runs all have one shape, as small as
the number of tiles allows (tiles at the image's edges are longer, by the context they need
not have there). With an overlap of at least the network's receptive radius
(`receptive_radius`, the default) every output pixel sees exactly the inputs it would see in
one pass over the whole image, so the tiled result equals the whole-image result up to float
rounding: no seams, no blending. Memory is bounded by the tile size, not the image size.
`tile_size=0` runs one pass over the whole image; `tile_size=None` picks one from the image
size so that the activations stay under `AUTO_TILE_BUDGET_BYTES` (the two stages below
together).

Two stages. With the default overlap, `build_generator` models are tiled in two stages
(`fast_inference.fast_path`): the trunk (the residual blocks at LR resolution; a receptive
radius of 37 LR pixels in the paper's network) needs a quarter (OpenVINO) to a tenth
(TensorFlow) of the memory per pixel of the upsampling tail (radius 3 or 4), so it runs on
tiles two to three times wider, and the tail's tiles need only the tail's few pixels of
context. The result is the same, up to float rounding, with far less computed twice: 1,024 x
1,024 LR pixels in tiles of 208 with 40 pixels of context on each side compute 1.7 times the
pixels they keep; in two stages on OpenVINO the trunk computes 1.16 and the tail 1.04 times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .fast_inference import Predictor, Stage, fast_path, resolve_runtime
from .image_io import from_model_output, read_image, to_model_alpha, to_model_input
from .layers import PixelShuffle, ResizeByFactor
from .model_io import load_generator
from .models import output_scale

AUTO_TILE_BUDGET_BYTES = 1024**3
_MIN_AUTO_TILE = 64

Span = tuple[int, int]  # [start, stop) along one axis
Box = tuple[Span, Span]  # rows, columns


def receptive_radius(model: keras.Model) -> int:
    """How many LR pixels of context on each side an output pixel depends on (rounded up).

    Walks the layers in order: a KxK convolution running at `f` times the input resolution adds
    (K - 1) / 2 / f LR pixels; a bicubic resize adds 2 / f. For branching models the radii of
    the branches are added up, an upper bound, which is what tiling needs; `f` is the factor
    reached at that point of the layer order, which is the branch's own where the branches
    are in sequence (the global skip's bicubic resize of the LR input, listed after the
    shuffles, counts for less than its 2 pixels; the convolutions' 2.5 or more cover it).

    Example:
    >>> receptive_radius(build_generator(num_blocks=2, filters=16))
    12
    """
    radius = 0.0
    for layer, factor in _layers_with_factor(model):
        if isinstance(layer, keras.layers.Conv2D):
            radius += (layer.kernel_size[0] - 1) / 2 * layer.dilation_rate[0] / factor
        elif isinstance(layer, ResizeByFactor):
            radius += 2 / factor  # the bicubic kernel's support; the output scale follows convs
    return math.ceil(radius - 1e-9)


# Float32 tensors as wide as the widest convolution output that are alive at the peak, per
# runtime: fitted to the peak resident memory measured on the paper's SRResNet x4 (per LR
# pixel; whole network or upsampling tail / trunk): TensorFlow 16.5 / 1.6 KB, OpenVINO, which
# reuses buffers and computes element-wise layers in place, 5.5 / 1.3 KB.
_PEAK_TENSORS = {"tensorflow": 4.0, "openvino": 1.25}


def activation_bytes_per_pixel(model: keras.Model, runtime: str = "tensorflow") -> int:
    """Peak activation memory per LR pixel on `runtime` (see `resolve_runtime`): a few
    float32 tensors as wide as the widest convolution output (its channels times the square
    of the resolution factor it runs at), plus 1 KiB. For the paper's SRResNet x4: 17.4 KB
    (TensorFlow) and 6.1 KB (OpenVINO); for its trunk alone 2.0 and 1.3 KB.

    Example:
    >>> activation_bytes_per_pixel(build_generator())  # 256 channels at 2x: 1024 per LR pixel
    17408
    """
    widest = max(
        (layer.filters * factor**2 for layer, factor in _layers_with_factor(model)
         if isinstance(layer, keras.layers.Conv2D)),
        default=64,
    )
    return int(4 * (_PEAK_TENSORS[resolve_runtime(runtime)] * widest + 256))


def _layers_with_factor(model: keras.Model) -> Iterator[tuple[keras.layers.Layer, int]]:
    """Every layer (nested models flattened) in order, with the resolution factor, relative to
    the model's input, that the layer's input runs at."""
    factor = 1
    for layer in _flat_layers(model):
        yield layer, factor
        if isinstance(layer, PixelShuffle):
            factor *= layer.factor
        elif isinstance(layer, keras.layers.UpSampling2D):
            factor *= layer.size[0]


def _flat_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


def choose_tile_size(
    model: keras.Model, height: int, width: int, overlap: int, runtime: str = "tensorflow"
) -> int:
    """The automatic single-stage tile size on `runtime` (see `resolve_runtime`): 0 (whole
    image) when it fits the memory budget, else the largest tile whose padded window does (at
    least 64).

    Example:
    >>> choose_tile_size(build_generator(num_blocks=2, filters=16), 64, 64, overlap=10)
    0
    """
    bytes_per_pixel = activation_bytes_per_pixel(model, runtime)
    if height * width * bytes_per_pixel <= AUTO_TILE_BUDGET_BYTES:
        return 0
    return _largest_tile(AUTO_TILE_BUDGET_BYTES, bytes_per_pixel, overlap)


def _largest_tile(budget_bytes: int, bytes_per_pixel: int, overlap: int) -> int:
    side = math.isqrt(budget_bytes // bytes_per_pixel)
    return max(_MIN_AUTO_TILE, side - 2 * overlap)


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
    if rgb.ndim != 3 or rgb.shape[2] != 3 or not rgb.size:
        raise ValueError(f"rgb must have shape HxWx3 with H, W > 0, got {rgb.shape}")
    if tile_size is not None and (not isinstance(tile_size, int) or tile_size < 0):
        raise ValueError(f"tile_size must be None, 0 or a positive integer, got {tile_size!r}")
    if tile_overlap is not None and tile_overlap < 0:
        raise ValueError(f"tile_overlap must be >= 0, got {tile_overlap!r}")
    if tile_batch_size < 1:
        raise ValueError(f"tile_batch_size must be >= 1, got {tile_batch_size!r}")
    height, width = rgb.shape[:2]
    overlap = receptive_radius(model) if tile_overlap is None else tile_overlap
    path = fast_path(model, runtime=runtime, precision=precision)
    stages = None if tile_overlap is not None else path.stages
    if stages is None:
        predict = path.whole.predict
        resolved = predict.runtime  # TensorFlow where OpenVINO could not convert the model
    else:  # the library's layout, which OpenVINO converts
        resolved = resolve_runtime(runtime)
    auto = tile_size is None
    if auto:
        tile_size = choose_tile_size(model, height, width, overlap, resolved)
    if tile_size == 0 or (tile_size >= height and tile_size >= width):
        return path.whole.predict(rgb[None])[0]

    scale = output_scale(model)
    image: Box = ((0, height), (0, width))
    if stages is None:
        tiles = _tiles(image, tile_size, overlap, image)
        with tqdm(total=len(tiles), desc="tiles", unit="tile", disable=not progress,
                  leave=False) as bar:
            return _predict_tiles(predict, [rgb], scale, image, tiles, tile_batch_size, bar)
    return _upscale_in_two_stages(
        *stages, rgb, scale, None if auto else tile_size, resolved, tile_batch_size, progress
    )


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
    tail_overlap = receptive_radius(tail.model)
    trunk_radius = receptive_radius(trunk.model)
    trunk_overlap = trunk_radius + tail_overlap
    tail_bytes = activation_bytes_per_pixel(tail.model, runtime)
    # Each stage takes half the budget: OpenVINO keeps both stages' buffers between calls
    # (one compiled shape each for an image, see `_two_stage_plan`).
    if tile_size is None:
        budget = AUTO_TILE_BUDGET_BYTES // 2
        tail_tile = _largest_tile(budget, tail_bytes, tail_overlap)
    else:
        tail_tile = tile_size
        budget = (tile_size + 2 * tail_overlap) ** 2 * tail_bytes
    trunk_side = math.isqrt(budget // activation_bytes_per_pixel(trunk.model, runtime))
    trunk_tile = max(tail_tile, trunk_side - 2 * trunk_overlap)

    plan = _two_stage_plan((height, width), trunk_tile, trunk_radius, tail_tile, tail_overlap)
    output = np.empty((height * scale, width * scale, 3), np.float32)
    total = sum(1 + len(tiles) for *_, tiles in plan)
    with tqdm(total=total, desc="tiles", unit="tile", disable=not progress, leave=False) as bar:
        for piece, window, exact, tiles in plan:
            features = trunk.predict(rgb[_slices(window)][None])[0]
            bar.update(1)
            # The tail's inputs, in `fast_inference._split_at_trunk`'s order.
            inputs = [features[_slices(exact, origin=window)], rgb[_slices(exact)]]
            result = _predict_tiles(
                tail.predict, inputs[: len(tail.model.inputs)], scale, piece, tiles, batch_size,
                bar, origin=exact,
            )
            output[_slices(piece, scale=scale)] = result
    return output


def _two_stage_plan(
    shape: tuple[int, int], trunk_tile: int, trunk_radius: int, tail_tile: int, tail_overlap: int
) -> list[tuple[Box, Box, Box, list[tuple[Box, Box]]]]:
    """`(trunk piece, trunk window, exact region, tail tiles)` of each trunk tile, row by row.

    The exact region is where the trunk window's features are exact: the window less the
    trunk's radius on every side inside the image. It holds the trunk piece plus the tail's
    radius, which is all the context the tail's tiles of that piece need. The tail's windows
    have one length per axis in the whole image (where every exact region holds it: unless
    trunk tiles are hardly larger than tail tiles), so that they all have one shape."""
    per_axis = []
    for length in shape:
        image = (0, length)
        trunks = _spans(image, trunk_tile, trunk_radius + tail_overlap, image)
        exact = [(start + trunk_radius if start > 0 else 0,
                  stop - trunk_radius if stop < length else length)
                 for _, (start, stop) in trunks]
        pieces = [(piece, bound) for (piece, _), bound in zip(trunks, exact, strict=True)]
        # Of the lengths each trunk piece would choose alone, the one computing the fewest
        # pixels along this axis (the areas are products of the two axes' lengths). A length
        # of at most twice the overlap covers only a bound of its own length.
        candidates = {_cover_length(piece, tail_tile, tail_overlap, bound)
                      for piece, bound in pieces}
        candidates = {n for n in candidates if n > 2 * tail_overlap} or {max(candidates)}
        tails = min((_covers(pieces, n, tail_overlap) for n in sorted(candidates)),
                    key=lambda covers: sum(w[1] - w[0] for spans in covers for _, w in spans))
        per_axis.append(list(zip(trunks, exact, tails, strict=True)))
    rows, columns = per_axis
    return [((row_piece, column_piece), (row_window, column_window), (row_exact, column_exact),
             _boxes(row_tails, column_tails))
            for ((row_piece, row_window), row_exact, row_tails),
                ((column_piece, column_window), column_exact, column_tails)
            in itertools.product(rows, columns)]


def _covers(
    pieces: list[tuple[Span, Span]], length: int, overlap: int
) -> list[list[tuple[Span, Span]]]:
    """`_cover` of every `(piece, bound)` with windows of `length`, or of its bound's."""
    return [_cover(piece, min(length, bound[1] - bound[0]), overlap, bound)
            for piece, bound in pieces]


def _cover_length(piece: Span, tile: int, overlap: int, bound: Span) -> int:
    """The window length `_spans` chooses."""
    (_, window), *_ = _spans(piece, tile, overlap, bound)
    return window[1] - window[0]


def _spans(piece: Span, tile: int, overlap: int, bound: Span) -> list[tuple[Span, Span]]:
    """`(piece, window)` pairs covering `piece`: as few windows as windows of `tile` plus
    `overlap` on each side need, all of one length, as short as that count allows (see
    `_cover`)."""
    longest = min(tile + 2 * overlap, bound[1] - bound[0])
    count = len(_cover(piece, longest, overlap, bound))
    shortest = min(longest, 2 * overlap + 1)
    while shortest < longest:  # the count only falls as the windows grow
        middle = (shortest + longest) // 2
        if len(_cover(piece, middle, overlap, bound)) > count:
            shortest = middle + 1
        else:
            longest = middle
    return _cover(piece, longest, overlap, bound)


def _cover(piece: Span, length: int, overlap: int, bound: Span) -> list[tuple[Span, Span]]:
    """`(piece, window)` pairs covering `piece` with windows of `length` inside `bound`, from
    its start: each window starts `overlap` before its piece, or at the bound, and its piece
    runs to `overlap` before the window's end, or to the end of `piece` where the window
    reaches that far (or reaches the bound). The bound's edges must be edges of the image or
    lie `overlap` beyond `piece`; `length` must exceed 2 x `overlap` unless it is the bound's."""
    (start, stop), (low, high) = piece, bound
    spans = []
    while start < stop:
        window_start = max(low, min(start - overlap, high - length))
        window_stop = window_start + length
        end = stop if window_stop >= min(stop + overlap, high) else window_stop - overlap
        spans.append(((start, end), (window_start, window_stop)))
        start = end
    return spans


def _tiles(region: Box, tile: int, overlap: int, bounds: Box) -> list[tuple[Box, Box]]:
    """`(piece, window)` boxes covering `region` (see `_spans`), row by row."""
    rows, columns = (_spans(span, tile, overlap, bound)
                     for span, bound in zip(region, bounds, strict=True))
    return _boxes(rows, columns)


def _boxes(rows: list[tuple[Span, Span]], columns: list[tuple[Span, Span]]):
    return [((row, column), (row_window, column_window))
            for (row, row_window), (column, column_window) in itertools.product(rows, columns)]


def _slices(box: Box, *, origin: Box | None = None, scale: int = 1) -> tuple[slice, slice]:
    """Array slices of `box`, relative to the corner of `origin`, `scale` times larger."""
    corner = (0, 0) if origin is None else (origin[0][0], origin[1][0])
    return tuple(slice((start - offset) * scale, (stop - offset) * scale)
                 for (start, stop), offset in zip(box, corner, strict=True))


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
        windows = [np.stack([x[_slices(window, origin=origin)] for _, window in batch])
                   for x in inputs]
        for result, (piece, window) in zip(predict(*windows), batch, strict=True):
            output[_slices(piece, origin=region, scale=scale)] = result[
                _slices(piece, origin=window, scale=scale)
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
