"""From a generator to pixels, fast: tiling geometry, the memory model, the graph rewrite
(BatchNorm folding), runtimes (TensorFlow, OpenVINO), the image API and export."""

from .export import EXPORT_FORMATS, export_generator
from .memory import (
    AUTO_TILE_BUDGET_BYTES,
    activation_bytes_per_pixel,
    choose_tile_size,
    receptive_radius,
)
from .predictors import FastPath, Stage, fast_path, predictor_for, stages_for
from .rewrite import inference_generator
from .runtimes import PRECISIONS, RUNTIME_ENV_VAR, RUNTIMES, Predictor, resolve_runtime
from .upscale import super_resolve, upscale_alpha, upscale_rgb

__all__ = [
    "AUTO_TILE_BUDGET_BYTES",
    "EXPORT_FORMATS",
    "PRECISIONS",
    "RUNTIMES",
    "RUNTIME_ENV_VAR",
    "FastPath",
    "Predictor",
    "Stage",
    "activation_bytes_per_pixel",
    "choose_tile_size",
    "export_generator",
    "fast_path",
    "inference_generator",
    "predictor_for",
    "receptive_radius",
    "resolve_runtime",
    "stages_for",
    "super_resolve",
    "upscale_alpha",
    "upscale_rgb",
]
