"""Lazy public names for the package `__init__` modules (PEP 562).

A package lists its public names by sub-module; a name's sub-module is imported the first time
the name is used, so importing a package (for example to run `python -m
super_resolution_gans.infer --help`) imports none of TensorFlow, Keras or the networks.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """`(__getattr__, __dir__, __all__)` for `package`, whose public names are `exports`
    (`{sub-module: names}`, the sub-module relative to the package).

    Example:
    >>> getattr_, dir_, all_ = lazy_exports("json", {"decoder": ["JSONDecodeError"]})
    >>> all_, getattr_("JSONDecodeError").__name__
    (['JSONDecodeError'], 'JSONDecodeError')
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)  # the next use is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__, sorted(where)
