"""How much memory a generator needs: activation memory per pixel, and the automatic tile size
that keeps activations under a budget (receptive radii are the networks' own, `models.network`)."""

from __future__ import annotations

import keras

from ..models.network import layers_with_factor
from ..models.srresnet import SRResNet  # noqa: F401 (the examples use it)
from . import runtimes
from .tiling import largest_tile

__all__ = [
    "AUTO_TILE_BUDGET_BYTES",
    "activation_bytes_per_pixel",
    "choose_tile_size",
]

AUTO_TILE_BUDGET_BYTES = 1024**3
"""Activation memory the automatic tile size aims to stay under (both stages together)."""


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
        (int(layer.filters * factor**2) for layer, factor in layers_with_factor(model)
         if isinstance(layer, keras.layers.Conv2D)),
        default=64,
    )
    return int(4 * (_PEAK_TENSORS[runtimes.resolve_runtime(runtime)] * widest + 256))


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
