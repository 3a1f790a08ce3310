"""4x single-image super-resolution with SRGAN, SRResNet, ESRGAN and Real-ESRGAN for Keras 3 /
TensorFlow.

Pixel contract: every generator the library builds or loads takes float RGB in [0, 255] of any
size and returns float RGB in [0, 255]; normalisation happens inside the graph.

The public surface is below; everything else lives in the sub-packages by role (see
ARCHITECTURE.md): `models`, `io`, `inference`, `data`, `training`, `evaluation`, `cli`.
"""

from pathlib import Path as _Path

from .data import bicubic_downscale, make_dataset
from .evaluation import detail_ratio, psnr_y, rgb_to_y, ssim_y
from .inference import UpscaleOptions, Upscaler, export_generator, super_resolve, upscale_rgb
from .io import (
    download_weights,
    load_generator,
    read_generator_metadata,
    read_image,
    save_generator,
    write_image,
)
from .models import (
    PretrainedWeights,
    RRDBNet,
    SRResNet,
    SRVGGNetCompact,
    build_discriminator,
    build_generator,
    build_seed_generator,
    list_pretrained,
    register_pretrained,
)
from .training import SRGAN, VGG22, VGG54, build_vgg_feature_extractor, paper_adam

__version__ = "0.2.0"

EXAMPLE_IMAGE = _Path(__file__).resolve().parent / "assets" / "example_lr.png"
"""A 96x96 LR photo shipped with the package (NASA astronaut portrait, public domain)."""

__all__ = [
    "EXAMPLE_IMAGE",
    "SRGAN",
    "VGG22",
    "VGG54",
    "PretrainedWeights",
    "RRDBNet",
    "SRResNet",
    "SRVGGNetCompact",
    "UpscaleOptions",
    "Upscaler",
    "__version__",
    "bicubic_downscale",
    "build_discriminator",
    "build_generator",
    "build_seed_generator",
    "build_vgg_feature_extractor",
    "detail_ratio",
    "download_weights",
    "export_generator",
    "list_pretrained",
    "load_generator",
    "make_dataset",
    "paper_adam",
    "psnr_y",
    "read_generator_metadata",
    "read_image",
    "register_pretrained",
    "rgb_to_y",
    "save_generator",
    "ssim_y",
    "super_resolve",
    "upscale_rgb",
    "write_image",
]
