"""4x single-image super-resolution with SRGAN and SRResNet for Keras 3 / TensorFlow.

Pixel contract: every generator the library builds or loads takes float RGB in [0, 255] of any
size and returns float RGB in [0, 255]; normalisation happens inside the graph.
"""

__version__ = "0.1.0"

from pathlib import Path as _Path

from .data import bicubic_downscale, make_dataset
from .evaluation import evaluate
from .gan import SRGAN, paper_adam
from .inference import export_generator, inference_generator, super_resolve, upscale_rgb
from .io import download_weights, load_generator, read_generator_metadata, save_generator
from .losses import VGG22, VGG54, VGGPreprocess, build_vgg_feature_extractor
from .metrics import psnr_y, rgb_to_y, ssim_y
from .models import (
    PixelShuffle,
    ResizeByFactor,
    SRResNet,
    build_discriminator,
    build_generator,
    build_seed_generator,
    list_pretrained,
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
