"""Tests for super_resolution_gans.srgan_utils: the predecessor's SRGAN_predict and show_image."""

from __future__ import annotations

import dataclasses
import io
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from super_resolution_gans.io import weights
from super_resolution_gans.srgan_utils import SRGAN_predict, show_image

RNG = np.random.default_rng(7)


def asymmetric_rgb(height: int = 12, width: int = 20) -> np.ndarray:
    """A random image with a bright left column, so a flip or a resize would show."""
    image = RNG.integers(0, 200, size=(height, width, 3), dtype=np.uint8)
    image[:, 0] = 255
    return image


def save_png(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path)
    return path


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_path_and_pathlib_give_the_file_pixels_and_a_4x_uint8_image(tmp_path, tiny_generator_file):
    image = asymmetric_rgb()
    path = save_png(image, tmp_path / "in.png")
    lr, sr = SRGAN_predict(str(path), str(tiny_generator_file))
    lr_again, sr_again = SRGAN_predict(path, tiny_generator_file)
    np.testing.assert_array_equal(lr, image)  # no resizing, no flipping
    assert sr.shape == (48, 80, 3) and sr.dtype == np.uint8
    np.testing.assert_array_equal(lr_again, lr)
    np.testing.assert_array_equal(sr_again, sr)  # deterministic: no random flip


def test_url_pil_and_numpy_inputs_give_the_same_result(tmp_path, tiny_generator_file, http_server):
    image = asymmetric_rgb()
    _, expected = SRGAN_predict(save_png(image, tmp_path / "in.png"), tiny_generator_file)
    url = http_server.add("/in.png", png_bytes(image), headers={"Content-Type": "image/png"})
    for source in (url, Image.fromarray(image), image):
        lr, sr = SRGAN_predict(source, tiny_generator_file)
        np.testing.assert_array_equal(lr, image)
        np.testing.assert_array_equal(sr, expected)
    assert http_server.count("/in.png") == 1


@pytest.mark.parametrize(
    ("image", "shape", "dtype"),
    [
        (RNG.integers(0, 256, (10, 14, 4), dtype=np.uint8), (40, 56, 4), np.uint8),
        (RNG.integers(0, 256, (10, 14), dtype=np.uint8), (40, 56), np.uint8),
        (RNG.integers(0, 65536, (10, 14), dtype=np.uint16), (40, 56), np.uint16),
    ],
    ids=["rgba", "gray", "gray16"],
)
def test_output_keeps_the_kind_and_depth_of_the_input(
    tmp_path, tiny_generator_file, image, shape, dtype
):
    path = save_png(image, tmp_path / "in.png")
    lr, sr = SRGAN_predict(path, tiny_generator_file)
    np.testing.assert_array_equal(lr, image)
    assert sr.shape == shape and sr.dtype == dtype


def test_16bit_colour_png_gives_uint16(tmp_path, tiny_generator_file):
    import tensorflow as tf

    image = RNG.integers(0, 65536, (10, 14, 3), dtype=np.uint16)
    path = tmp_path / "in16.png"
    path.write_bytes(tf.io.encode_png(image).numpy())
    lr, sr = SRGAN_predict(path, tiny_generator_file)
    np.testing.assert_array_equal(lr, image)
    assert sr.shape == (40, 56, 3) and sr.dtype == np.uint16


def test_missing_default_model_says_what_to_pass(monkeypatch):
    entry = weights.PRETRAINED[weights.DEFAULT_MODEL]
    missing = dataclasses.replace(entry, package_file="pretrained/absent_for_this_test.keras")
    monkeypatch.setitem(weights.PRETRAINED, weights.DEFAULT_MODEL, missing)
    with pytest.raises(FileNotFoundError, match=r"not present in this installation.*model path"):
        SRGAN_predict(asymmetric_rgb())


def test_model_is_loaded_once_for_repeated_calls(tmp_path, tiny_generator_file, monkeypatch):
    model_file = shutil.copy(tiny_generator_file, tmp_path / "fresh.keras")  # not cached yet
    calls = []
    real_load_model = keras.models.load_model

    def counting_load_model(*args, **kwargs):
        calls.append(args)
        return real_load_model(*args, **kwargs)

    monkeypatch.setattr(keras.models, "load_model", counting_load_model)
    for _ in range(3):
        SRGAN_predict(asymmetric_rgb(), model_file)
    assert len(calls) == 1


