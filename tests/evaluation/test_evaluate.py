"""Evaluation with the paper's protocol, from Python and from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from super_resolution_gans import build_generator, save_generator
from super_resolution_gans.cli.evaluate import main
from super_resolution_gans.evaluation import evaluate
from super_resolution_gans.evaluation.metrics import psnr_y


def _photo(rng, height, width):
    """A smooth image with some texture, so that bicubic is far from perfect."""
    y, x = np.mgrid[0:height, 0:width]
    base = 128 + 80 * np.sin(x / 7.0)[..., None] * np.cos(y / 5.0)[..., None]
    noise = rng.normal(0, 12, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def hr_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hr")
    rng = np.random.default_rng(0)
    for name, (height, width) in {"a.png": (64, 80), "b.png": (70, 58)}.items():
        Image.fromarray(_photo(rng, height, width)).save(folder / name)
    return folder


@pytest.fixture(scope="module")
def bicubic_like_generator():
    # An untrained global-skip generator is exactly bicubic upsampling.
    return build_generator(num_blocks=1, filters=8, global_skip=True)


def test_an_untrained_global_skip_generator_scores_exactly_bicubic(
        hr_folder, bicubic_like_generator):
    report = evaluate(bicubic_like_generator, hr_folder, progress=False)
    assert [score.name for score in report.images] == ["a.png", "b.png"]
    for score in report.images:
        assert score.psnr == pytest.approx(score.bicubic_psnr, abs=0.02)
        assert score.ssim == pytest.approx(score.bicubic_ssim, abs=1e-3)
    assert abs(report.summary()["psnr_gain"]) < 0.02


def test_scores_follow_the_protocol_crop_to_scale_and_border(hr_folder, bicubic_like_generator):
    report = evaluate(bicubic_like_generator, hr_folder, progress=False)
    b = report.images[1]
    assert (b.height, b.width) == (68, 56)  # 70x58 cropped to multiples of 4
    hr = np.asarray(Image.open(hr_folder / "b.png"), np.float32)[:68, :56]
    lr = tf.image.resize(hr[None], (17, 14), "bicubic", antialias=True)
    lr = tf.round(tf.clip_by_value(lr, 0, 255))
    bicubic = tf.clip_by_value(tf.round(tf.image.resize(lr, (68, 56), "bicubic")), 0, 255)
    expected = float(psnr_y(hr[None], bicubic, border=4)[0])
    assert b.bicubic_psnr == pytest.approx(expected, abs=1e-4)
    assert report.border == report.scale == 4


def test_a_worse_generator_scores_below_bicubic(hr_folder):
    untrained = build_generator(num_blocks=1, filters=8)  # random weights, tanh output
    report = evaluate(untrained, hr_folder, progress=False)
    assert report.summary()["psnr_gain"] < -3


def test_cli_prints_the_table_and_writes_json_csv_and_strips(
    hr_folder, bicubic_like_generator, tmp_path, capsys
):
    model = save_generator(bicubic_like_generator, tmp_path / "g.keras")
    code = main(["--model-path", str(model), "--hr-dir", str(hr_folder), "--json",
                 str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv"),
                 "--comparison-dir", str(tmp_path / "strips"), "--compare", "a.png", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "a.png" in out and "PSNR gain over bicubic" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["images"]) == 2 and "psnr_gain" in report["mean"]
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("name,height,width,psnr")
    strips = list((tmp_path / "strips").iterdir())
    assert [p.name for p in strips] == ["a_bicubic_ours_hr.png"]
    assert Image.open(strips[0]).size == (3 * 80, 64)


def test_paired_lr_folder_is_used_and_checked(hr_folder, bicubic_like_generator, tmp_path):
    lr_folder = tmp_path / "lr"
    lr_folder.mkdir()
    for name in ("a.png", "b.png"):
        hr = Image.open(hr_folder / name)
        hr.resize((hr.width // 4, hr.height // 4), Image.BICUBIC).save(lr_folder / name)
    report = evaluate(bicubic_like_generator, hr_folder, lr_dir=lr_folder, progress=False)
    assert len(report.images) == 2
    Image.new("RGB", (5, 5)).save(lr_folder / "a.png")
    report = evaluate(bicubic_like_generator, hr_folder, lr_dir=lr_folder, progress=False)
    assert [score.name for score in report.images] == ["b.png"]  # a wrong pair stops nothing
    (failure,) = report.failures
    assert failure.name == "a.png"
    assert failure.reason.endswith("a.png: LR size 5x5 is not the HR size 80x64 divided by 4")


def test_cli_reads_the_lr_dir_and_refuses_the_old_flag_names(
    hr_folder, bicubic_like_generator, tmp_path, capsys
):
    lr_folder = tmp_path / "lr"
    lr_folder.mkdir()
    for name in ("a.png", "b.png"):
        hr = Image.open(hr_folder / name)
        hr.resize((hr.width // 4, hr.height // 4), Image.BICUBIC).save(lr_folder / name)
    model = save_generator(bicubic_like_generator, tmp_path / "g.keras")
    argv = ["--model-path", str(model), "--hr-dir", str(hr_folder), "--quiet"]
    assert main([*argv, "--lr-dir", str(lr_folder)]) == 0
    assert "b.png" in capsys.readouterr().out
    # `--lr` is train's learning rate; evaluate's 0.1 names are gone, and no flag is a prefix.
    for old in (["--lr", str(lr_folder)], ["--hr", str(hr_folder)], ["--modelPath", str(model)],
                ["--model", str(model)], ["--tileSize", "0"], ["--comparisonDir", "x"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, *old])
        assert exit_info.value.code == 2, old
        assert "unrecognized arguments" in capsys.readouterr().err


def test_cli_scores_the_good_images_and_exits_1_listing_the_bad_ones(
    hr_folder, bicubic_like_generator, tmp_path, capsys
):
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "a.png").write_bytes((hr_folder / "a.png").read_bytes())
    (folder / "broken.png").write_bytes(b"not an image")
    model = save_generator(bicubic_like_generator, tmp_path / "g.keras")
    code = main(["--model-path", str(model), "--hr-dir", str(folder), "--json",
                 str(tmp_path / "r.json"), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: 1 of 2 images failed:" and err[1].startswith("broken.png: ")
    assert [image["name"] for image in json.loads((tmp_path / "r.json").read_text())["images"]] \
        == ["a.png"]


def test_cli_errors_are_one_line_and_exit_1(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["--hr-dir", str(tmp_path / "empty"), "--model-path", "x.keras", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_degraded_inputs_score_lower_and_are_reproducible(hr_folder, bicubic_like_generator):
    clean = evaluate(bicubic_like_generator, hr_folder, progress=False)
    jpeg = evaluate(bicubic_like_generator, hr_folder, progress=False, degrade="jpeg:30")
    noisy = evaluate(bicubic_like_generator, hr_folder, progress=False, degrade="noise:8,jpeg:75")
    again = evaluate(bicubic_like_generator, hr_folder, progress=False, degrade="noise:8,jpeg:75")
    assert jpeg.summary()["bicubic_psnr"] < clean.summary()["bicubic_psnr"] - 0.3
    assert noisy.summary()["bicubic_psnr"] < clean.summary()["bicubic_psnr"] - 0.3
    assert noisy.summary() == again.summary()
    assert noisy.degrade == "noise:8,jpeg:75" and "noise:8,jpeg:75" in noisy.table()
    assert json.loads(noisy.to_json())["degrade"] == "noise:8,jpeg:75"


def test_detail_of_bicubic_is_far_below_the_original(hr_folder, bicubic_like_generator):
    report = evaluate(bicubic_like_generator, hr_folder, progress=False)
    for score in report.images:
        assert 0 < score.bicubic_detail < 0.3
        assert score.detail == pytest.approx(score.bicubic_detail, abs=0.02)
    assert "detail" in report.table()


def test_bad_degrade_spec_is_one_line_before_any_work(hr_folder, capsys):
    assert main(["--hr-dir", str(hr_folder), "--degrade", "jpeg:200", "--model-path",
                 "no_such_model.keras"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: degradation 'jpeg:200'") and "\n" not in err


@pytest.mark.parametrize("flag", ["--hr-dir", "--lr-dir"])
def test_a_missing_folder_is_one_line_naming_its_flag_before_the_model_loads(
        flag, hr_folder, tmp_path, capsys):
    folders = {"--hr-dir": str(hr_folder), flag: str(tmp_path / "missing")}
    argv = [part for item in folders.items() for part in item]
    assert main([*argv, "--model-path", "no_such_model.keras"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {flag} {tmp_path / 'missing'}: no such folder"


def test_the_library_refuses_a_missing_lr_folder_before_the_model_loads(hr_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"lr_dir '.*missing': no such folder"):
        evaluate("no_such_model.keras", hr_folder, lr_dir=tmp_path / "missing", progress=False)
