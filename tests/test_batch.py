"""Batch super-resolution on Ray Data: outputs, manifest, resuming, bad images, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ray = pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")

from super_resolution_gans import build_generator, save_generator  # noqa: E402
from super_resolution_gans.batch import upscale_dataset  # noqa: E402
from super_resolution_gans.batch.__main__ import main  # noqa: E402


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module (starting Ray takes seconds); upscale_dataset reuses it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    save_generator(build_generator(num_blocks=1, filters=8), path)
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    """Four small images (one in a subfolder) and one corrupt file."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg", "c.png", "sub/d.png"):
        Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(folder / name)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def _manifest(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {Path(row["input"]).name: row for row in rows}


def test_good_images_written_and_bad_one_named_in_manifest(ray_session, tiny_model, photos, tmp_path):
    out = tmp_path / "out"
    report = upscale_dataset(photos, out, tiny_model, num_workers=1)
    for name in ("a.png", "b.jpg", "c.png", "sub/d.png"):
        assert Image.open(out / name).size == (40, 48)
    assert not (out / "broken.png").exists()
    rows = _manifest(out / "manifest.jsonl")
    assert {name: row["status"] for name, row in rows.items()} == {
        "a.png": "ok", "b.jpg": "ok", "c.png": "ok", "d.png": "ok", "broken.png": "error"
    }
    assert "broken.png" in rows["broken.png"]["input"] and rows["broken.png"]["error"]
    assert rows["a.png"]["output"] == str(out / "a.png") and rows["a.png"]["seconds"] > 0
    assert [row["input"] for row in report.failed] == [str(photos / "broken.png")]


def test_second_run_skips_what_is_done(ray_session, tiny_model, photos, tmp_path):
    out = tmp_path / "out"
    upscale_dataset(photos, out, tiny_model, num_workers=2)
    before = (out / "a.png").stat().st_mtime_ns
    (out / "c.png").write_bytes(b"truncated")  # an invalid output is redone
    report = upscale_dataset(photos, out, tiny_model, num_workers=2)
    statuses = {Path(row["input"]).name: row["status"] for row in report.rows}
    assert statuses == {
        "a.png": "skipped", "b.jpg": "skipped", "c.png": "ok", "d.png": "skipped",
        "broken.png": "error",
    }
    assert (out / "a.png").stat().st_mtime_ns == before
    assert Image.open(out / "c.png").size == (40, 48)


def test_cli_exit_code_and_one_line_errors(ray_session, tiny_model, photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--input", str(photos), "--output", str(out), "--model", str(tiny_model), "-q"]) == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "1 of 5 images failed" in err and "Traceback" not in err
    (photos / "broken.png").unlink()
    assert main(["--input", str(photos), "--output", str(out), "--model", str(tiny_model), "-q"]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input", "{tmp}/missing"], "no such folder"),
        (["--input", "{tmp}/photos", "--model", "{tmp}/nope.keras"], "nope.keras"),
        (["--input", "{tmp}/photos", "--output", "{tmp}/photos/x"], "inside it"),
    ],
)
def test_cli_setup_errors_are_one_line(photos, tmp_path, capsys, arguments, message):
    argv = ["--output", str(tmp_path / "out"), *[a.format(tmp=tmp_path) for a in arguments]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error: ")
