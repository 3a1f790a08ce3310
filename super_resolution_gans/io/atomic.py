"""One way to write a file: into a temporary file beside it, then renamed over it in one step.

A reader (or a crash, or `kill -9`) sees either the old file or the complete new one, never a
partial file; after an error the temporary file is removed and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from ..validation import ArgumentError


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike,
    *,
    suffix: str | None = None,
    directory: bool = False,
    companions: Sequence[str] = (),
) -> Iterator[Path]:
    """A temporary path beside `path` that replaces `path` when the block succeeds.

    Write whatever needs a path (`keras.Model.save`, an exporter, ...) to the yielded path.
    On a normal exit it gets the permissions of the file it replaces (else 0o666 minus the
    umask; a folder 0o777 minus the umask) and is renamed onto `path`; on an exception it is
    removed and `path` is left as it was. The parent folder must exist.

    Args:
        path: the destination.
        suffix: the temporary name's ending (some writers pick the format from it); defaults
            to `path`'s suffix.
        directory: the temporary path is an (empty) folder, which replaces a folder `path`.
        companions: endings of files the writer puts beside the temporary path, named like it
            (OpenVINO writes `model.bin` beside `model.xml`): each replaces `path` with that
            ending, before `path` itself, and is removed after an error.

    Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    ending = path.suffix if suffix is None else suffix
    if companions and not ending:
        raise ArgumentError("companions", "companions need a path (or suffix) with an ending")
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=ending, dir=path.parent))
    else:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=ending, dir=path.parent)
        os.close(handle)
        temporary = Path(name)
    staged = [(temporary.with_suffix(end), path.with_suffix(end)) for end in companions]
    staged.append((temporary, path))
    try:
        yield temporary
        for source, target in staged:
            _replace(source, target)
    except BaseException:
        for source, _ in staged:
            if source.is_dir():
                shutil.rmtree(source, ignore_errors=True)
            else:
                source.unlink(missing_ok=True)
        raise


def _replace(source: Path, target: Path) -> None:
    """Renames `source` onto `target`, with the permissions `target` has or a new one gets."""
    if source.is_dir():
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o777 & ~current_umask()
        os.chmod(source, mode)  # mkdtemp creates 0o700
        if target.is_dir():
            shutil.rmtree(target)
    else:
        os.chmod(source, new_file_mode(target))  # mkstemp creates 0o600
    os.replace(source, target)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "wb", *, suffix: str | None = None, **open_args
) -> Iterator[IO]:
    """`open(path, mode)` for writing, atomically (see `atomic_path`).

    Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "data.bin"
    >>> with atomic_write(target) as file:
    ...     _ = file.write(b"abc")
    >>> target.read_bytes()
    b'abc'
    """
    if "w" not in mode:
        raise ArgumentError(
            "mode", f"mode must be a writing mode such as 'w' or 'wb', got {mode!r}"
        )
    with atomic_path(path, suffix=suffix) as temporary, open(temporary, mode, **open_args) as file:
        yield file


def new_file_mode(path: str | os.PathLike) -> int:
    """Permissions for an atomically written file: those of the file it replaces, else 0o666
    minus the umask.

    Example:
    >>> new_file_mode("/no/such/file") == 0o666 & ~current_umask()
    True
    """
    try:
        return Path(path).stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux).

    Example:
    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:  # Linux: read it without changing it (os.umask would, for all threads)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
