"""The package keeps ARCHITECTURE.md's layering: import-linter's contracts (pyproject.toml's
`[tool.importlinter]`) hold, and they would catch an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """`lint-imports` run in `folder` (it reads the configuration and the package there)."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    command = command or shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports not found: pip install import-linter (in the `test` extra)")
    return subprocess.run(
        [command, "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},  # one violation per line in the report
    )


def test_imports_follow_the_documented_layers():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contracts are not vacuous: `io` importing `inference` is reported."""
    shutil.copytree(ROOT / "super_resolution_gans", tmp_path / "super_resolution_gans",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "super_resolution_gans" / "io" / "files.py", "a") as file:
        file.write("\nfrom ..inference import tiling  # noqa: E402, F401 (upward)\n")
    result = _lint_imports(tmp_path)
    report = " ".join(result.stdout.split())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "super_resolution_gans.io is not allowed to import super_resolution_gans.inference" in (
        report)