def test_tiled_result_equals_whole_image_result(tiny_generator_file):
    rows, cols = np.mgrid[0:60, 0:70]
    gradient = np.stack([rows * 3, cols * 3, (rows + cols) * 1.5], axis=-1)
    noise = np.random.default_rng(3).normal(0, 8, gradient.shape)
    image = np.clip(gradient + noise, 0, 255).astype(np.uint8)
    _, whole = SRGAN_predict(image, tiny_generator_file, tile_size=0)
    _, tiled = SRGAN_predict(image, tiny_generator_file, tile_size=16)
    _, no_context = SRGAN_predict(image, tiny_generator_file, tile_size=16, tile_overlap=0)
    assert whole.std() > 2  # not a flat or saturated output (random weights give 4 to 11)
    difference = np.abs(tiled.astype(int) - whole.astype(int))
    assert difference.max() <= 1
    assert np.abs(no_context.astype(int) - whole.astype(int)).max() > 1  # seams would show


def test_output_path_writes_the_sr_image(tmp_path, tiny_generator_file):
    output = tmp_path / "sr.png"
    _, sr = SRGAN_predict(asymmetric_rgb(), tiny_generator_file, output_path=output)
    np.testing.assert_array_equal(np.asarray(Image.open(output)), sr)


def test_outputPath_still_works_with_a_deprecation_warning(tmp_path, tiny_generator_file):  # noqa: N802
    output = tmp_path / "legacy.png"
    with pytest.warns(DeprecationWarning, match="output_path"):
        _, sr = SRGAN_predict(asymmetric_rgb(), tiny_generator_file, outputPath=str(output))
    np.testing.assert_array_equal(np.asarray(Image.open(output)), sr)
    with pytest.raises(TypeError, match="not both"):
        SRGAN_predict(asymmetric_rgb(), tiny_generator_file, output_path=output, outputPath=output)


def test_errors_name_the_input(tmp_path, tiny_generator_file):
    with pytest.raises(FileNotFoundError, match="no_such_image.png"):
        SRGAN_predict(tmp_path / "no_such_image.png", tiny_generator_file)
    with pytest.raises(ValueError, match="unsupported extension"):
        SRGAN_predict(asymmetric_rgb(), tiny_generator_file, output_path=tmp_path / "out.txt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("image", "cmap"),
    [
        (RNG.integers(0, 256, (8, 10, 3), dtype=np.uint8), None),
        (RNG.integers(0, 256, (8, 10, 4), dtype=np.uint8), None),
        (RNG.integers(0, 256, (8, 10), dtype=np.uint8), "gray"),
        (RNG.integers(0, 65536, (8, 10, 3), dtype=np.uint16), None),
        (RNG.uniform(0, 255, (8, 10, 3)), None),
    ],
    ids=["rgb", "rgba", "gray", "rgb16", "float255"],
)
def test_show_image_draws_into_axes(image, cmap):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = show_image(image, title="sr")
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        assert ax.get_title() == "sr"
        shown = ax.get_images()[0]
        data = np.asarray(shown.get_array())
        assert data.dtype == np.uint8 and data.shape == image.shape
        if cmap:
            assert shown.get_cmap().name == cmap
        if image.dtype == np.uint8:
            np.testing.assert_array_equal(data, image)
    finally:
        plt.close(ax.figure)


def test_show_image_uses_the_given_axes_and_refuses_signed_floats():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2)
    try:
        assert show_image(asymmetric_rgb(), ax=axes[1]) is axes[1]
        assert len(axes[1].get_images()) == 1 and len(axes[0].get_images()) == 0
        with pytest.raises(ValueError, match=r"\[0, 255\]"):
            show_image(np.full((4, 4, 3), -0.5, np.float32), ax=axes[0])
    finally:
        plt.close(figure)


def test_show_image_without_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        show_image(asymmetric_rgb())
