"""The installable package: the wheel's contents and an import that only defines things."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        command.append("--no-build-isolation")
    subprocess.run(command, check=True, capture_output=True, cwd=out)
    (built,) = out.glob("super_resolution_gans-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_carries_the_code_and_every_data_file_the_code_needs(wheel):
    names = set(wheel.namelist())
    package_files = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "super_resolution_gans").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert package_files <= names, sorted(package_files - names)
    assert "super_resolution_gans/assets/example_lr.png" in names
    assert not any(name.startswith("tests/") for name in names)


def test_shipped_registry_files_are_in_the_wheel(wheel):
    from super_resolution_gans.models.presets import PRETRAINED

    shipped = [entry.package_file for entry in PRETRAINED.values() if entry.package_file]
    assert shipped
    for relative in shipped:
        if (REPO / "super_resolution_gans" / relative).exists():
            assert f"super_resolution_gans/{relative}" in wheel.namelist()


def test_wheel_declares_the_console_scripts_and_dependencies(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()
    for script in ("srgan-infer", "srgan-train", "srgan-evaluate"):
        assert script in text
    (metadata,) = [n for n in wheel.namelist() if n.endswith("METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]
    # openvino and scipy (which Keras's OpenVINO exporter imports): the fast CPU path of a plain
    # install; without scipy it silently falls back to TensorFlow.
    for dependency in ("tensorflow", "keras", "numpy", "pillow", "requests", "gdown", "tqdm",
                       "safetensors", "openvino", "scipy"):
        assert any(dependency in line.lower() for line in requires), dependency


_IMPORT_PROBE = """
import json, os, random, socket, sys, warnings
def refuse(*args, **kwargs):
    raise AssertionError("network access during import")
socket.socket.connect = refuse
socket.create_connection = refuse
import numpy as np, tensorflow, keras, requests, PIL.Image, tqdm, h5py, gdown  # dependencies
def files():
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.expanduser("~")) for f in fs)
home_before, cwd_before = files(), sorted(os.listdir("."))
filters_before = list(warnings.filters)  # what our own import may not change
np_state = np.random.get_state()[1].tolist()
py_state = random.getstate()
import super_resolution_gans
print(json.dumps({
    "filters_unchanged": warnings.filters == filters_before,
    "numpy_rng_unchanged": np.random.get_state()[1].tolist() == np_state,
    "python_rng_unchanged": random.getstate() == py_state,
    "home_created": sorted(set(files()) - set(home_before)),
    "cwd_created": sorted(set(os.listdir(".")) - set(cwd_before)),
}))
"""


def test_import_touches_no_network_files_seeds_or_warning_filters(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], cwd=cwd, env=env,
                            capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["filters_unchanged"]
    assert report["numpy_rng_unchanged"] and report["python_rng_unchanged"]
    assert report["home_created"] == [] and report["cwd_created"] == []
