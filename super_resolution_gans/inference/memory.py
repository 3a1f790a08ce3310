"""How much a generator needs: its receptive radius and activation memory per pixel, and the
automatic tile size that keeps activations under a budget."""

from __future__ import annotations

import math
from collections.abc import Iterator

import keras

from ..models.layers import PixelShuffle, ResizeByFactor
from ..models.srresnet import SRResNet  # noqa: F401 (the examples use it)
from . import runtimes
from .tiling import largest_tile

__all__ = [
    "AUTO_TILE_BUDGET_BYTES",
    "activation_bytes_per_pixel",
    "choose_tile_size",
    "receptive_radius",
]

AUTO_TILE_BUDGET_BYTES = 1024**3
"""Activation memory the automatic tile size aims to stay under (both stages together)."""


def receptive_radius(model: keras.Model) -> int:
    """How many LR pixels of context on each side an output pixel depends on (rounded up).

    Walks the layers in order: a KxK convolution running at `f` times the input resolution adds
    (K - 1) / 2 / f LR pixels; a bicubic resize adds 2 / f. For branching models the radii of
    the branches are added up, an upper bound, which is what tiling needs; `f` is the factor
    reached at that point of the layer order, which is the branch's own where the branches
    are in sequence (the global skip's bicubic resize of the LR input, listed after the
    shuffles, counts for less than its 2 pixels; the convolutions' 2.5 or more cover it).

    Example:
    >>> receptive_radius(SRResNet(num_blocks=2, filters=16))
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
# runtime: fitted to the peak resident memory measured on the paper's SRResNet x4 (BENCHMARKS.md,
# peak memory per runtime). OpenVINO reuses buffers and computes element-wise layers in place.
_PEAK_TENSORS = {"tensorflow": 4.0, "openvino": 1.25}


def activation_bytes_per_pixel(model: keras.Model, runtime: str = "tensorflow") -> int:
    """Peak activation memory per LR pixel on `runtime` (see `resolve_runtime`): a few
    float32 tensors as wide as the widest convolution output (its channels times the square
    of the resolution factor it runs at), plus 1 KiB. For the paper's SRResNet x4: 17.4 KB
    (TensorFlow) and 6.1 KB (OpenVINO); for its trunk alone 2.0 and 1.3 KB.

    Example:
    >>> activation_bytes_per_pixel(SRResNet())  # 256 channels at 2x: 1024 per LR pixel
    17408
    """
    widest = max(
        (layer.filters * factor**2 for layer, factor in _layers_with_factor(model)
         if isinstance(layer, keras.layers.Conv2D)),
        default=64,
    )
    return int(4 * (_PEAK_TENSORS[runtimes.resolve_runtime(runtime)] * widest + 256))


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
    >>> choose_tile_size(SRResNet(num_blocks=2, filters=16), 64, 64, overlap=10)
    0
    """
    bytes_per_pixel = activation_bytes_per_pixel(model, runtime)
    if height * width * bytes_per_pixel <= AUTO_TILE_BUDGET_BYTES:
        return 0
    return largest_tile(AUTO_TILE_BUDGET_BYTES, bytes_per_pixel, overlap)
