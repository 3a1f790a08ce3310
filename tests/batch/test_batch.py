"""Batch super-resolution on Ray Data: outputs, manifest, resuming (also after SIGKILL), bad
images, the CLI."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans import build_generator, save_generator
from super_resolution_gans.batch import BatchReport, pipeline, storage, upscale_dataset
from super_resolution_gans.batch.__main__ import main
from super_resolution_gans.inference import UpscaleOptions

SUBPROCESS_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


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


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _manifest(path: Path) -> dict[str, dict]:
    """The rows of a finished run's manifest by input name (its last line is the summary)."""
    *rows, last = _lines(path)
    assert set(last) == {"summary"} and last["summary"]["inputs"] == len(rows)
    return {Path(row["input"]).name: row for row in rows}


def test_good_images_written_and_bad_one_named_in_manifest(runs):
    for name in ("a.png", "b.jpg", "c.png", "sub/d.png"):
        assert Image.open(runs.out / name).size == (40, 48)
    assert not (runs.out / "broken.png").exists()
    assert {row["status"] for row in runs.first.rows if "broken" not in row["input"]} == {"ok"}
    assert [row["input"] for row in runs.first.failed] == [str(runs.photos / "broken.png")]


def test_a_failed_row_names_the_file_and_reason_and_no_output(runs):
    (failed,) = runs.first.failed
    assert failed["output"] == "" and not (runs.out / "broken.png").exists()
    assert failed["error"].startswith(f"'{runs.photos / 'broken.png'}' is not a readable image")


def test_second_run_skips_what_is_done(runs):
    rows = _manifest(runs.out / "manifest.jsonl")  # the second run's
    assert {name: row["status"] for name, row in rows.items()} == {
        "a.png": "skipped", "b.jpg": "skipped", "c.png": "ok", "d.png": "skipped",
        "broken.png": "error",
    }
    assert rows["c.png"]["output"] == str(runs.out / "c.png") and rows["c.png"]["seconds"] > 0
    assert runs.untouched
    summary = _lines(runs.out / "manifest.jsonl")[-1]["summary"]
    assert summary == {**runs.second.summary, "ok": 1, "skipped": 3, "error": 1, "inputs": 5}


