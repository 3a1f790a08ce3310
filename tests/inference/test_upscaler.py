"""Upscaler: the one inference object: options checked, shared across threads, and with no model
named, the shipped weights chosen by the input (JPEG -> real-photo weights)."""

from __future__ import annotations

import concurrent.futures
import io

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans.inference import UpscaleOptions, Upscaler
from super_resolution_gans.io.model_io import load_generator
from super_resolution_gans.models import SRVGGNetCompact
from super_resolution_gans.models.presets import DEFAULT_JPEG_MODEL, DEFAULT_MODEL
from super_resolution_gans.srgan_utils import SRGAN_predict
from super_resolution_gans.validation import ArgumentError


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.normal(0, 6, (20, 24, 3)), axis=1)
    return np.clip(smooth - smooth.min(), 0, 255).astype(np.uint8)


def encoded(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **({"quality": 60} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize("field, value, message", [
    ("tile_size", -1, "tile_size must be None, 0 or a positive integer"),
    ("tile_overlap", 1.5, "tile_overlap must be >= 0"),
    ("tile_batch_size", 0, "tile_batch_size must be >= 1"),
    ("runtime", "cuda", "runtime must be one of"),
    ("precision", "int8", "precision must be one of"),
    ("max_pixels", 0, "max_pixels must be a positive integer"),
    ("jpeg_input", "yes", "jpeg_input must be None, True or False"),
])
def test_options_name_the_field_they_refuse(field, value, message):
    with pytest.raises(ArgumentError, match=message) as caught:
        UpscaleOptions(**{field: value})
    assert caught.value.argument == field


def test_one_upscaler_serves_many_threads_with_the_same_results():
    upscaler = Upscaler(SRVGGNetCompact(num_feat=8, num_conv=2), runtime="tensorflow",
                        tile_size=8)
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (13 + i, 17, 3), dtype=np.uint8) for i in range(6)]
    expected = [upscaler.upscale(image)[1] for image in images]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda image: upscaler.upscale(image)[1], images * 2))
    for index, result in enumerate(results):
        np.testing.assert_array_equal(result, expected[index % len(images)])


def test_with_no_model_named_jpeg_inputs_get_the_real_photo_weights(photo, tmp_path):
    upscaler = Upscaler(runtime="tensorflow")
    jpeg_path, png_path = tmp_path / "web.jpg", tmp_path / "clean.png"
    jpeg_path.write_bytes(encoded(photo, "JPEG"))
    png_path.write_bytes(encoded(photo, "PNG"))
    assert upscaler.model_for(jpeg_path)[0] == DEFAULT_JPEG_MODEL
    assert upscaler.model_for(encoded(photo, "JPEG"))[0] == DEFAULT_JPEG_MODEL
    assert upscaler.model_for(Image.open(jpeg_path))[0] == DEFAULT_JPEG_MODEL
    assert upscaler.model_for(png_path)[0] == DEFAULT_MODEL
    assert upscaler.model_for(photo)[0] == DEFAULT_MODEL  # an array: not known to be a JPEG
    marked = Upscaler(runtime="tensorflow", jpeg_input=True)
    assert marked.model_for(photo)[0] == DEFAULT_JPEG_MODEL

    _, by_default = SRGAN_predict(jpeg_path, runtime="tensorflow")
    _, real_photo = SRGAN_predict(jpeg_path, DEFAULT_JPEG_MODEL, runtime="tensorflow")
    _, clean = SRGAN_predict(jpeg_path, DEFAULT_MODEL, runtime="tensorflow")
    np.testing.assert_array_equal(by_default, real_photo)
    assert np.abs(by_default.astype(int) - clean).max() > 0  # the models differ on it
    _, png_default = SRGAN_predict(png_path, runtime="tensorflow")
    _, png_clean = SRGAN_predict(png_path, DEFAULT_MODEL, runtime="tensorflow")
    np.testing.assert_array_equal(png_default, png_clean)


def test_the_infer_command_says_which_model_ran(photo, tmp_path, caplog):
    from super_resolution_gans.cli.infer import main

    (tmp_path / "web.jpg").write_bytes(encoded(photo, "JPEG"))
    with caplog.at_level("INFO", logger="super_resolution_gans.infer"):
        code = main(["--inputPath", str(tmp_path / "web.jpg"),
                     "--outputPath", str(tmp_path / "out.png"), "--runtime", "tensorflow"])
    assert code == 0
    assert f"with {DEFAULT_JPEG_MODEL}" in caplog.text
    expected = Upscaler(load_generator(DEFAULT_JPEG_MODEL), runtime="tensorflow").upscale(
        tmp_path / "web.jpg")[1]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)


def test_threads_bound_the_openvino_runtime_and_keep_the_result():
    pytest.importorskip("openvino")
    from super_resolution_gans.inference import predictor_for

    network = SRVGGNetCompact(num_feat=8, num_conv=2)
    image = np.random.default_rng(2).integers(0, 256, (11, 9, 3), dtype=np.uint8)
    _, all_cores = Upscaler(network, runtime="openvino").upscale(image)
    _, one_core = Upscaler(network, runtime="openvino", threads=1).upscale(image)
    np.testing.assert_array_equal(one_core, all_cores)
    predictor = predictor_for(network, runtime="openvino", threads=1)
    compiled = predictor._compiled_for(((1, *image.shape),))
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
    # Unpinned: one-thread workers of several processes must not all run on the first core.
    assert compiled.get_property("ENABLE_CPU_PINNING") is False
    assert "INFERENCE_NUM_THREADS" not in predictor_for(network, runtime="openvino")._config
