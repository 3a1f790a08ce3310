"""Pretrained-weights registry, verified downloader and model-source resolution.

``PRETRAINED`` maps a name to a :class:`PretrainedWeights` entry: either a file shipped inside
the package (``package_file``) or a download (an http(s) URL or a Google Drive file). Downloads
go to a cache directory (:func:`default_cache_dir`), are written to a temporary file first and
moved into place only once their sha256 matches, so a failed or tampered download never leaves
a file behind. A cached file is reused without any network access.

Nothing happens at import time: no network, no directories created.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import posixpath
import re
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from super_resolution_gans import net

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "PRETRAINED",
    "PretrainedWeights",
    "default_cache_dir",
    "download_weights",
    "get_pretrained",
    "list_pretrained",
    "resolve_model_source",
]

FORMATS = ("keras", "seed_keras2_h5")
"""Known weight-file formats: ``"keras"`` is a Keras 3 ``.keras`` file written by this package;
``"seed_keras2_h5"`` is a full-model Keras-2 ``.h5`` file from the predecessor package."""

CACHE_ENV_VAR = "SUPER_RESOLUTION_GANS_HOME"

# The installed package directory; shipped weights live below it. Tests may monkeypatch it.
_PACKAGE_DIR = Path(__file__).resolve().parent

_DRIVE_HOSTS = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com")
_DRIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_HASH_CHUNK = 1024 * 1024


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

    ```python
    entry = get_pretrained("seed_srgan_v004")
    entry.format  # "seed_keras2_h5"
    entry.pixel_range  # "[-1, 1]"
    ```
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

    ```python
    list_pretrained()  # ["seed_srgan_v003", "seed_srgan_v004", "srresnet_x4"]
    ```
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

    ```python
    get_pretrained("srresnet_x4").package_file  # "pretrained/srresnet_x4.keras"
    ```
    """
    try:
        return PRETRAINED[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown pretrained weights {name!r}; known names: {', '.join(list_pretrained())}."
        ) from None


def default_cache_dir() -> Path:
    """Directory where downloaded weights are cached.

    ``$SUPER_RESOLUTION_GANS_HOME`` when set (and not empty), else
    ``~/.cache/super_resolution_gans``. The directory is not created here; it is created when
    a download needs it.

    Returns:
        The cache directory path.

    Example:

    ```python
    default_cache_dir()  # PosixPath('/home/me/.cache/super_resolution_gans')
    ```
    """
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return Path("~/.cache/super_resolution_gans").expanduser()


def _drive_id_from_url(url: str) -> str | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _DRIVE_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if "d" in segments:
        index = segments.index("d")
        if index + 1 < len(segments):
            return segments[index + 1]
    ids = parse_qs(parts.query).get("id")
    if ids:
        return ids[0]
    raise ValueError(f"Could not find a Google Drive file id in {url!r}.")


def _parse_source(source: str) -> tuple[str, str]:
    """Classify a download source as ``("url", url)`` or ``("gdrive", file_id)``."""
    if not isinstance(source, str) or not source:
        raise ValueError(
            f"source must be an http(s) URL or a Google Drive file id, received {source!r}."
        )
    if net.is_url(source):
        net.check_url(source)
        file_id = _drive_id_from_url(source)
        if file_id is None:
            return "url", source
        source = file_id
    if not _DRIVE_ID_RE.match(source):
        raise ValueError(
            f"source must be an http(s) URL or a Google Drive file id, received {source!r}."
        )
    return "gdrive", source


def _check_filename(filename: str, source: str) -> str:
    if (
        not isinstance(filename, str)
        or filename in ("", ".", "..")
        or "/" in filename
        or "\\" in filename
        or "\0" in filename
    ):
        raise ValueError(
            f"Invalid cache file name {filename!r} for {source!r}: pass a plain file name "
            "with filename=..."
        )
    return filename


def _check_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    normalised = sha256.strip().lower() if isinstance(sha256, str) else sha256
    if not isinstance(normalised, str) or not _SHA256_RE.match(normalised):
        raise ValueError(f"sha256 must be 64 hexadecimal digits, received {sha256!r}.")
    return normalised


