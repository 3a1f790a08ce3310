"""Whether an image source is JPEG-compressed, from its first bytes (or its name, for URLs),
without decoding it: the default model differs for JPEG inputs (see `inference.Upscaler`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from . import net

__all__ = ["is_jpeg_source"]

_JPEG_MAGIC = b"\xff\xd8\xff"


def is_jpeg_source(source: Any) -> bool:
    """True for a JPEG file, JPEG bytes, a PIL image decoded from a JPEG, or an http(s) URL whose
    path ends in .jpg / .jpeg; False for anything else (arrays included: their history is
    unknown), and for paths that cannot be read (reading them reports the error).

    Example:
    >>> is_jpeg_source(b"\\xff\\xd8\\xff\\xe0..."), is_jpeg_source("https://a.org/p.JPG")
    (True, True)
    """
    if isinstance(source, Image.Image):
        return source.format in ("JPEG", "MPO")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:3]) == _JPEG_MAGIC
    if isinstance(source, str) and net.is_url(source):
        return urlsplit(source).path.lower().endswith((".jpg", ".jpeg"))
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(Path(source).expanduser(), "rb") as file:
                return file.read(3) == _JPEG_MAGIC
        except OSError:
            return False
    return False
