"""The image files of a data set: listing, pairing HR and LR folders, header checks.

Run once in Python when a dataset is built, so that a bad folder fails at once rather than
mid-epoch: every file's header is read (`io.decode.read_size`: the size `read_image` will
return, EXIF orientation applied), files it refuses are skipped with one warning naming them
all, and the sizes are checked up front.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..io.decode import read_size
from ..io.files import IMAGE_EXTENSIONS, list_images
from ..validation import ArgumentError, SourceError

__all__ = ["IMAGE_EXTENSIONS", "ImageInfo", "collect_images", "describe"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    path: str  # absolute path
    name: str  # path relative to its folder, POSIX separators: used for pairing and messages
    width: int  # upright, as `read_image` returns the image
    height: int


def _list_files(folder: Path, recursive: bool) -> list[tuple[str, Path]]:
    """(name relative to the folder, path) of its images, sorted (see `io.files`)."""
    return [(path.relative_to(folder).as_posix(), path)
            for path in list_images(folder, recursive=recursive)]


def _read_header(name: str, path: Path) -> ImageInfo | str:
    """Returns the image's upright size, or the reason it cannot be read."""
    try:
        width, height = read_size(path, max_pixels=None)  # no limit, as in `transforms.decode`
    except SourceError as err:
        return err.reason
    except Exception as err:  # Pillow raises many types for bad files; each one means "skip".
        return f"{type(err).__name__}: {err}"
    if width < 1 or height < 1:
        return f"empty image ({width}x{height})"
    return ImageInfo(str(path.resolve()), name, width, height)


def _scan_folder(
    folder: str | os.PathLike, arg_name: str, recursive: bool
) -> tuple[Path, list[str], dict[str, ImageInfo | str]]:
    """Lists a folder: (folder, sorted names, name -> info or failure reason)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise FileNotFoundError(f"`{arg_name}` does not exist: '{folder}'.")
    if not folder.is_dir():
        raise NotADirectoryError(f"`{arg_name}` is not a directory: '{folder}'.")
    files = _list_files(folder, recursive)
    if not files:
        raise ArgumentError(
            arg_name,
            f"`{arg_name}` contains no images ({', '.join(IMAGE_EXTENSIONS)}"
            f"{', searched recursively' if recursive else ''}): '{folder}'."
        )
    with ThreadPoolExecutor(max_workers=min(16, len(files))) as pool:
        headers = list(pool.map(lambda item: _read_header(*item), files))
    names = [name for name, _ in files]
    return folder, names, dict(zip(names, headers, strict=True))


def describe(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def collect_images(
    hr_dir: str | os.PathLike,
    lr_dir: str | os.PathLike | None,
    scale: int,
    recursive: bool,
) -> tuple[list[ImageInfo], list[ImageInfo] | None]:
    """Lists, pairs and header-checks the images; warns once about unreadable files.

    Returns the HR infos and, with ``lr_dir``, the LR infos in the same order (else ``None``).
    """
    hr_folder, hr_names, hr_headers = _scan_folder(hr_dir, "hr_dir", recursive)
    lr_headers: dict[str, ImageInfo | str] = {}
    if lr_dir is not None:
        lr_folder, lr_names, lr_headers = _scan_folder(lr_dir, "lr_dir", recursive)
        missing_lr = sorted(set(hr_names) - set(lr_names))
        missing_hr = sorted(set(lr_names) - set(hr_names))
        if missing_lr or missing_hr:
            parts = []
            if missing_lr:
                parts.append(f"no LR file in '{lr_folder}' for: {describe(missing_lr)}")
            if missing_hr:
                parts.append(f"no HR file in '{hr_folder}' for: {describe(missing_hr)}")
            raise ArgumentError(
                "lr_dir",
                "`hr_dir` and `lr_dir` must contain the same file names; " + "; ".join(parts),
            )

    hr_infos, lr_infos, unreadable = [], [], []
    for name in hr_names:
        hr_info = hr_headers[name]
        lr_info = lr_headers.get(name) if lr_dir is not None else None
        bad = False
        if isinstance(hr_info, str):
            unreadable.append(f"'{hr_folder / name}' ({hr_info})")
            bad = True
        if isinstance(lr_info, str):
            unreadable.append(f"'{Path(lr_dir) / name}' ({lr_info})")
            bad = True
        if not bad:
            hr_infos.append(hr_info)
            lr_infos.append(lr_info)
    if unreadable:
        logger.warning(
            "Skipping %d unreadable image file(s)%s: %s",
            len(unreadable),
            " (and their pairs)" if lr_dir is not None else "",
            "; ".join(unreadable),
        )
    if not hr_infos:
        raise ArgumentError("hr_dir", f"`hr_dir` contains no readable images: '{hr_folder}'.")

    if lr_dir is None:
        return hr_infos, None
    wrong = [
        f"{hr.name} (HR {hr.width}x{hr.height}, LR {lr.width}x{lr.height}, expected LR "
        f"{hr.width // scale}x{hr.height // scale})"
        for hr, lr in zip(hr_infos, lr_infos, strict=True)
        if (lr.width, lr.height) != (hr.width // scale, hr.height // scale)
    ]
    if wrong:
        raise ArgumentError(
            "lr_dir",
            f"LR images must be the HR size divided by scale={scale} (rounded down); "
            f"{len(wrong)} pair(s) do not match: {describe(wrong)}."
        )
    return hr_infos, lr_infos
