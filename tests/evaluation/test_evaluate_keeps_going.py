"""`evaluate` scores the readable files of a folder and reports the others, one line each."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans import build_generator
from super_resolution_gans.evaluation import ImageFailure, evaluate


@pytest.fixture(scope="module")
def generator():
    return build_generator(num_blocks=1, filters=8, global_skip=True)


@pytest.fixture
def folder(tmp_path):
    """Two good photos, a file that is not an image, and an image too small for the protocol."""
    hr = tmp_path / "hr"
    hr.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "c.png"):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(hr / name)
    (hr / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    Image.fromarray(rng.integers(0, 256, (9, 30, 3), dtype=np.uint8)).save(hr / "d.png")
    return hr


def test_bad_files_are_reported_and_the_good_ones_scored(generator, folder):
    report = evaluate(generator, folder, progress=False)
    assert [score.name for score in report.images] == ["a.png", "c.png"]
    assert [failure.name for failure in report.failures] == ["b.png", "d.png"]
    unreadable, small = (failure.reason for failure in report.failures)
    assert str(folder / "b.png") in unreadable and "not a readable image" in unreadable
    assert str(folder / "d.png") in small and "at least 19x19" in small
    assert all("\n" not in failure.reason for failure in report.failures)
    assert np.isfinite(report.summary()["psnr_gain"])


def test_the_report_lists_the_failures_in_the_table_and_json(generator, folder, tmp_path):
    report = evaluate(generator, folder, progress=False)
    lines = report.table().splitlines()
    assert lines[-2:] == [f"failed: {f.name}: {f.reason}" for f in report.failures]
    payload = json.loads(report.to_json())
    assert [item["name"] for item in payload["failures"]] == ["b.png", "d.png"]
    assert len(payload["images"]) == 2
    report.write_csv(tmp_path / "scores.csv")
    with (tmp_path / "scores.csv").open() as handle:
        assert [row["name"] for row in csv.DictReader(handle)] == ["a.png", "c.png"]


def test_a_missing_lr_pair_is_a_failure_of_that_image(generator, folder, tmp_path):
    lr = tmp_path / "lr"
    lr.mkdir()
    with Image.open(folder / "a.png") as hr:
        hr.resize((hr.width // 4, hr.height // 4), Image.BICUBIC).save(lr / "a.png")
    report = evaluate(generator, folder, lr_dir=lr, progress=False)
    assert [score.name for score in report.images] == ["a.png"]
    missing = {failure.name: failure.reason for failure in report.failures}["c.png"]
    assert str(lr / "c.png") in missing and "not found" in missing


def test_a_folder_of_bad_files_gives_a_report_with_no_scores(generator, tmp_path):
    (tmp_path / "x.png").write_bytes(b"nothing")
    report = evaluate(generator, tmp_path, progress=False)
    assert report.images == [] and report.failures[0].name == "x.png"
    assert "no image could be scored" in report.table()
    assert json.loads(report.to_json())["mean"] is None
    (failure,) = report.failures
    assert failure == ImageFailure("x.png", failure.reason) and "readable" in failure.reason
