"""Pretrained generators as data: the registry of named weight files.

``PRETRAINED`` maps a name to a :class:`PretrainedWeights` entry: either a file shipped inside
the package (``package_file``) or a download (an http(s) URL or a Google Drive file). The
loader (:func:`~super_resolution_gans.io.model_io.load_generator`) reads ``format`` to pick the
file reader (PyTorch checkpoints are converted once to a Keras file and cached) and checks
``scale`` against the loaded model. Downloading, verifying and caching live in
:mod:`super_resolution_gans.io.weights`. Users and organisations add their own entries with
:func:`register_pretrained`.

The ESRGAN-family entries are the published weights of Real-ESRGAN (Wang et al., ICCV-W 2021,
BSD-3-Clause, github.com/xinntao/Real-ESRGAN releases) and ESRGAN (Wang et al., ECCV-W 2018,
Apache-2.0); their sha256 values agree in two independent sources (OpenModelDB and the Arch
Linux AUR package of Real-ESRGAN 0.3.0).
"""

from __future__ import annotations

import dataclasses
import re

__all__ = [
    "DEFAULT_JPEG_MODEL",
    "DEFAULT_MODEL",
    "FORMATS",
    "PRETRAINED",
    "PretrainedWeights",
    "find_pretrained",
    "get_pretrained",
    "list_pretrained",
    "register_pretrained",
]

FORMATS = ("keras", "seed_keras2_h5", "pth", "safetensors")
"""Known weight-file formats: ``"keras"`` is a Keras 3 ``.keras`` file written by this package;
``"seed_keras2_h5"`` is a full-model Keras-2 ``.h5`` file from the predecessor package;
``"pth"`` a PyTorch checkpoint and ``"safetensors"`` a safetensors file of one of the
architectures :func:`~super_resolution_gans.models.pytorch.network_from_state_dict` recognises."""


