"""Files for batch runs on local folders and on URIs pyarrow understands (`s3://`, `gs://`, ...).

Local paths are written with the library's atomic writer (temporary file, then rename). Object
stores publish an object only when its upload completes, so a partial output is never visible
there either.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..io.atomic import atomic_write
from ..io.files import IMAGE_EXTENSIONS
from ..io.write import write_image

MANIFEST_NAME = "manifest.jsonl"
"""The manifest's file name in the output folder when no other place is given."""


def resolve(uri: str | os.PathLike) -> tuple[Any, str]:
    """A pyarrow filesystem and the path inside it for a folder path or URI.

    Example:
    >>> filesystem, path = resolve("/tmp/photos")
    >>> type(filesystem).__name__, path
    ('LocalFileSystem', '/tmp/photos')
    """
    from pyarrow import fs

    text = os.fspath(uri)
    if "://" not in text:
        return fs.LocalFileSystem(), str(Path(text).expanduser().resolve())
    return fs.FileSystem.from_uri(text)


def is_local(filesystem: Any) -> bool:
    """Whether `filesystem` is the machine's own disk."""
    from pyarrow import fs

    return isinstance(filesystem, fs.LocalFileSystem)


def list_images(filesystem: Any, root: str) -> list[str]:
    """Image files under `root`, recursively, as sorted paths relative to it.

    Hidden files and folders are skipped; images are recognised by extension
    (`io.files.IMAGE_EXTENSIONS`, any case).

    Raises:
        FileNotFoundError: `root` does not exist.
        ValueError: `root` is a file, not a folder.

    Example:
    >>> list_images(*resolve("photos"))  # doctest: +SKIP
    ['a.png', 'holiday/b.JPG']
    """
    from pyarrow import fs

    info = filesystem.get_file_info(root)
    if info.type == fs.FileType.NotFound:
        raise FileNotFoundError(f"input {root!r}: no such folder")
    if info.type != fs.FileType.Directory:
        raise ValueError(f"input {root!r}: is a file; give a folder of images")
    found = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    prefix = root.rstrip("/") + "/"
    relative = (item.path[len(prefix):] for item in found if item.type == fs.FileType.File)
    return sorted(
        path for path in relative
        if Path(path).suffix.lower() in IMAGE_EXTENSIONS
        and not any(part.startswith(".") for part in Path(path).parts)
    )


def read_bytes(filesystem: Any, path: str) -> bytes:
    """The whole content of the file at `path`."""
    with filesystem.open_input_stream(path) as stream:
        return stream.read()


def is_valid_image(filesystem: Any, path: str) -> bool:
    """Whether `path` exists and decodes completely as an image (for resuming runs)."""
    from pyarrow import fs

    if filesystem.get_file_info(path).type != fs.FileType.File:
        return False
    try:
        with Image.open(io.BytesIO(read_bytes(filesystem, path))) as image:
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return True


def write_output(filesystem: Any, path: str, image: np.ndarray) -> None:
    """Writes `image` to `path` (format from the extension) so no partial file is ever seen."""
    if is_local(filesystem):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_image(image, path)
        return
    with tempfile.TemporaryDirectory() as folder:
        local = write_image(image, Path(folder) / Path(path).name)
        _upload(filesystem, path, local.read_bytes())


def write_manifest(filesystem: Any, path: str, rows: Iterable[dict[str, Any]]) -> None:
    """Writes `rows` as JSON lines to `path`, atomically."""
    data = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()
    if not is_local(filesystem):
        _upload(filesystem, path, data)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as file:
        file.write(data)


def _upload(filesystem: Any, path: str, data: bytes) -> None:
    parent = path.rsplit("/", 1)[0]
    filesystem.create_dir(parent, recursive=True)
    with filesystem.open_output_stream(path) as stream:
        stream.write(data)
