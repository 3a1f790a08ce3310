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
        path for path in paths
        if is_image_file(path) and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