_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclasses.dataclass(frozen=True)
class PretrainedWeights:
    """One entry of the pretrained-weights registry.

    Attributes:
        name: Registry name, e.g. ``"srresnet_x4"``.
        source: http(s) URL, Google Drive file id or Drive URL; ``None`` for weights shipped
            inside the package.
        filename: File name in the cache directory (or of the shipped file); a download
            mirror serves the file under this name.
        sha256: Expected sha256 of the file (lowercase hex), or ``None`` when unknown.
        format: One of :data:`FORMATS`.
        scale: Upscaling factor.
        pixel_range: Pixel range of the file's own input and output, e.g. ``"[0, 255]"``.
            Models returned by the library follow the package's single pixel-range contract
            whatever this says; loaders use it to wrap foreign files.
        licence: Licence of the weights, as far as it is known.
        description: One line on what the weights are for.
        architecture: The network, e.g. ``"RRDBNet"``, ``"SRVGGNetCompact"``, ``"SRResNet"``.
        size_bytes: Size of the file in bytes, when known.
        package_file: Path of the shipped file relative to the package directory, e.g.
            ``"pretrained/srresnet_x4.keras"``; ``None`` for downloads.
        denoise_partner: For a network whose weights blend with another's to set a denoise
            strength (Real-ESRGAN's ``realesr-general-x4v3``): the other entry's name.

    Example:

    >>> entry = PRETRAINED["realesrgan_x4plus"]
    >>> entry.format, entry.architecture, entry.shipped
    ('pth', 'RRDBNet', False)
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
    architecture: str = "unknown"
    size_bytes: int | None = None
    package_file: str | None = None
    denoise_partner: str | None = None

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

    @property
    def shipped(self) -> bool:
        """True for weights inside the package (offline), False for downloads."""
        return self.package_file is not None


DEFAULT_MODEL = "srresnet_x4"
"""The model used when none is named, for inputs that are not JPEG-compressed."""

DEFAULT_JPEG_MODEL = "realsr_x4"
"""The model used when none is named, for JPEG-compressed inputs (phone and web photos): the
shipped real-photo weights, which remove compression blocks instead of sharpening them."""

_SEED_LICENCE = "unknown (predecessor package SuperResolution-GANs)"

PRETRAINED: dict[str, PretrainedWeights] = {
    "srresnet_x4": PretrainedWeights(
        name="srresnet_x4",
        source=None,
        filename="srresnet_x4.keras",
        sha256="0e8e6a266404cfb729d260b25e41951edaa79e92a5e866276a6f2c9534735f60",
        format="keras",
        scale=4,
        pixel_range="[0, 255]",
        licence="MIT (same as this package)",
        description="SRResNet x4 (16 blocks, 64 filters, global bicubic skip) trained here on "
        "18 free-licence photos; +1.81 dB PSNR-Y over bicubic on 7 held-out images "
        "(MODEL_CARD.md).",
        architecture="SRResNet",
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
        architecture="SRResNet",
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
        architecture="SuperResolution-GANs 0.0.x",
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
        architecture="SuperResolution-GANs 0.0.x",
        size_bytes=8_490_000,
    ),
}


_REAL_ESRGAN = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_BSD3 = "BSD-3-Clause (Real-ESRGAN, Xintao Wang et al.)"


def _published(name: str, url: str, sha256: str, scale: int, architecture: str,
               size_bytes: int | None, description: str, *, licence: str = _BSD3,
               denoise_partner: str | None = None) -> PretrainedWeights:
    return PretrainedWeights(
        name=name, source=url, filename=url.rsplit("/", 1)[1], sha256=sha256, format="pth",
        scale=scale, pixel_range="[0, 1]", licence=licence, description=description,
        architecture=architecture, size_bytes=size_bytes, denoise_partner=denoise_partner,
    )


PRETRAINED.update({entry.name: entry for entry in (
    _published(
        "realesrgan_x4plus", f"{_REAL_ESRGAN}/v0.1.0/RealESRGAN_x4plus.pth",
        "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1", 4, "RRDBNet",
        67_040_989, "Real-ESRGAN x4 GAN: photo-realistic texture on real-world photos, JPEG "
        "artefacts and noise removed."),
    _published(
        "realesrgan_x2plus", f"{_REAL_ESRGAN}/v0.2.1/RealESRGAN_x2plus.pth",
        "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb", 2, "RRDBNet",
        67_061_725, "Real-ESRGAN x2 GAN (pixel-unshuffle in front): real-world photos, 2x."),
    _published(
        "realesrnet_x4plus", f"{_REAL_ESRGAN}/v0.1.1/RealESRNet_x4plus.pth",
        "a820b9bde89a874d7599d545567308ce6c128fc8754a53208eda016d40aa81df", 4, "RRDBNet",
        None, "Real-ESRNet x4 (L1-trained, before the GAN stage): smoother, fewer invented "
        "details."),
    _published(
        "realesrgan_x4plus_anime_6b", f"{_REAL_ESRGAN}/v0.2.2.4/RealESRGAN_x4plus_anime_6B.pth",
        "f872d837d3c90ed2e05227bed711af5671a6fd1c9f7d7e91c911a61f155e99da", 4, "RRDBNet",
        17_938_799, "Real-ESRGAN x4 for anime and illustrations (6 blocks, 4x smaller)."),
    _published(
        "realesr_general_x4v3", f"{_REAL_ESRGAN}/v0.2.5.0/realesr-general-x4v3.pth",
        "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292", 4,
        "SRVGGNetCompact", 4_885_111, "Real-ESRGAN compact x4 for general scenes: about 10x "
        "faster than realesrgan_x4plus; denoise_strength blends in the -wdn weights.",
        denoise_partner="realesr_general_wdn_x4v3"),
    _published(
        "realesr_general_wdn_x4v3", f"{_REAL_ESRGAN}/v0.2.5.0/realesr-general-wdn-x4v3.pth",
        "1641f8c4464b9f097c9fdda5589273713f67cf59f3d909e0bd688f0cee269dca", 4,
        "SRVGGNetCompact", 4_885_111, "Real-ESRGAN compact x4, weak denoising: keeps grain "
        "and fine texture (blended by realesr_general_x4v3's denoise_strength)."),
    _published(
        "realesr_animevideov3", f"{_REAL_ESRGAN}/v0.2.5.0/realesr-animevideov3.pth",
        "b8a8376811077954d82ca3fcf476f1ac3da3e8a68a4f4d71363008000a18b75d", 4,
        "SRVGGNetCompact", 2_504_012, "Real-ESRGAN compact x4 for anime video frames: the "
        "fastest network here."),
    _published(
        "esrgan_x4", "https://objectstorage.us-phoenix-1.oraclecloud.com/n/ax6ygfvpvzka/b/"
        "open-modeldb-files/o/4x-ESRGAN.pth",
        "545805ce2d861ee90972b5fa50b851f19ee4bb35dedd2eb090be1f7c935b6b00", 4, "RRDBNet",
        66_952_991, "The ESRGAN paper's RRDB_ESRGAN_x4 (clean bicubic inputs; OpenModelDB "
        "mirror).", licence="Apache-2.0 (ESRGAN, Xintao Wang et al.)"),
)})


def register_pretrained(entry: PretrainedWeights, *, replace: bool = False) -> PretrainedWeights:
    """Adds `entry` to the registry, so that its name works wherever a model is named
    (`SRGAN_predict`, `--modelPath`, the demo, batch, evaluate).

    A user or an organisation registers its own weights (a PyTorch checkpoint of a known
    architecture with ``format="pth"``, or a ``.keras`` file) with their URL and sha256; the
    first use downloads, verifies and (for checkpoints) converts them once.

    Args:
        entry: the new entry.
        replace: allow replacing an entry of the same name.

    Returns:
        The entry.

    Raises:
        ValueError: the name is taken (and `replace` is False), or the entry is unusable.

    Example:

    >>> register_pretrained(PretrainedWeights(
    ...     name="studio_x4", source="https://models.example.com/studio_x4.pth",
    ...     filename="studio_x4.pth", sha256="0" * 64, format="pth", scale=4,
    ...     pixel_range="[0, 1]", licence="internal", description="Our fine-tuned x4.",
    ...     architecture="RRDBNet"), replace=True).name
    'studio_x4'
    >>> del PRETRAINED["studio_x4"]
    """
    if not isinstance(entry, PretrainedWeights):
        raise TypeError(f"entry must be a PretrainedWeights, got {type(entry).__name__}")
    if entry.name in PRETRAINED and not replace:
        raise ValueError(f"a pretrained entry named {entry.name!r} exists; pass replace=True")
    if entry.denoise_partner is not None and entry.denoise_partner not in PRETRAINED:
        raise ValueError(f"{entry.name!r}: denoise_partner {entry.denoise_partner!r} is not "
                         "registered")
    PRETRAINED[entry.name] = entry
    return entry


def list_pretrained() -> list[PretrainedWeights]:
    """The registered pretrained weights, sorted by name: each entry's `name`,
    `architecture`, `scale`, `licence`, `size_bytes`, `shipped` and `description`.

    Example:

    >>> [entry.name for entry in list_pretrained() if entry.shipped]
    ['realsr_x4', 'srresnet_x4']
    """
    return [PRETRAINED[name] for name in sorted(PRETRAINED)]


def get_pretrained(name: str) -> PretrainedWeights:
    """Looks up a registry entry by name; case, "-" and "_" do not matter, so the published
    file names work too (``"RealESRGAN_x4plus"``, ``"realesr-general-x4v3"``).

    Raises:
        ValueError: If ``name`` is not registered; the message lists the known names.

    Example:

    >>> get_pretrained("RealESRGAN_x4plus").name
    'realesrgan_x4plus'
    """
    entry = find_pretrained(name)
    if entry is None:
        raise ValueError(
            f"Unknown pretrained weights {name!r}; known names: {', '.join(sorted(PRETRAINED))}."
        )
    return entry


def find_pretrained(name: object) -> PretrainedWeights | None:
    """The entry `name` stands for (see `get_pretrained`), or None.

    Example:

    >>> find_pretrained("realesr-general-x4v3").name, find_pretrained("photo.png")
    ('realesr_general_x4v3', None)
    """
    if not isinstance(name, str):
        return None
    if name in PRETRAINED:
        return PRETRAINED[name]
    key = name.strip().lower().replace("-", "_")
    for entry_name, entry in PRETRAINED.items():
        if entry_name.lower().replace("-", "_") == key:
            return entry
    return None

