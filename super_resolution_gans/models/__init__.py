"""The networks: the SRResNet generator, the SRGAN discriminator, the predecessor's layout,
their custom layers, and the registry of pretrained weights (presets as data)."""

from .discriminator import build_discriminator
from .layers import PACKAGE, PixelShuffle, ResizeByFactor
from .presets import DEFAULT_MODEL, PRETRAINED, PretrainedWeights, get_pretrained, list_pretrained
from .seed import build_seed_generator, wrap_signed_range
from .srresnet import (
    ARCHITECTURE_KEYS,
    SUPPORTED_SCALES,
    SRResNet,
    build_generator,
    build_generator_with_policy,
    output_scale,
)

__all__ = [
    "ARCHITECTURE_KEYS",
    "DEFAULT_MODEL",
    "PACKAGE",
    "PRETRAINED",
    "PixelShuffle",
    "PretrainedWeights",
    "ResizeByFactor",
    "SRResNet",
    "SUPPORTED_SCALES",
    "build_discriminator",
    "build_generator",
    "build_generator_with_policy",
    "build_seed_generator",
    "get_pretrained",
    "list_pretrained",
    "output_scale",
    "wrap_signed_range",
]
