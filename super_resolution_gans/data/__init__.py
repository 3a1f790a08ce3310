"""The data pipeline: image files, named transforms, real-world degradations, ``make_dataset``.

Depends on `io` only: the one decoder (`io.decode`, shared with inference), the pixel rules and
the bicubic baseline (`io.pixels`), the one list of image extensions and folder lister
(`io.files`).
"""

from .._lazy import lazy_exports

# Public names, imported from their sub-module when first used (PEP 562): importing the
# package imports no TensorFlow, so the command lines answer --help at once.
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "degradation": ["DEGRADATION_PRESETS", "Degradation", "DegradationOrder"],
    "files": ["IMAGE_EXTENSIONS"],
    "pipeline": ["make_dataset"],
    "transforms": ["bicubic_downscale", "bicubic_upscale"],
})

