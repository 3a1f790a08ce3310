"""From a generator to pixels, fast: the `Upscaler` every entry point uses, tiling geometry, the
memory model, runtimes (TensorFlow, OpenVINO) and export."""

from .export import EXPORT_FORMATS, export_generator
from .memory import AUTO_TILE_BUDGET_BYTES, activation_bytes_per_pixel, choose_tile_size
from .predictors import FastPath, Stage, fast_path, predictor_for, stages_for
from .runtimes import PRECISIONS, RUNTIME_ENV_VAR, RUNTIMES, Predictor, resolve_runtime
from .upscale import upscale_alpha
from .upscaler import UpscaleOptions, Upscaler, super_resolve, upscale_rgb

__all__ = [
    "AUTO_TILE_BUDGET_BYTES",
    "EXPORT_FORMATS",
    "PRECISIONS",
    "RUNTIMES",
    "RUNTIME_ENV_VAR",
    "FastPath",
    "Predictor",
    "Stage",
    "UpscaleOptions",
    "Upscaler",
    "activation_bytes_per_pixel",
    "choose_tile_size",
    "export_generator",
    "fast_path",
    "predictor_for",
    "resolve_runtime",
    "stages_for",
    "super_resolve",
    "upscale_alpha",
    "upscale_rgb",
]
