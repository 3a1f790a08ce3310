"""Bounded, timed http(s) downloads with clear errors.

Every download in the package goes through this module: only ``http`` and ``https`` URLs are
fetched, each request has a connect and a read timeout, and the body is capped at ``max_bytes``
(checked against ``Content-Length`` up front and again while streaming, so a server that lies
about the length or sends no length is still stopped). Failures raise :class:`DownloadError`,
whose message names the URL and what went wrong.

The read timeout bounds the wait for each piece of data, not the whole transfer: a slow but
steady download is allowed to finish.
"""

from __future__ import annotations

import io
import logging
import re
from typing import BinaryIO
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from tqdm import tqdm

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DownloadError",
    "check_url",
    "download_to_file",
    "fetch_bytes",
    "is_url",
]

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""Default ``(connect, read)`` timeouts in seconds."""

Timeout = float | tuple[float, float]

_CHUNK_SIZE = 64 * 1024
# A scheme is a letter followed by letters, digits, "+", "-" or "."; at least two characters so
# that a Windows drive letter ("C://data") is never mistaken for one.
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+://")
_ALLOWED_SCHEMES = ("http", "https")


class DownloadError(OSError):
    """A download failed: HTTP error status, timeout, connection problem or oversized body.

    The message always names the URL and the reason. The underlying exception, when there is
    one, is chained as ``__cause__``.

    Example:

    ```python
    from super_resolution_gans import net

    try:
        data = net.fetch_bytes("https://example.com/missing.png", max_bytes=10_000_000)
    except net.DownloadError as err:
        print(err)  # Could not download https://example.com/missing.png: HTTP 404 Not Found
    ```

    Attributes:
        argument: the argument whose limit stopped the download (``"max_bytes"`` or
            ``"timeout"``), or None.
    """

    def __init__(self, message: str, *, argument: str | None = None):
        super().__init__(message)
        self.argument = argument


def is_url(value: object) -> bool:
    """Tell whether ``value`` is a string that looks like ``<scheme>://...``.

    Any scheme counts (``ftp://``, ``file://``, ...), so that callers can refuse unsupported
    schemes with a clear message instead of treating them as local paths. Use
    :func:`check_url` to require http(s).

    Args:
        value: Anything; only strings can be URLs.

    Returns:
        True for strings starting with a URL scheme followed by ``://``.

    Example:

    ```python
    is_url("https://example.com/a.png")  # True
    is_url("ftp://example.com/a.png")  # True (but check_url refuses it)
    is_url("images/a.png")  # False
    ```
    """
    return isinstance(value, str) and _URL_RE.match(value) is not None


def check_url(url: str) -> str:
    """Require an ``http`` or ``https`` URL with a host.

    Args:
        url: The URL to check.

    Returns:
        ``url`` unchanged.

    Raises:
        ValueError: If ``url`` is not a string, its scheme is not http/https, or it has no host.

    Example:

    ```python
    check_url("https://example.com/model.keras")  # returns the URL
    check_url("ftp://example.com/model.keras")  # ValueError: only http and https ...
    ```
    """
    if not isinstance(url, str):
        raise ValueError(f"Expected a URL string, received {url!r} ({type(url).__name__}).")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        shown = f"'{scheme}://'" if scheme else "no scheme"
        raise ValueError(
            f"Unsupported URL {url!r}: only http and https URLs can be downloaded, got {shown}."
        )
    if not parts.hostname:
        raise ValueError(f"Invalid URL {url!r}: it has no host name.")
    return url


def check_max_bytes(max_bytes: int) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, received {max_bytes!r}.")
    return max_bytes


def check_timeout(timeout: Timeout) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    ok = len(values) in (1, 2) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values
    )
    if not ok:
        raise ValueError(
            "timeout must be a positive number of seconds or a (connect, read) pair of them, "
            f"received {timeout!r}."
        )
    return timeout


def _timeouts(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return float(timeout[0]), float(timeout[1])
    return float(timeout), float(timeout)


def _is_read_timeout(err: BaseException) -> bool:
    # requests turns a read timeout while streaming the body into a ConnectionError wrapping
    # urllib3's ReadTimeoutError; look through the arguments and the cause chain for it.
    seen: set[int] = set()
    pending: list[object] = [err]
    while pending:
        item = pending.pop()
        if id(item) in seen or not isinstance(item, BaseException):
            continue
        seen.add(id(item))
        if isinstance(item, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
            return True
        pending.extend(item.args)
        pending.extend([item.__cause__, item.__context__])
    return False


def timeout_argument(err: BaseException) -> str | None:
    """``"timeout"`` when `err` is a connect or read timeout (a longer one may succeed).

    Example:
    >>> timeout_argument(requests.exceptions.ConnectTimeout()), timeout_argument(ValueError())
    ('timeout', None)
    """
    timed_out = isinstance(err, requests.exceptions.ConnectTimeout) or _is_read_timeout(err)
    return "timeout" if timed_out else None


def describe_error(err: requests.RequestException, timeout: Timeout) -> str:
    connect_timeout, read_timeout = _timeouts(timeout)
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return f"connection timed out after {connect_timeout:g}s"
    if _is_read_timeout(err):
        return f"timed out after {read_timeout:g}s without receiving data (read timeout)"
    if isinstance(err, requests.exceptions.InvalidSchema):
        return f"redirected to an unsupported URL (only http and https are allowed): {err}"
    if isinstance(err, requests.exceptions.ChunkedEncodingError):
        return f"the connection broke off during the transfer: {_plain(err)}"
    if isinstance(err, requests.exceptions.ConnectionError):
        return f"connection failed (offline, wrong host, or connection refused): {_plain(err)}"
    return f"{type(err).__name__}: {_plain(err)}"


def _plain(err: BaseException) -> str:
    """The reason inside a requests / urllib3 error, without their object reprs: the system
    error ("[Errno 111] Connection refused") when there is one, else the text with every
    "<... object at 0x...>" removed.

    Example:
    >>> _plain(OSError("Max retries (Caused by NewConnectionError('<urllib3.connection."
    ...                "HTTPConnection object at 0x7f12>: Failed: [Errno 111] Connection "
    ...                "refused'))"))
    '[Errno 111] Connection refused'
    """
    text = str(err)
    system_error = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    if system_error:
        return system_error.group(0).strip()
    return re.sub(r"<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*", "", text).strip()


def download_to_file(
    url: str,
    fileobj: BinaryIO,
    *,
    max_bytes: int,
    timeout: Timeout = DEFAULT_TIMEOUT,
    progress: bool = False,
    description: str | None = None,
) -> int:
    """Stream an http(s) URL into an open binary file, with a size cap and timeouts.

    ``Content-Length`` is compared with ``max_bytes`` before any of the body is read; the body
    is counted as it arrives (after content decoding) and the transfer stops as soon as more
    than ``max_bytes`` arrived. Bytes already written to ``fileobj`` before a failure stay
    there: callers writing to a temporary file should delete it on error.

    Args:
        url: An ``http://`` or ``https://`` URL.
        fileobj: A binary file-like object with a ``write`` method.
        max_bytes: Largest accepted body size in bytes.
        timeout: Seconds to wait to connect and between received pieces of data; one number
            or a ``(connect, read)`` pair.
        progress: Show a tqdm progress bar.
        description: Label of the progress bar; defaults to the last part of the URL path.

    Returns:
        The number of bytes written.

    Raises:
        ValueError: If ``url`` is not http(s), or ``max_bytes`` / ``timeout`` are invalid.
        DownloadError: On an HTTP error status, a timeout, a connection error, or a body
            larger than ``max_bytes``.

    Example:

    ```python
    with open("photo.png", "wb") as f:
        n = download_to_file("https://example.com/photo.png", f, max_bytes=50 * 1024**2)
    ```
    """
    check_url(url)
    check_max_bytes(max_bytes)
    check_timeout(timeout)
    logger.debug("Downloading %s (at most %d bytes)", url, max_bytes)
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code >= 400:
                reason = f" {response.reason}" if response.reason else ""
                raise DownloadError(
                    f"Could not download {url}: HTTP {response.status_code}{reason}"
                )
            announced = _content_length(response)
            if announced is not None and announced > max_bytes:
                raise DownloadError(
                    f"Could not download {url}: the server announced {announced} bytes, "
                    f"larger than the {max_bytes}-byte cap",
                    argument="max_bytes",
                )
            label = description or urlsplit(url).path.rsplit("/", 1)[-1] or url
            written = 0
            with tqdm(
                total=announced,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                disable=not progress,
                leave=False,
            ) as bar:
                for chunk in response.iter_content(chunk_size=_CHUNK_SIZE):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DownloadError(
                            f"Could not download {url}: the body is larger than the "
                            f"{max_bytes}-byte cap (stopped after {written} bytes)",
                            argument="max_bytes",
                        )
                    fileobj.write(chunk)
                    bar.update(len(chunk))
    except requests.RequestException as err:
        raise DownloadError(
            f"Could not download {url}: {describe_error(err, timeout)}",
            argument=timeout_argument(err),
        ) from err
    logger.debug("Downloaded %d bytes from %s", written, url)
    return written


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def fetch_bytes(url: str, *, max_bytes: int, timeout: Timeout = DEFAULT_TIMEOUT) -> bytes:
    """Download an http(s) URL into memory, with a size cap and timeouts.

    Same rules and errors as :func:`download_to_file`.

    Args:
        url: An ``http://`` or ``https://`` URL.
        max_bytes: Largest accepted body size in bytes.
        timeout: One number or a ``(connect, read)`` pair of seconds.

    Returns:
        The response body.

    Raises:
        ValueError: If ``url`` is not http(s), or ``max_bytes`` / ``timeout`` are invalid.
        DownloadError: On an HTTP error status, a timeout, a connection error, or a body
            larger than ``max_bytes``.

    Example:

    ```python
    png = fetch_bytes("https://example.com/photo.png", max_bytes=50 * 1024**2)
    ```
    """
    buffer = io.BytesIO()
    download_to_file(url, buffer, max_bytes=max_bytes, timeout=timeout)
    return buffer.getvalue()
