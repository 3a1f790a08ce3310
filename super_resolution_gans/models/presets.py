"""Pretrained generators as data: the registry of named weight files.

``PRETRAINED`` maps a name to a :class:`PretrainedWeights` entry: either a file shipped inside
the package (``package_file``) or a download (an http(s) URL or a Google Drive file). The
loader (:func:`~super_resolution_gans.io.model_io.load_generator`) reads ``format`` to pick the
file reader and checks ``scale`` against the loaded model. Downloading and caching live in
:mod:`super_resolution_gans.io.weights`.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "PRETRAINED",
    "PretrainedWeights",
    "get_pretrained",
    "list_pretrained",
]

FORMATS = ("keras", "seed_keras2_h5")
"""Known weight-file formats: ``"keras"`` is a Keras 3 ``.keras`` file written by this package;
``"seed_keras2_h5"`` is a full-model Keras-2 ``.h5`` file from the predecessor package."""


_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclasses.dataclass(frozen=True)
class PretrainedWeights:
    """One entry of the pretrained-weights registry.

    Attributes:
        name: Registry name, e.g. ``"srresnet_x4"``.
        source: http(s) URL, Google Drive file id or Drive URL; ``None`` for weights shipped
            inside the package.
        filename: File name in the cache directory (or of the shipped file).
        sha256: Expected sha256 of the file (lowercase hex), or ``None`` when unknown.
        format: One of :data:`FORMATS`.
        scale: Upscaling factor.
        pixel_range: Pixel range of the file's own input and output, e.g. ``"[0, 255]"``.
            Models returned by the library follow the package's single pixel-range contract
            whatever this says; loaders use it to wrap foreign files.
        licence: Licence of the weights, as far as it is known.
        description: One line on what the weights are.
        package_file: Path of the shipped file relative to the package directory, e.g.
            ``"pretrained/srresnet_x4.keras"``; ``None`` for downloads.

    Example:

    >>> entry = PRETRAINED["seed_srgan_v004"]
    >>> entry.format, entry.pixel_range
    ('seed_keras2_h5', '[-1, 1]')
    """

    name: str
    source: str | None
    filename: str
    sha256: str | None
    format: str
    scale: int
    pixel_range: str
    licence: str
    description: str
    package_file: str | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(
                f"PretrainedWeights {self.name!r}: format must be one of {FORMATS}, "
                f"received {self.format!r}."
            )
        if (self.source is None) == (self.package_file is None):
            raise ValueError(
                f"PretrainedWeights {self.name!r}: give exactly one of source (a download) "
                "and package_file (shipped weights)."
            )
        if self.sha256 is not None and not _SHA256_RE.match(self.sha256):
            raise ValueError(
                f"PretrainedWeights {self.name!r}: sha256 must be 64 lowercase hex digits, "
                f"received {self.sha256!r}."
            )


DEFAULT_MODEL = "srresnet_x4"

_SEED_LICENCE = "unknown (predecessor package SuperResolution-GANs)"

PRETRAINED: dict[str, PretrainedWeights] = {
    "srresnet_x4": PretrainedWeights(
        name="srresnet_x4",
        source=None,
        filename="srresnet_x4.keras",
        sha256="bd0f466e9d04b0fb1fcc9dfb089706e221911e2866b08c8c6d85c2e63b93ef30",
        format="keras",
        scale=4,
        pixel_range="[0, 255]",
        licence="MIT (same as this package)",
        description="SRResNet x4 (16 blocks, 64 filters, global bicubic skip) trained here on "
        "18 free-licence photos; +1.81 dB PSNR-Y over bicubic on 7 held-out images "
        "(MODEL_CARD.md).",
        package_file="pretrained/srresnet_x4.keras",
    ),
    "realsr_x4": PretrainedWeights(
        name="realsr_x4",
        source=None,
        filename="realsr_x4.keras",
        sha256="77dd2c7662a873823012badac46f559567d559bfdca275c75751bcb405d8581e",
        format="keras",
        scale=4,
        pixel_range="[0, 255]",
        licence="MIT (same as this package)",
        description="srresnet_x4 fine-tuned on the 'web' degradations (noise, JPEG 30-95) for "
        "JPEG and noisy photos: +0.52 dB PSNR-Y over srresnet_x4 on JPEG-60 inputs, -0.50 dB "
        "on clean ones (MODEL_CARD.md).",
        package_file="pretrained/realsr_x4.keras",
    ),
    "seed_srgan_v003": PretrainedWeights(
        name="seed_srgan_v003",
        source="1MWDeLnpEaZDrKK-OjmzvYLxfjwp-GDcp",
        filename="seed_srgan_v003.h5",
        sha256=None,
        format="seed_keras2_h5",
        scale=4,
        pixel_range="[-1, 1]",
        licence=_SEED_LICENCE,
        description="Predecessor SRGAN generator linked from the SuperResolution-GANs 0.0.3 "
        "README (Keras-2 .h5, 16 residual blocks).",
    ),
    "seed_srgan_v004": PretrainedWeights(
        name="seed_srgan_v004",
        source="116fpSp3dUBtH7GkCoZ4UymK76xRTrZLs",
        filename="seed_srgan_v004.h5",
        sha256=None,
        format="seed_keras2_h5",
        scale=4,
        pixel_range="[-1, 1]",
        licence=_SEED_LICENCE,
        description="Predecessor SRGAN generator linked from the SuperResolution-GANs "
        "0.0.4/0.0.5 README (Keras-2 .h5, 8.49 MB, 16 residual blocks).",
    ),
}


def list_pretrained() -> list[str]:
    """Names of the registered pretrained weights, sorted.

    Returns:
        The keys of :data:`PRETRAINED`, sorted.

    Example:

    >>> list_pretrained()
    ['realsr_x4', 'seed_srgan_v003', 'seed_srgan_v004', 'srresnet_x4']
    """
    return sorted(PRETRAINED)


def get_pretrained(name: str) -> PretrainedWeights:
    """Look up a registry entry by name.

    Args:
        name: A name from :func:`list_pretrained`.

    Returns:
        The registry entry.

    Raises:
        ValueError: If ``name`` is not registered; the message lists the known names.

    Example:

    >>> get_pretrained("srresnet_x4").package_file
    'pretrained/srresnet_x4.keras'
    """
    try:
        return PRETRAINED[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown pretrained weights {name!r}; known names: {', '.join(list_pretrained())}."
        ) from None
