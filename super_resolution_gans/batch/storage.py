"""Files for batch runs on local folders and on URIs pyarrow understands (`s3://`, `gs://`, ...).

Local paths are written with the library's atomic writer (temporary file, then rename) and
flushed to disk; object stores publish an object only when its upload completes, so a partial
output is never visible there either.

The manifest is a journal that grows by one durable row per finished image (`append_row`): on
a local disk, appended to the manifest file under a lock and fsynced; on an object store, one
object per row beside it (`<manifest>.rows/`), since objects cannot be appended to. At the end
of a run `write_manifest` replaces the journal with one row per input and a summary line. A
manifest without a summary line is the journal of a run that was interrupted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..io.atomic import atomic_path, atomic_write
from ..io.files import is_listed_image
from ..io.write import DEFAULT_JPEG_QUALITY, write_image

try:
    import fcntl
except ImportError:  # Windows: appends of one short line are not interleaved there either
    fcntl = None

MANIFEST_NAME = "manifest.jsonl"
"""The manifest's file name in the output folder when no other place is given."""

ROWS_SUFFIX = ".rows"
"""On object stores, the journal's rows are objects under `<manifest>.rows/` until the run ends."""

SUMMARY_KEY = "summary"
"""The key of the manifest's last line, written when a run ends: counts per status and time."""


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

    The files `io.files.list_images` would list (`io.files.is_listed_image`): image
    extensions, any case, no hidden file or folder.

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
    return sorted(path for path in relative if is_listed_image(path))


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


def write_output(
    filesystem: Any,
    path: str,
    image: np.ndarray,
    *,
    quality: int = DEFAULT_JPEG_QUALITY,
    before_publish: Callable[[], None] | None = None,
) -> None:
    """Writes `image` to `path` (format from the extension, JPEG and WebP at `quality`) so no
    partial file is ever seen.

    The image is written completely (on a local disk: to a temporary file beside `path`,
    flushed to disk), then `before_publish` is called, then the image appears at `path` in one
    step (a rename; an upload). An error in `before_publish` leaves `path` as it was.
    """
    if not is_local(filesystem):
        with tempfile.TemporaryDirectory() as folder:
            local = write_image(image, Path(folder) / Path(path).name, quality=quality)
            if before_publish is not None:
                before_publish()
            _upload(filesystem, path, local.read_bytes())
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        write_image(image, temporary, quality=quality)
        _fsync(temporary)
        if before_publish is not None:
            before_publish()
    _fsync(target.parent)


def remove_partial_outputs(filesystem: Any, root: str, relatives: Iterable[str]) -> list[str]:
    """Removes the temporary files that interrupted atomic writes left beside the files
    `relatives` (paths relative to `root`); returns their paths. Nothing to do on object
    stores, where an unfinished upload is never published.

    Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> _ = Path(root, ".a.png.k3j4h5_x.png").write_bytes(b"half an image")
    >>> [Path(path).name for path in remove_partial_outputs(*resolve(root), ["a.png"])]
    ['.a.png.k3j4h5_x.png']
    """
    if not is_local(filesystem):
        return []
    names: dict[Path, set[str]] = {}
    for relative in relatives:
        target = Path(root) / relative
        names.setdefault(target.parent, set()).add(target.name)
    removed = []
    for folder, wanted in names.items():
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if _temporary_file_of(entry.name) in wanted and entry.is_file():
                entry.unlink(missing_ok=True)
                removed.append(str(entry))
    return removed


# `io.atomic.atomic_path`'s temporary names: "." + name + "." + 8 random characters + suffix
# (nested when a temporary file is itself written atomically).
_TEMPORARY_NAME = re.compile(r"\.(?P<name>.+(?P<suffix>\.[^.]+))\.[a-z0-9_]{8}(?P=suffix)")


def _temporary_file_of(name: str) -> str | None:
    """The file whose atomic write uses the temporary file `name`, or None."""
    match = _TEMPORARY_NAME.fullmatch(name)
    while match and _TEMPORARY_NAME.fullmatch(match["name"]):
        match = _TEMPORARY_NAME.fullmatch(match["name"])
    return match["name"] if match else None


def prepare_manifest(filesystem: Any, path: str) -> None:
    """Checks that the journal can be written at `path` before any work starts (its folder is
    created)."""
    if not is_local(filesystem):
        filesystem.create_dir(f"{path}{ROWS_SUFFIX}", recursive=True)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    os.close(descriptor)
    _fsync(target.parent)


def append_row(filesystem: Any, path: str, row: dict[str, Any]) -> None:
    """Adds one row to the manifest journal at `path`, durably: when this returns the row is on
    disk (local) or published (object store). Workers may call it at the same time.

    Example:
    >>> import tempfile
    >>> manifest = str(Path(tempfile.mkdtemp()) / "manifest.jsonl")
    >>> append_row(*resolve(manifest), {"input": "a.png", "status": "ok"})
    >>> Path(manifest).read_text()
    '{"input": "a.png", "status": "ok"}\\n'
    """
    line = (json.dumps(row, sort_keys=True) + "\n").encode()
    if not is_local(filesystem):
        key = hashlib.sha1(str(row.get("input", "")).encode()).hexdigest()
        _upload(filesystem, f"{path}{ROWS_SUFFIX}/{key}.json", line)
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # released by close
        view = memoryview(line)
        while view:
            view = view[os.write(descriptor, view):]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_manifest(
    filesystem: Any,
    path: str,
    rows: Iterable[dict[str, Any]],
    summary: dict[str, Any] | None = None,
) -> None:
    """Replaces the manifest at `path` with `rows` as JSON lines and, when given, a last line
    `{"summary": summary}`, atomically; on an object store, the journal's row objects are then
    deleted."""
    lines = [json.dumps(row, sort_keys=True) for row in rows]
    if summary is not None:
        lines.append(json.dumps({SUMMARY_KEY: summary}, sort_keys=True))
    data = "".join(line + "\n" for line in lines).encode()
    if not is_local(filesystem):
        _upload(filesystem, path, data)
        from pyarrow import fs

        if filesystem.get_file_info(f"{path}{ROWS_SUFFIX}").type == fs.FileType.Directory:
            filesystem.delete_dir(f"{path}{ROWS_SUFFIX}")
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    _fsync(target.parent)


def _fsync(path: str | os.PathLike) -> None:
    """Flushes a file, or a folder's entries, to disk (folders: where the OS allows it)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except (IsADirectoryError, PermissionError):
        return  # Windows opens no folders
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on folders
    finally:
        os.close(descriptor)


def _upload(filesystem: Any, path: str, data: bytes) -> None:
    parent = path.rsplit("/", 1)[0]
    filesystem.create_dir(parent, recursive=True)
    with filesystem.open_output_stream(path) as stream:
        stream.write(data)
