"""4x single-image super-resolution with SRGAN and SRResNet for Keras 3 / TensorFlow.

Pixel contract: every generator the library builds or loads takes float RGB in [0, 255] of any
size and returns float RGB in [0, 255]; normalisation happens inside the graph.
"""

__version__ = "0.1.0"

import sys as _sys
from pathlib import Path as _Path
from types import ModuleType as _ModuleType

from .data import bicubic_downscale, make_dataset
from .evaluation import detail_ratio, evaluate, psnr_y, rgb_to_y, ssim_y
from .inference import export_generator, inference_generator, super_resolve, upscale_rgb
from .io import download_weights, load_generator, read_generator_metadata, save_generator
from .models import (
    PixelShuffle,
    ResizeByFactor,
    SRResNet,
    build_discriminator,
    build_generator,
    build_seed_generator,
    list_pretrained,
)
from .training import (
    SRGAN,
    VGG22,
    VGG54,
    VGGPreprocess,
    build_vgg_feature_extractor,
    paper_adam,
)

EXAMPLE_IMAGE = _Path(__file__).resolve().parent / "assets" / "example_lr.png"
"""A 96x96 LR photo shipped with the package (NASA astronaut portrait, public domain)."""

__all__ = [
    "EXAMPLE_IMAGE",
    "SRGAN",
    "VGG22",
    "VGG54",
    "PixelShuffle",
    "ResizeByFactor",
    "SRResNet",
    "VGGPreprocess",
    "__version__",
    "build_discriminator",
    "build_generator",
    "build_seed_generator",
    "build_vgg_feature_extractor",
    "bicubic_downscale",
    "detail_ratio",
    "download_weights",
    "evaluate",
    "export_generator",
    "inference_generator",
    "list_pretrained",
    "load_generator",
    "make_dataset",
    "paper_adam",
    "psnr_y",
    "read_generator_metadata",
    "rgb_to_y",
    "save_generator",
    "ssim_y",
    "super_resolve",
    "upscale_rgb",
]


class _Package(_ModuleType):
    """Keeps `super_resolution_gans.evaluate` the evaluation function: importing the command
    module `super_resolution_gans.evaluate` (what `python -m` runs) would otherwise replace
    the package attribute with the module. The module stays in `sys.modules`."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "evaluate" and isinstance(value, _ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
