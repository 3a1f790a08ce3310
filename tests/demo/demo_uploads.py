"""Bad uploads for the web demo's tests (import with `from demo_uploads import ...`).

`bad_uploads(folder)` writes one file per way an upload goes wrong and returns, for each, the
path and the start of the one-line message the demo must give (with `MAX_PIXELS` as its limit).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

MAX_PIXELS = 1_000_000
"""The pixel limit the tests give the demo."""


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of `width` x `height` black pixels: a few kB that decode to
    `width * height` pixels (Pillow refuses even to open it beyond twice its own limit)."""
    rows = (b"\x00" * (1 + (width + 7) // 8)) * height

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def bad_uploads(folder: Path) -> dict[str, tuple[Path, str]]:
    """{case: (file, expected message start)} for a text file named .png, a truncated PNG, an
    image over `MAX_PIXELS` and a decompression bomb."""
    noise = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(noise, "PNG")
    cases = {
        "text": ("notes.png", b"hello, not a picture\n",
                 "notes.png is not an image the demo can read"),
        "truncated": ("cut.png", noise.getvalue()[: len(noise.getvalue()) // 2],
                      "cut.png is truncated or corrupt"),
        "oversized": ("big.png", None,
                      f"big.png is too large for the demo (the limit is {MAX_PIXELS:,} pixels; "
                      "this one has 1100x1000 = 1,100,000"),
        "bomb": ("bomb.png", png_bomb(20_000, 20_000),
                 f"bomb.png is too large for the demo (the limit is {MAX_PIXELS:,} pixels; "
                 "this one has 20000x20000 = 400,000,000"),
    }
    files = {}
    for case, (name, content, message) in cases.items():
        path = folder / name
        if content is None:
            Image.new("L", (1100, 1000), 128).save(path)
        else:
            path.write_bytes(content)
        files[case] = (path, message)
    return files