def _sha256_file(path: Path) -> str:
    """sha256 of a file, remembered per (path, mtime, size): loading the same weights again
    (every `SRGAN_predict` call resolves its model) does not re-read them."""
    stat = Path(path).stat()
    return _sha256_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _sha256_of(path: str, _mtime_ns: int, _size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_HASH_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class _TooLarge(Exception):
    pass


def _download_gdrive(
    file_id: str,
    fileobj: BinaryIO,
    *,
    max_bytes: int,
    timeout: net.Timeout,
    progress: bool,
    target: Path,
) -> None:
    import gdown  # imported on use: it is only needed for Google Drive sources

    url = _drive_url(file_id)

    def check_size(done: int, total: int | None) -> None:
        if (total is not None and total > max_bytes) or done > max_bytes:
            raise _TooLarge

    try:
        # A file object, not a path: given a path, gdown keeps its own "*.part" file next to
        # it, which a failure would leave in the cache.
        gdown.download(
            id=file_id,
            output=fileobj,
            quiet=not progress,
            progress=check_size,
            timeout=timeout,
            use_cookies=False,  # do not read or write ~/.cache/gdown/cookies.txt
            log_messages={"output": f"To: {target}\n"},
        )
    except _TooLarge as err:
        raise net.DownloadError(
            f"Could not download {url}: larger than the {max_bytes}-byte cap"
        ) from err
    except requests.RequestException as err:
        raise net.DownloadError(f"Could not download {url}: {net._describe(err, timeout)}") from err
    except gdown.DownloadError as err:
        raise net.DownloadError(f"Could not download {url}: {err}") from err


def _drive_url(file_id: str) -> str:
    return f"https://drive.google.com/uc?id={file_id}"


def download_weights(
    source: str,
    sha256: str | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    filename: str | None = None,
    max_bytes: int = 2 * 1024**3,
    timeout: net.Timeout = net.DEFAULT_TIMEOUT,
    progress: bool = True,
) -> Path:
    """Download a weights file into the cache, verify it, and return its path.

    ``source`` is an http(s) URL (fetched with :func:`net.download_to_file`), a Google Drive
    file id, or a ``drive.google.com`` URL (fetched with ``gdown``). The cached file is
    ``cache_dir / filename``; ``filename`` defaults to the last part of the URL path, or the
    Drive file id. When that file exists (and matches ``sha256`` when given) it is returned
    without any network access. Otherwise the file is downloaded to a temporary file in the
    cache directory, hashed, and moved into place only if the hash matches; on any failure
    nothing is left in the cache.

    Without ``sha256`` the download is accepted unverified and a ``UserWarning`` says so,
    giving the hash of what was received so that it can be pinned.

    Args:
        source: http(s) URL, Google Drive file id, or Google Drive URL.
        sha256: Expected sha256 (hex) of the file, or ``None`` when unknown.
        cache_dir: Cache directory; defaults to :func:`default_cache_dir`. Created if needed.
        filename: Name of the cached file; give one when the URL does not end in a name.
        max_bytes: Largest accepted file size.
        timeout: ``(connect, read)`` timeouts in seconds, or one number for both.
        progress: Show a progress bar.

    Returns:
        Path of the verified cached file.

    Raises:
        ValueError: For an unsupported source (``ftp://``, ``file://``, a local path), an
            invalid argument, or a sha256 mismatch (the message names both hashes).
        DownloadError: If the download fails; the message names the URL and the exact cache
            path where the file can be placed by hand.

    Example:

    ```python
    path = download_weights(
        "https://example.com/srresnet_x4.keras",
        sha256="0123...abcd",  # 64 hex digits
    )
    ```
    """
    kind, ref = _parse_source(source)
    expected = _check_sha256(sha256)
    if filename is None:
        filename = ref if kind == "gdrive" else posixpath.basename(unquote(urlsplit(ref).path))
    filename = _check_filename(filename, source)
    net._check_max_bytes(max_bytes)
    net._check_timeout(timeout)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = cache / filename
    url = ref if kind == "url" else _drive_url(ref)

    if target.is_file():
        if expected is None:
            logger.debug("Using cached %s (unverified: no sha256 given)", target)
            return target
        found = _sha256_file(target)
        if found == expected:
            logger.debug("Using cached %s (sha256 verified)", target)
            return target
        logger.warning(
            "Cached file %s has sha256 %s, expected %s; downloading it again from %s.",
            target,
            found,
            expected,
            url,
        )

    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cache, prefix=f".{filename}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                logger.info("Downloading %s to %s", url, target)
                if kind == "url":
                    net.download_to_file(
                        ref,
                        f,
                        max_bytes=max_bytes,
                        timeout=timeout,
                        progress=progress,
                        description=filename,
                    )
                else:
                    _download_gdrive(
                        ref,
                        f,
                        max_bytes=max_bytes,
                        timeout=timeout,
                        progress=progress,
                        target=target,
                    )
        except net.DownloadError as err:
            pin = f" (its sha256 must be {expected})" if expected else ""
            raise net.DownloadError(
                f"{err}. If this machine is offline, download {url} by hand and save it as "
                f"{target}{pin}."
            ) from err
        received = _sha256_file(tmp)
        if expected is not None and received != expected:
            raise ValueError(
                f"sha256 mismatch for {url}: expected {expected}, received {received}. "
                "The download was discarded."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

    if expected is None:
        warnings.warn(
            f"Downloaded {url} to {target} without a sha256 to verify it against: the file is "
            f"unverified. Its sha256 is {received}; pass sha256='{received}' to pin it.",
            UserWarning,
            stacklevel=2,
        )
    return target


def _shipped_path(entry: PretrainedWeights) -> Path:
    assert entry.package_file is not None
    path = _PACKAGE_DIR / entry.package_file
    if not path.is_file():
        downloadable = [n for n in list_pretrained() if PRETRAINED[n].source is not None]
        raise FileNotFoundError(
            f"The shipped weights {entry.name!r} are not present in this installation "
            f"(expected {path}). Pass a model path instead (e.g. a .keras file), or one of the "
            f"downloadable names: {', '.join(downloadable) or 'none'}."
        )
    if entry.sha256 is not None:
        found = _sha256_file(path)
        if found != entry.sha256:
            raise ValueError(
                f"The shipped weights {entry.name!r} at {path} have sha256 {found}, expected "
                f"{entry.sha256}: the installation is damaged; reinstall the package."
            )
    return path


def resolve_model_source(
    model: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[Path, PretrainedWeights | None]:
    """Turn a model argument into a local file path.

    ``model`` may be:

    - a registered name (:func:`list_pretrained`): the shipped file inside the package, or the
      cached download of its source (downloaded and verified if needed);
    - an http(s) URL (Google Drive URLs included): downloaded into the cache with
      :func:`download_weights`;
    - a path to an existing file or directory: returned as it is.

    Args:
        model: Registered name, http(s) URL, or local path.
        cache_dir: Cache directory for downloads; defaults to :func:`default_cache_dir`.
        progress: Show a progress bar while downloading.

    Returns:
        ``(path, entry)``: the local path, and the registry entry for registered names (so
        callers know the file format and pixel range), ``None`` for plain paths and URLs.

    Raises:
        ValueError: For a URL whose scheme is not http/https (``ftp://``, ``file://``), or a
            sha256 mismatch.
        FileNotFoundError: If ``model`` is neither a registered name, a URL nor an existing
            path (the message lists the registered names), or the shipped default weights are
            not part of this installation.
        DownloadError: If a download fails.

    Example:

    ```python
    path, entry = resolve_model_source("srresnet_x4")
    path, entry = resolve_model_source("my_generator.keras")  # entry is None
    ```
    """
    if isinstance(model, str) and model in PRETRAINED:
        entry = PRETRAINED[model]
        if entry.package_file is not None:
            return _shipped_path(entry), entry
        path = download_weights(
            entry.source,
            entry.sha256,
            cache_dir=cache_dir,
            filename=entry.filename,
            progress=progress,
        )
        return path, entry
    if net.is_url(model):
        net.check_url(model)  # ftp://, file://, ... -> ValueError
        return download_weights(model, cache_dir=cache_dir, progress=progress), None
    try:
        path = Path(os.fspath(model)).expanduser()
    except TypeError:
        raise TypeError(
            f"model must be a registered name, an http(s) URL or a path, received {model!r} "
            f"({type(model).__name__})."
        ) from None
    if path.exists():
        return path, None
    raise FileNotFoundError(
        f"Model file not found: {str(model)!r} is neither an existing path, an http(s) URL, "
        f"nor a registered name ({', '.join(list_pretrained())})."
    )
