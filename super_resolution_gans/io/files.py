"""Which files are images: the one list of image extensions and the one folder lister."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
"""File extensions read as images wherever a folder is read (inference, evaluation, training
data), in any case."""


def is_image_file(path: str | os.PathLike) -> bool:
    """Whether `path` names an image by its extension (case-insensitive; hidden files are not).

    Example:
    >>> is_image_file("a.JPG"), is_image_file(".hidden.png"), is_image_file("notes.txt")
    (True, False, False)
    """
    path = Path(path)
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def is_listed_image(relative: str | os.PathLike) -> bool:
    """Whether a path relative to a listed folder names an image that `list_images` lists: an
    image extension (`is_image_file`) and no hidden file or folder on the way. For listers of
    other file systems (Ray Data's batch inputs), so that every lister keeps the same files.

    Example:
    >>> is_listed_image("holiday/b.JPG"), is_listed_image(".cache/a.png")
    (True, False)
    """
    relative = Path(relative)
    return is_image_file(relative) and not any(part.startswith(".") for part in relative.parts)


def list_images(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """The image files in `folder` (see `is_image_file`), sorted by path.

    Args:
        folder: the folder to list.
        recursive: include subfolders (hidden ones skipped).

    Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("b.JPG", "a.png", "notes.txt", ".hidden.png"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [path.name for path in list_images(folder)]
    ['a.png', 'b.JPG']
    """
    folder = Path(folder)
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        path for path in paths if is_listed_image(path.relative_to(folder)) and path.is_file()
    )
