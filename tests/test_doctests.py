"""The docstring examples of the library's modules run (what `--doctest-modules` runs).

`python -m pytest --doctest-modules super_resolution_gans` collects the same examples; this
test keeps them in the default suite. Examples that need a file or the network are marked
`# doctest: +SKIP` or written as fenced code, which doctest ignores.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import super_resolution_gans


def _modules() -> list[str]:
    prefix = "super_resolution_gans."
    packages = pkgutil.walk_packages(super_resolution_gans.__path__, prefix)
    return sorted(info.name for info in packages)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
