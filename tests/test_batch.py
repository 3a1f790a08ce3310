"""Batch super-resolution on Ray Data: outputs, manifest, resuming, bad images, the CLI."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans import build_generator, save_generator
from super_resolution_gans.batch import BatchReport, pipeline, upscale_dataset
from super_resolution_gans.batch.__main__ import main


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module (starting Ray takes seconds); upscale_dataset reuses it."""
    ray = pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    save_generator(build_generator(num_blocks=1, filters=8), path)
    return path


def _make_photos(folder: Path) -> Path:
    """Four small images (one in a subfolder) and one corrupt file."""
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg", "c.png", "sub/d.png"):
        Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(folder / name)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


@pytest.fixture
def photos(tmp_path) -> Path:
    return _make_photos(tmp_path / "photos")


@dataclasses.dataclass
class Runs:
    photos: Path
    out: Path
    first: BatchReport
    second: BatchReport
    untouched: bool


@pytest.fixture(scope="module")
def runs(ray_session, tiny_model, tmp_path_factory) -> Runs:
    """A run with two workers, then a rerun with one after spoiling one output."""
    root = tmp_path_factory.mktemp("runs")
    photos, out = _make_photos(root / "photos"), root / "out"
    first = upscale_dataset(photos, out, tiny_model, num_workers=2)
    before = (out / "a.png").stat().st_mtime_ns
    (out / "c.png").write_bytes(b"truncated")  # an invalid output is redone
    second = upscale_dataset(photos, out, tiny_model, num_workers=1)
    return Runs(photos, out, first, second, (out / "a.png").stat().st_mtime_ns == before)


def _manifest(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {Path(row["input"]).name: row for row in rows}


def test_good_images_written_and_bad_one_named_in_manifest(runs):
    for name in ("a.png", "b.jpg", "c.png", "sub/d.png"):
        assert Image.open(runs.out / name).size == (40, 48)
    assert not (runs.out / "broken.png").exists()
    assert {row["status"] for row in runs.first.rows if "broken" not in row["input"]} == {"ok"}
    assert [row["input"] for row in runs.first.failed] == [str(runs.photos / "broken.png")]
    assert runs.first.failed[0]["error"]


def test_second_run_skips_what_is_done(runs):
    rows = _manifest(runs.out / "manifest.jsonl")  # the second run's
    assert {name: row["status"] for name, row in rows.items()} == {
        "a.png": "skipped", "b.jpg": "skipped", "c.png": "ok", "d.png": "skipped",
        "broken.png": "error",
    }
    assert rows["c.png"]["output"] == str(runs.out / "c.png") and rows["c.png"]["seconds"] > 0
    assert runs.untouched


def test_cli_lists_failures_and_exits_1(ray_session, tiny_model, photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--input", str(photos), "--output", str(out), "--model", str(tiny_model), "-q"]) == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "1 of 5 images failed" in err and "Traceback" not in err
    assert (out / "a.png").exists() and (out / "manifest.jsonl").exists()


def test_cli_without_ray_says_how_to_install(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    assert main(["--input", str(tmp_path), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == 'error: Ray Data is not installed; run: pip install "super_resolution_gans[batch]"'


def test_cli_exits_0_when_nothing_failed(monkeypatch, tmp_path):
    pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    rows = [{"input": "a.png", "output": "b.png", "status": "skipped", "error": "", "seconds": 0.0}]
    monkeypatch.setattr(
        pipeline, "upscale_dataset", lambda *a, **k: BatchReport(rows, "manifest.jsonl", 1.0)
    )
    assert main(["--input", str(tmp_path), "--output", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input", "{tmp}/missing"], "no such folder"),
        (["--input", "{tmp}/photos", "--model", "{tmp}/nope.keras"], "nope.keras"),
        (["--input", "{tmp}/photos", "--output", "{tmp}/photos/x"], "inside it"),
    ],
)
def test_cli_setup_errors_are_one_line(photos, tmp_path, capsys, arguments, message):
    pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    argv = ["--output", str(tmp_path / "out"), *[a.format(tmp=tmp_path) for a in arguments]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error: ")
