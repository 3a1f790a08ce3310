"""4x single-image super-resolution with SRGAN, SRResNet, ESRGAN and Real-ESRGAN for Keras 3 /
TensorFlow.

Pixel contract: every generator the library builds or loads takes float RGB in [0, 255] of any
size and returns float RGB in [0, 255]; normalisation happens inside the graph.

The public surface is below; everything else lives in the sub-packages by role (see
ARCHITECTURE.md): `models`, `io`, `inference`, `data`, `training`, `evaluation`, `cli`.
"""

from pathlib import Path as _Path

from ._lazy import lazy_exports

# Public names, imported from their sub-module when first used (PEP 562): importing the
# package imports no TensorFlow, so the command lines answer --help at once.
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "data": ["bicubic_downscale", "make_dataset"],
    "evaluation": ["detail_ratio", "psnr_y", "rgb_to_y", "ssim_y"],
    "inference": ["UpscaleOptions", "Upscaler", "export_generator", "super_resolve", "upscale_rgb"],
    "io": [
        "download_weights",
        "load_generator",
        "read_generator_metadata",
        "read_image",
        "save_generator",
        "write_image",
    ],
    "models": [
        "PretrainedWeights",
        "RRDBNet",
        "SRResNet",
        "SRVGGNetCompact",
        "build_discriminator",
        "build_generator",
        "build_seed_generator",
        "list_pretrained",
        "register_pretrained",
    ],
    "training": ["SRGAN", "VGG22", "VGG54", "build_vgg_feature_extractor", "paper_adam"],
})

__all__ = sorted([*__all__, "EXAMPLE_IMAGE", "__version__"])

__version__ = "0.2.0"

EXAMPLE_IMAGE = _Path(__file__).resolve().parent / "assets" / "example_lr.png"
"""A 96x96 LR photo shipped with the package (NASA astronaut portrait, public domain)."""
