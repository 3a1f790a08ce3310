"""Google Drive sources: recognising Drive ids and URLs, and downloading with gdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

import requests

from . import net

__all__ = ["download_gdrive", "drive_id_from_url", "drive_url", "parse_source"]

_DRIVE_HOSTS = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com")
_DRIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")


def drive_id_from_url(url: str) -> str | None:
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


def parse_source(source: str) -> tuple[str, str]:
    """Classify a download source as ``("url", url)`` or ``("gdrive", file_id)``."""
    if not isinstance(source, str) or not source:
        raise ValueError(
            f"source must be an http(s) URL or a Google Drive file id, received {source!r}."
        )
    if net.is_url(source):
        net.check_url(source)
        file_id = drive_id_from_url(source)
        if file_id is None:
            return "url", source
        source = file_id
    if not _DRIVE_ID_RE.match(source):
        raise ValueError(
            f"source must be an http(s) URL or a Google Drive file id, received {source!r}."
        )
    return "gdrive", source



class _TooLarge(Exception):
    pass


def download_gdrive(
    file_id: str,
    fileobj: BinaryIO,
    *,
    max_bytes: int,
    timeout: net.Timeout,
    progress: bool,
    target: Path,
) -> None:
    import gdown  # imported on use: it is only needed for Google Drive sources

    url = drive_url(file_id)

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
            f"Could not download {url}: larger than the {max_bytes}-byte cap",
            argument="max_bytes",
        ) from err
    except requests.RequestException as err:
        raise net.DownloadError(
            f"Could not download {url}: {net.describe_error(err, timeout)}",
            argument=net.timeout_argument(err),
        ) from err
    except gdown.DownloadError as err:
        raise net.DownloadError(f"Could not download {url}: {err}") from err


def drive_url(file_id: str) -> str:
    return f"https://drive.google.com/uc?id={file_id}"

