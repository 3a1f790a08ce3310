"""From a generator to pixels, fast: the `Upscaler` every entry point uses, tiling geometry, the
memory model, runtimes (TensorFlow, OpenVINO) and export."""

from .._lazy import lazy_exports

# Public names, imported from their sub-module when first used (PEP 562): importing the
# package imports no TensorFlow, so the command lines answer --help at once.
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "export": ["EXPORT_FORMATS", "export_generator"],
    "memory": ["AUTO_TILE_BUDGET_BYTES", "activation_bytes_per_pixel", "choose_tile_size"],
    "predictors": ["FastPath", "Stage", "fast_path", "predictor_for", "stages_for"],
    "runtimes": ["PRECISIONS", "Predictor", "RUNTIMES", "RUNTIME_ENV_VAR", "resolve_runtime"],
    "upscale": ["upscale_alpha"],
    "upscaler": ["UpscaleOptions", "Upscaler", "super_resolve", "upscale_rgb"],
})