def _outputs(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.png") if not path.name.startswith("."))


def _session_processes(session: int) -> list[int]:
    """The processes of a session (the killed run, its Ray services and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.getsid(int(entry.name)) == session:
                found.append(int(entry.name))
        except (ProcessLookupError, PermissionError):
            continue
    return found


def _kill_session(process: subprocess.Popen) -> None:
    """SIGKILL for the run and every Ray process it started, at once; waits until all are gone."""
    deadline = time.monotonic() + 20
    while (pids := _session_processes(process.pid)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.poll()
        time.sleep(0.05)
    process.wait(timeout=10)


def test_a_run_killed_midway_leaves_a_row_for_every_output_and_resumes(
    ray_session, tiny_model, tmp_path
):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    rng = np.random.default_rng(1)
    names = [f"p{index:02d}.png" for index in range(20)]
    for name in names:  # noise compresses badly: each output takes a while to write
        Image.fromarray(rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)).save(photos / name)
    command = [sys.executable, "-m", "super_resolution_gans.batch", "--input-path", str(photos),
               "--output-path", str(out), "--model-path", str(tiny_model), "--workers", "1",
               "--cpus", "1", "--runtime", "tensorflow", "-q"]
    with (tmp_path / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(command, env=SUBPROCESS_ENV, stdout=stderr, stderr=stderr,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while len(_outputs(out)) < 3:
                assert process.poll() is None, (tmp_path / "stderr.txt").read_text()[-2000:]
                assert time.monotonic() < deadline, "no outputs within 120 s"
                time.sleep(0.02)
        finally:
            _kill_session(process)
    assert process.returncode == -signal.SIGKILL

    written = _outputs(out)  # not the temporary files a killed write may have left
    journal = _lines(out / "manifest.jsonl")  # every line complete, no summary yet
    assert 3 <= len(written) < len(names) and all("summary" not in row for row in journal)
    done = {Path(row["output"]).name for row in journal if row["status"] == "ok"}
    assert set(written) <= done  # every output has its row
    assert len(done - set(written)) <= 1  # the one worker may have been killed before renaming
    for name in written:
        with Image.open(out / name) as image:
            image.load()
            assert image.size == (640, 640)

    report = upscale_dataset(photos, out, tiny_model,
                             options=UpscaleOptions(runtime="tensorflow"), jpeg_quality=70)
    rows = _manifest(out / "manifest.jsonl")
    assert sorted(rows) == names
    assert {name for name, row in rows.items() if row["status"] == "skipped"} == set(written)
    assert report.summary["ok"] == len(names) - len(written) and not report.failed
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]


def test_workers_share_the_cpus_ray_has(ray_session):
    # ray_session has 2 CPUs: each worker's actor (and TensorFlow's threads in it) gets its share
    assert [pipeline._cpus_per_worker(workers) for workers in (1, 2, 3)] == [2, 1, 1]
    assert pipeline._usable_cpus() == len(os.sched_getaffinity(0))


def test_journal_on_an_object_store_is_one_object_per_row_until_the_end(tmp_path):
    from pyarrow import fs

    bucket = fs.SubTreeFileSystem(str(tmp_path), fs.LocalFileSystem())  # not local: objects
    storage.prepare_manifest(bucket, "out/manifest.jsonl")
    rows = [{"input": f"s3://b/{name}", "status": "ok"} for name in ("a.png", "b.png")]
    for row in rows:
        storage.append_row(bucket, "out/manifest.jsonl", row)
    parts = sorted((tmp_path / "out" / "manifest.jsonl.rows").iterdir())
    assert sorted(json.loads(part.read_text())["input"] for part in parts) == ["s3://b/a.png",
                                                                               "s3://b/b.png"]
    storage.write_manifest(bucket, "out/manifest.jsonl", rows, {"inputs": 2})
    assert _lines(tmp_path / "out" / "manifest.jsonl") == [*rows, {"summary": {"inputs": 2}}]
    assert not (tmp_path / "out" / "manifest.jsonl.rows").exists()


def test_cli_lists_failures_and_exits_1(ray_session, tiny_model, photos, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--input-path", str(photos), "--output-path", str(out), "--model-path",
            str(tiny_model), "-q"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "1 of 5 images failed" in err and "Traceback" not in err
    assert (out / "a.png").exists() and (out / "manifest.jsonl").exists()


def test_cli_without_ray_says_how_to_install(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    assert main(["--input-path", str(tmp_path), "--output-path", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ('error: Ray Data is not installed; run: pip install '
                   '"super_resolution_gans[batch]"')


def test_cli_exits_0_when_nothing_failed(monkeypatch, tmp_path):
    pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    rows = [{"input": "a.png", "output": "b.png", "status": "skipped", "error": "", "seconds": 0.0}]
    monkeypatch.setattr(
        pipeline, "upscale_dataset", lambda *a, **k: BatchReport(rows, "manifest.jsonl", 1.0)
    )
    assert main(["--input-path", str(tmp_path), "--output-path", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input-path", "{tmp}/missing"], "no such folder"),
        (["--input-path", "{tmp}/photos", "--model-path", "{tmp}/nope.keras"], "nope.keras"),
        (["--input-path", "{tmp}/photos", "--output-path", "{tmp}/photos/x"], "inside it"),
    ],
)
def test_cli_setup_errors_are_one_line(photos, tmp_path, capsys, arguments, message):
    pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    argv = ["--output-path", str(tmp_path / "out"), *[a.format(tmp=tmp_path) for a in arguments]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_outputs_are_written_at_the_jpeg_quality_asked_for(tmp_path):
    local = storage.resolve(str(tmp_path))[0]
    image = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    storage.write_output(local, str(tmp_path / "low.jpg"), image, quality=30)
    storage.write_output(local, str(tmp_path / "high.jpg"), image, quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size / 2
