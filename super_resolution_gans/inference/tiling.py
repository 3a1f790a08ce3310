"""Tiling geometry: which windows of an image to run, and which part of each to keep. Pure
Python, no TensorFlow.

Tiling contract: the LR image is cut into tiles of at most `tile_size` x `tile_size` pixels;
each tile is run with at least `tile_overlap` extra pixels of real image context on every side
(less at the image's edges, where the whole image has no context either), and only the tile's
own region of the output is kept. The windows a tiling runs all have one shape, as small as
the number of tiles allows (tiles at the image's edges are longer, by the context they need
not have there). With an overlap of at least the network's receptive radius every output pixel
sees exactly the inputs it would see in one pass over the whole image, so the tiled result
equals the whole-image result up to float rounding: no seams, no blending.

Two stages (`two_stage_plan`): the trunk runs on large tiles, and the upsampling tail on small
tiles of each trunk tile's exact features, which need only the tail's few pixels of context.
Spans are `[start, stop)` pairs along one axis; boxes are `(rows, columns)` pairs of spans.
"""

from __future__ import annotations

import itertools
import math

__all__ = [
    "MIN_AUTO_TILE",
    "Box",
    "Span",
    "box_pairs",
    "box_slices",
    "cover",
    "largest_tile",
    "tile_boxes",
    "tile_spans",
    "two_stage_plan",
]

MIN_AUTO_TILE = 64
"""The smallest tile side chosen automatically."""

Span = tuple[int, int]  # [start, stop) along one axis
Box = tuple[Span, Span]  # rows, columns


def largest_tile(budget_bytes: int, bytes_per_pixel: int, overlap: int) -> int:
    """The largest tile side whose window (plus `overlap` on each side) fits the budget.

    Example:
    >>> largest_tile(1024**2, 16, overlap=10)
    236
    """
    side = math.isqrt(budget_bytes // bytes_per_pixel)
    return max(MIN_AUTO_TILE, side - 2 * overlap)


def two_stage_plan(
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
        trunks = tile_spans(image, trunk_tile, trunk_radius + tail_overlap, image)
        exact = [(start + trunk_radius if start > 0 else 0,
                  stop - trunk_radius if stop < length else length)
                 for _, (start, stop) in trunks]
        pieces = [(piece, bound) for (piece, _), bound in zip(trunks, exact, strict=True)]
        # Of the lengths each trunk piece would choose alone, the one computing the fewest
        # pixels along this axis (the areas are products of the two axes' lengths). A length
        # of at most twice the overlap covers only a bound of its own length.
        candidates = {cover_length(piece, tail_tile, tail_overlap, bound)
                      for piece, bound in pieces}
        candidates = {n for n in candidates if n > 2 * tail_overlap} or {max(candidates)}
        tails = min((cover_all(pieces, n, tail_overlap) for n in sorted(candidates)),
                    key=lambda covers: sum(w[1] - w[0] for spans in covers for _, w in spans))
        per_axis.append(list(zip(trunks, exact, tails, strict=True)))
    rows, columns = per_axis
    return [((row_piece, column_piece), (row_window, column_window), (row_exact, column_exact),
             box_pairs(row_tails, column_tails))
            for ((row_piece, row_window), row_exact, row_tails),
                ((column_piece, column_window), column_exact, column_tails)
            in itertools.product(rows, columns)]


def cover_all(
    pieces: list[tuple[Span, Span]], length: int, overlap: int
) -> list[list[tuple[Span, Span]]]:
    """`cover` of every `(piece, bound)` with windows of `length`, or of its bound's."""
    return [cover(piece, min(length, bound[1] - bound[0]), overlap, bound)
            for piece, bound in pieces]


def cover_length(piece: Span, tile: int, overlap: int, bound: Span) -> int:
    """The window length `tile_spans` chooses."""
    (_, window), *_ = tile_spans(piece, tile, overlap, bound)
    return window[1] - window[0]


def tile_spans(piece: Span, tile: int, overlap: int, bound: Span) -> list[tuple[Span, Span]]:
    """`(piece, window)` pairs covering `piece`: as few windows as windows of `tile` plus
    `overlap` on each side need, all of one length, as short as that count allows (see
    `cover`).

    Example:
    >>> tile_spans((0, 100), 40, 5, (0, 100))
    [((0, 35), (0, 40)), ((35, 65), (30, 70)), ((65, 100), (60, 100))]
    """
    longest = min(tile + 2 * overlap, bound[1] - bound[0])
    count = len(cover(piece, longest, overlap, bound))
    shortest = min(longest, 2 * overlap + 1)
    while shortest < longest:  # the count only falls as the windows grow
        middle = (shortest + longest) // 2
        if len(cover(piece, middle, overlap, bound)) > count:
            shortest = middle + 1
        else:
            longest = middle
    return cover(piece, longest, overlap, bound)


def cover(piece: Span, length: int, overlap: int, bound: Span) -> list[tuple[Span, Span]]:
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


def tile_boxes(region: Box, tile: int, overlap: int, bounds: Box) -> list[tuple[Box, Box]]:
    """`(piece, window)` boxes covering `region` (see `tile_spans`), row by row."""
    rows, columns = (tile_spans(span, tile, overlap, bound)
                     for span, bound in zip(region, bounds, strict=True))
    return box_pairs(rows, columns)


def box_pairs(rows: list[tuple[Span, Span]], columns: list[tuple[Span, Span]]):
    return [((row, column), (row_window, column_window))
            for (row, row_window), (column, column_window) in itertools.product(rows, columns)]


def box_slices(box: Box, *, origin: Box | None = None, scale: int = 1) -> tuple[slice, slice]:
    """Array slices of `box`, relative to the corner of `origin`, `scale` times larger."""
    corner = (0, 0) if origin is None else (origin[0][0], origin[1][0])
    return tuple(slice((start - offset) * scale, (stop - offset) * scale)
                 for (start, stop), offset in zip(box, corner, strict=True))
