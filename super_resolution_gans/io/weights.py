"""The weights cache: verified downloads, shipped files, and model-source resolution.

Downloads go to a cache directory (:func:`default_cache_dir`), are written to a temporary file
first and moved into place only once their sha256 matches, so a failed or tampered download
never leaves a file behind. A cached file is reused without any network access. Registered
names come from :mod:`super_resolution_gans.models.presets`. A download mirror (for machines
behind a firewall, or a cluster without internet) is a base URL in
``$SUPER_RESOLUTION_GANS_MIRROR``: registered weights are then fetched from
``<mirror>/<filename>`` and verified against the same sha256.

Nothing happens at import time: no network, no directories created.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import posixpath
import re
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..models.presets import (
    DEFAULT_MODEL,
    PRETRAINED,
    PretrainedWeights,
    find_pretrained,
    list_pretrained,
)
from . import net
from .atomic import atomic_path
from .gdrive import download_gdrive, drive_url, parse_source

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL",
    "converted_path",
    "default_cache_dir",
    "download_weights",
    "file_sha256",
    "pretrained_table",
    "resolve_model_source",
]

CACHE_ENV_VAR = "SUPER_RESOLUTION_GANS_HOME"
MIRROR_ENV_VAR = "SUPER_RESOLUTION_GANS_MIRROR"

# The installed package directory; shipped weights live below it. Tests may monkeypatch it.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_HASH_CHUNK = 1024 * 1024


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


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file, remembered per (path, mtime, size): loading the same weights again
    (every `SRGAN_predict` call resolves its model) does not re-read them.

    Example:

    ```python
    file_sha256("RealESRGAN_x4plus.pth")  # '4fa0d389...'
    ```
    """
    stat = Path(path).stat()
    return _sha256_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _sha256_of(path: str, _mtime_ns: int, _size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_HASH_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()



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
    kind, ref = parse_source(source)
    expected = _check_sha256(sha256)
    if filename is None:
        filename = ref if kind == "gdrive" else posixpath.basename(unquote(urlsplit(ref).path))
    filename = _check_filename(filename, source)
    net.check_max_bytes(max_bytes)
    net.check_timeout(timeout)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = cache / filename
    url = ref if kind == "url" else drive_url(ref)
    if _usable_cached_file(target, expected, url):
        return target

    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, suffix=".part") as temporary:
        try:
            with open(temporary, "wb") as file:
                logger.info("Downloading %s to %s", url, target)
                if kind == "url":
                    net.download_to_file(ref, file, max_bytes=max_bytes, timeout=timeout,
                                         progress=progress, description=filename)
                else:
                    download_gdrive(ref, file, max_bytes=max_bytes, timeout=timeout,
                                    progress=progress, target=target)
        except net.DownloadError as err:
            pin = f" (its sha256 must be {expected})" if expected else ""
            raise net.DownloadError(
                f"{err}. If this machine is offline, download {url} by hand and save it as "
                f"{target}{pin}."
            ) from err
        received = file_sha256(temporary)
        if expected is not None and received != expected:
            raise ValueError(
                f"sha256 mismatch for {url}: expected {expected}, received {received}. "
                "The download was discarded."
            )

    if expected is None:
        warnings.warn(
            f"Downloaded {url} to {target} without a sha256 to verify it against: the file is "
            f"unverified. Its sha256 is {received}; pass sha256='{received}' to pin it.",
            UserWarning,
            stacklevel=2,
        )
    return target


def _usable_cached_file(target: Path, expected: str | None, url: str) -> bool:
    """Whether the cached `target` exists and matches `expected` (any file when None)."""
    if not target.is_file():
        return False
    if expected is None:
        logger.debug("Using cached %s (unverified: no sha256 given)", target)
        return True
    found = file_sha256(target)
    if found == expected:
        logger.debug("Using cached %s (sha256 verified)", target)
        return True
    logger.warning(
        "Cached file %s has sha256 %s, expected %s; downloading it again from %s.",
        target, found, expected, url,
    )
    return False


def _shipped_path(entry: PretrainedWeights) -> Path:
    path = _PACKAGE_DIR / entry.package_file
    if not path.is_file():
        downloadable = [e.name for e in list_pretrained() if not e.shipped]
        raise FileNotFoundError(
            f"The shipped weights {entry.name!r} are not present in this installation "
            f"(expected {path}). Pass a model path instead (e.g. a .keras file), or one of the "
            f"downloadable names: {', '.join(downloadable) or 'none'}."
        )
    if entry.sha256 is not None:
        found = file_sha256(path)
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
    entry = find_pretrained(model)
    if entry is not None:
        if entry.package_file is not None:
            return _shipped_path(entry), entry
        path = download_weights(
            download_url(entry),
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
        f"nor a registered name ({', '.join(sorted(PRETRAINED))})."
    )


def download_url(entry: PretrainedWeights) -> str:
    """Where a registered download comes from: its source, or ``<mirror>/<filename>`` when
    ``$SUPER_RESOLUTION_GANS_MIRROR`` is set (an http(s) base URL).

    Example:

    >>> from super_resolution_gans.models.presets import PRETRAINED
    >>> download_url(PRETRAINED["realesrgan_x4plus"]).endswith("/v0.1.0/RealESRGAN_x4plus.pth")
    True
    """
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if not mirror:
        return entry.source
    if not net.is_url(mirror):
        raise ValueError(f"${MIRROR_ENV_VAR}={mirror!r}: give an http(s) base URL")
    return f"{mirror.rstrip('/')}/{entry.filename}"


def converted_path(
    entry: PretrainedWeights, cache_dir: str | os.PathLike | None = None
) -> Path:
    """Where the Keras conversion of a registered PyTorch checkpoint is cached.

    Example:

    >>> from super_resolution_gans.models.presets import PRETRAINED
    >>> converted_path(PRETRAINED["realesrgan_x4plus"], "/cache")
    PosixPath('/cache/realesrgan_x4plus.keras')
    """
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return cache / f"{entry.name}.keras"


def pretrained_table() -> str:
    """The registered weights as a text table: name, architecture, scale, licence, size,
    shipped or download, and purpose.

    Example:

    >>> print(pretrained_table().splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    name  architecture  scale  licence  size  where  purpose
    """
    rows = [("name", "architecture", "scale", "licence", "size", "where", "purpose")]
    for entry in list_pretrained():
        size = entry.size_bytes
        if entry.shipped and (_PACKAGE_DIR / entry.package_file).is_file():
            size = (_PACKAGE_DIR / entry.package_file).stat().st_size
        rows.append((
            entry.name, entry.architecture, f"x{entry.scale}", entry.licence.split(" (")[0],
            "?" if size is None else f"{size / 1e6:.1f} MB",
            "shipped" if entry.shipped else "download", entry.description,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                        row[-1]]) for row in rows]
    return "\n".join(lines)

