"""The networks: SRResNet (SRGAN's generator), RRDBNet (ESRGAN, Real-ESRGAN), SRVGGNetCompact
(Real-ESRGAN's compact models), the SRGAN discriminator, the predecessor's layout, their custom
layers, what each network tells the fast path (`network`), reading PyTorch weights into them
(`pytorch`), and the registry of pretrained weights (presets as data)."""

from .discriminator import build_discriminator
from .layers import PACKAGE, PixelShuffle, PixelUnshuffle, ResizeByFactor
from .network import (
    SuperResolutionNetwork,
    TrunkSplit,
    inference_copy,
    output_scale,
    receptive_radius,
    tile_overlap,
    trunk_split,
)
from .presets import (
    DEFAULT_JPEG_MODEL,
    DEFAULT_MODEL,
    PRETRAINED,
    PretrainedWeights,
    get_pretrained,
    list_pretrained,
    register_pretrained,
)
from .rrdbnet import RRDBNet
from .seed import build_seed_generator, wrap_signed_range
from .srresnet import (
    ARCHITECTURE_KEYS,
    SUPPORTED_SCALES,
    SRResNet,
    build_generator,
    build_generator_with_policy,
)
from .srvgg import SRVGGNetCompact

__all__ = [
    "ARCHITECTURE_KEYS",
    "DEFAULT_JPEG_MODEL",
    "DEFAULT_MODEL",
    "PACKAGE",
    "PRETRAINED",
    "PixelShuffle",
    "PixelUnshuffle",
    "PretrainedWeights",
    "RRDBNet",
    "ResizeByFactor",
    "SRResNet",
    "SRVGGNetCompact",
    "SUPPORTED_SCALES",
    "SuperResolutionNetwork",
    "TrunkSplit",
    "build_discriminator",
    "build_generator",
    "build_generator_with_policy",
    "build_seed_generator",
    "get_pretrained",
    "inference_copy",
    "list_pretrained",
    "output_scale",
    "receptive_radius",
    "register_pretrained",
    "tile_overlap",
    "trunk_split",
    "wrap_signed_range",
]
