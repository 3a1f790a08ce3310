"""The installed package's version, read from its metadata (no import of the package root)."""

from __future__ import annotations

import importlib.metadata

__all__ = ["package_version"]


def package_version() -> str:
    """The version pip installed, e.g. "0.2.0"; "unknown" when run from a source tree that was
    never installed.

    Example:
    >>> package_version() != ""
    True
    """
    try:
        return importlib.metadata.version("super_resolution_gans")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
