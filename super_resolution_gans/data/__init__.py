"""The data pipeline: image files, named transforms, real-world degradations, ``make_dataset``.

Depends only on `io.files` (the one list of image extensions and the one folder lister).
"""

from .degradation import DEGRADATION_PRESETS, Degradation, DegradationOrder
from .files import IMAGE_EXTENSIONS
from .pipeline import make_dataset
from .transforms import bicubic_downscale, bicubic_upscale

__all__ = [
    "DEGRADATION_PRESETS",
    "IMAGE_EXTENSIONS",
    "Degradation",
    "DegradationOrder",
    "bicubic_downscale",
    "bicubic_upscale",
    "make_dataset",
]
