"""Tests for the inference CLI, `python -m super_resolution_gans.infer` (mostly in-process)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from super_resolution_gans.cli.infer import build_parser, main
from super_resolution_gans.srgan_utils import SRGAN_predict

# shared/ sits beside the repository's checkout.
SEED_FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/keras2_seed_format"
SEED_FULL_MODEL = SEED_FIXTURES / "seed_generator_2blocks.h5"
RNG = np.random.default_rng(11)


def random_rgb(height: int = 10, width: int = 14) -> np.ndarray:
    return RNG.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def save_image(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path)
    return path


def run_cli(capsys, *argv: object) -> tuple[int, str]:
    """Runs `main` in-process; returns the exit code and what went to stderr."""
    code = main([str(arg) for arg in argv])
    return code, capsys.readouterr().err


def assert_one_error_line(stderr: str, *names: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for name in names:
        assert name in lines[0], lines[0]


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def test_file_in_file_out(tmp_path, tiny_generator_file, capsys):
    source = save_image(random_rgb(), tmp_path / "in.png")
    output = tmp_path / "results" / "out.png"  # the folder is created
    code, stderr = run_cli(capsys, "--input-path", source, "--output-path", output,
                           "--model-path", tiny_generator_file, "--quiet")
    assert code == 0, stderr
    assert stderr == ""
    _, expected = SRGAN_predict(source, tiny_generator_file)
    np.testing.assert_array_equal(read_png(output), expected)


def test_predecessor_camel_case_flags_and_tiling(tmp_path, tiny_generator_file, capsys):
    source = save_image(random_rgb(20, 30), tmp_path / "in.png")
    output = tmp_path / "out.png"
    code, stderr = run_cli(capsys, "--inputPath", source, "--outputPath", output,
                           "--modelPath", tiny_generator_file, "--tileSize", 8,
                           "--tileBatchSize", 3, "-q")
    assert code == 0, stderr
    _, whole = SRGAN_predict(source, tiny_generator_file, tile_size=0)
    assert np.abs(read_png(output).astype(int) - whole.astype(int)).max() <= 1


def test_predecessor_keras2_model_file_works(tmp_path, capsys):
    source = save_image(random_rgb(40, 56), tmp_path / "in.png")
    output = tmp_path / "out.png"
    code, stderr = run_cli(capsys, "--input-path", source, "--output-path", output,
                           "--model-path", SEED_FULL_MODEL, "--quiet")
    assert code == 0, stderr
    assert read_png(output).shape == (160, 224, 3)


def test_url_input(tmp_path, tiny_generator_file, http_server, capsys):
    image = random_rgb()
    url = http_server.add("/photo.png", png_bytes(image))
    output = tmp_path / "out.png"
    code, stderr = run_cli(capsys, "--input-path", url, "--output-path", output,
                           "--model-path", tiny_generator_file, "--quiet")
    assert code == 0, stderr
    _, expected = SRGAN_predict(image, tiny_generator_file)
    np.testing.assert_array_equal(read_png(output), expected)


def test_folder_with_a_bad_image_writes_the_others_and_lists_it(
    tmp_path, tiny_generator_file, capsys
):
    folder = tmp_path / "photos"
    folder.mkdir()
    save_image(random_rgb(), folder / "a.png")
    save_image(random_rgb(8, 12), folder / "b.JPG")
    (folder / "bad.png").write_bytes(b"not an image at all")
    (folder / "notes.txt").write_text("ignored")
    (folder / "sub").mkdir()
    save_image(random_rgb(), folder / "sub" / "nested.png")  # not recursive
    output = tmp_path / "out"
    code, stderr = run_cli(capsys, "--input-path", folder, "--output-path", output,
                           "--model-path", tiny_generator_file, "--quiet")
    assert code == 1
    assert sorted(p.name for p in output.iterdir()) == ["a.png", "b.JPG"]
    assert read_png(output / "a.png").shape == (40, 56, 3)
    assert read_png(output / "b.JPG").shape == (32, 48, 3)
    assert "Traceback" not in stderr
    bad_lines = [line for line in stderr.splitlines() if line.startswith("bad.png: ")]
    assert len(bad_lines) == 1 and "not a readable image" in bad_lines[0]
    assert "notes.txt" not in stderr and "a.png" not in stderr


def test_folder_of_good_images_exits_0_and_loads_the_model_once(tmp_path, tiny_generator_file,
                                                               capsys, monkeypatch):
    from super_resolution_gans.io import model_io

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("x.png", "y.tif", "z.bmp"):
        save_image(random_rgb(), folder / name)
    loads = []
    real_load_generator = model_io.load_generator
    monkeypatch.setattr(
        model_io, "load_generator",
        lambda model, **kwargs: loads.append(model) or real_load_generator(model, **kwargs),
    )
    code, stderr = run_cli(capsys, "--input-path", folder, "--output-path", tmp_path / "out",
                           "--model-path", tiny_generator_file, "--quiet")
    assert code == 0, stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.png", "y.tif", "z.bmp"]
    assert loads == [str(tiny_generator_file)]


def test_folder_output_may_not_be_the_input_folder(tmp_path, tiny_generator_file, capsys):
    save_image(random_rgb(), tmp_path / "a.png")
    before = (tmp_path / "a.png").read_bytes()
    code, stderr = run_cli(capsys, "--input-path", tmp_path, "--output-path", tmp_path,
                           "--model-path", tiny_generator_file, "--quiet")
    assert code == 1
    assert_one_error_line(stderr, "input folder")
    assert (tmp_path / "a.png").read_bytes() == before


def test_empty_folder_is_an_error(tmp_path, tiny_generator_file, capsys):
    (tmp_path / "empty").mkdir()
    code, stderr = run_cli(capsys, "--input-path", tmp_path / "empty", "--output-path",
                           tmp_path / "out", "--model-path", tiny_generator_file, "--quiet")
    assert code == 1
    assert_one_error_line(stderr, str(tmp_path / "empty"), "no image files")
    assert not (tmp_path / "out").exists()


def write_h5_model(path: Path, layer_classes: list[str]) -> Path:
    """A Keras-2-style .h5 whose model config lists `layer_classes` (read as data, never run)."""
    layers = [
        {"class_name": name, "name": f"layer{i}", "config": {}}
        for i, name in enumerate(layer_classes)
    ]
    config = {"class_name": "Model", "config": {"layers": layers}}
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config).encode()
        h5.attrs["keras_version"] = b"2.3.1"
        weights = h5.create_group("model_weights")
        weights.attrs["layer_names"] = [f"layer{i}".encode() for i in range(len(layer_classes))]
        for i in range(len(layer_classes)):
            weights.create_group(f"layer{i}").attrs["weight_names"] = []
    return path


def truncated_png() -> bytes:
    data = png_bytes(random_rgb(40, 40))
    return data[: len(data) // 2]


# Each case: (files to create in tmp_path, extra argv, substrings of the one stderr line).
ERROR_CASES = {
    "missing input": ({}, ["--input-path", "{tmp}/missing.png"], ["missing.png", "not found"]),
    "zero-byte file": ({"empty.png": b""}, ["--input-path", "{tmp}/empty.png"],
                       ["empty.png", "empty"]),
    "not an image": ({"text.png": b"hello, world\n" * 10}, ["--input-path", "{tmp}/text.png"],
                     ["text.png", "not a readable image"]),
    "truncated png": ({"cut.png": truncated_png()}, ["--input-path", "{tmp}/cut.png"],
                      ["cut.png", "truncated"]),
    "decompression bomb": ({"big.png": png_bytes(random_rgb(40, 56))},
                           ["--input-path", "{tmp}/big.png", "--max-pixels", "1000"],
                           ["big.png", "decompression bomb", "--max-pixels"]),
    "missing model": ({}, ["--model-path", "{tmp}/nope.keras"], ["nope.keras", "not found"]),
    "garbage .keras": ({"bad.keras": os.urandom(2000)}, ["--model-path", "{tmp}/bad.keras"],
                       ["bad.keras", "not a .keras file"]),
    "garbage .h5": ({"bad.h5": b"\x00" * 100}, ["--model-path", "{tmp}/bad.h5"],
                    ["bad.h5", "not a readable"]),
    "model with a Lambda layer": ({"lambda.h5": "lambda"}, ["--model-path", "{tmp}/lambda.h5"],
                                  ["lambda.h5", "Lambda"]),
    "model of another layout": ({"dense.h5": "dense"}, ["--model-path", "{tmp}/dense.h5"],
                                ["dense.h5", "unknown model layout"]),
    "ftp model URL": ({}, ["--model-path", "ftp://example.com/model.keras"], ["ftp://", "http"]),
    "ftp input": ({}, ["--input-path", "ftp://example.com/a.png"], ["ftp://example.com/a.png"]),
    "file input URL": ({}, ["--input-path", "file:///etc/hostname"], ["file:///etc/hostname"]),
    "bad output extension": ({}, ["--output-path", "{tmp}/out/result.txt"],
                             ["result.txt", "extension"]),
    "output is a folder": ({}, ["--output-path", "{tmp}"], ["is a folder"]),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_errors_exit_1_with_one_line_and_no_output(case, tmp_path, tiny_generator_file, capsys):
    files, extra, expected = ERROR_CASES[case]
    for name, content in files.items():
        if content in ("lambda", "dense"):
            layers = ["InputLayer", "Conv2D", "Lambda" if content == "lambda" else "Dense"]
            write_h5_model(tmp_path / name, layers)
        else:
            (tmp_path / name).write_bytes(content)
    save_image(random_rgb(), tmp_path / "good.png")
    argv = {"--input-path": str(tmp_path / "good.png"),
            "--output-path": str(tmp_path / "out/sr.png"),
            "--model-path": str(tiny_generator_file)}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        argv[flag] = value.format(tmp=tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stderr = run_cli(capsys, *[item for pair in argv.items() for item in pair], "--quiet")
    assert code == 1
    assert_one_error_line(stderr, *expected)
    assert stderr.startswith("error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temp files


@pytest.mark.parametrize(
    ("route", "extra", "expected"),
    [
        ({"status": 404}, [], ["404"]),
        ({"delay": 3.0}, ["--timeout", "0.3"], ["timed out"]),
        ({"body": b"<html>not an image</html>"}, [], ["not a readable image"]),
        ({"body": png_bytes(random_rgb(40, 40))}, ["--max-bytes", "200"],
         ["200-byte cap", "--max-bytes"]),
    ],
    ids=["404", "timeout", "not-an-image", "too-large"],
)
def test_url_errors(route, extra, expected, tmp_path, tiny_generator_file, http_server, capsys):
    url = http_server.add("/photo.png", **route)
    output = tmp_path / "sr.png"
    code, stderr = run_cli(capsys, "--input-path", url, "--output-path", output,
                           "--model-path", tiny_generator_file, "--quiet", *extra)
    assert code == 1
    assert_one_error_line(stderr, url, *expected)
    assert list(tmp_path.iterdir()) == []


def test_missing_shipped_model_points_to_the_model_flag(tmp_path, capsys, monkeypatch):
    import dataclasses

    from super_resolution_gans.io import weights

    entry = weights.PRETRAINED[weights.DEFAULT_MODEL]
    missing = dataclasses.replace(entry, package_file="pretrained/absent_for_this_test.keras")
    monkeypatch.setitem(weights.PRETRAINED, weights.DEFAULT_MODEL, missing)
    source = save_image(random_rgb(), tmp_path / "in.png")
    code, stderr = run_cli(capsys, "--input-path", source, "--output-path", tmp_path / "o.png",
                           "-q")
    assert code == 1
    assert_one_error_line(stderr, weights.DEFAULT_MODEL, "--model")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--input-path", "a.png"],
        ["--input-path", "a.png", "--output-path", "b.png", "--tile-size", "-1"],
        ["--input-path", "a.png", "--output-path", "b.png", "--tile-batch-size", "0"],
        ["--input-path", "a.png", "--output-path", "b.png", "--timeout", "zero"],
        ["--input-path", "a.png", "--output-path", "b.png", "--jpeg-quality", "0"],
        ["--input-path", "a.png", "--output-path", "b.png", "--quiet", "--verbose"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_jpeg_quality_reaches_the_jpeg_file(tmp_path, tiny_generator_file, capsys):
    source = save_image(random_rgb(24, 32), tmp_path / "in.png")
    sizes = {}
    for quality in (10, 95):
        output = tmp_path / f"q{quality}.jpg"
        code, stderr = run_cli(capsys, "--input-path", source, "--output-path", output,
                               "--model-path", tiny_generator_file, "--jpeg-quality", quality, "-q")
        assert code == 0, stderr
        sizes[quality] = output.stat().st_size
    assert sizes[10] < sizes[95] / 2


def test_list_models_needs_no_other_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--list-models"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "srresnet_x4" in out and "realsr_x4" in out


def test_every_flag_has_help():
    for action in build_parser()._actions:
        assert action.help, action.option_strings


def test_module_entry_point_end_to_end(tmp_path, tiny_generator_file):
    folder = tmp_path / "photos"
    folder.mkdir()
    save_image(random_rgb(), folder / "good.png")
    (folder / "broken.png").write_bytes(b"")
    output = tmp_path / "out"
    command = [sys.executable, "-m", "super_resolution_gans.infer", "--inputPath", str(folder),
               "--outputPath", str(output), "--modelPath", str(tiny_generator_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in output.iterdir()] == ["good.png"]
    assert any(line.startswith("broken.png: ") for line in result.stderr.splitlines())
