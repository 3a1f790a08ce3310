"""Web demo, the work without a UI: `upscale_upload`, `load_model` and their messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from demo_uploads import MAX_PIXELS, bad_uploads
from PIL import Image

from super_resolution_gans import EXAMPLE_IMAGE
from super_resolution_gans.demo import DemoError, load_model, upscale_upload
from super_resolution_gans.demo.upscaling import model_choices, parse_tile_size
from super_resolution_gans.inference import Upscaler

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esrgan"


@pytest.fixture(scope="module")
def shipped():
    return load_model("srresnet_x4")


def test_upscale_upload_shipped_example(shipped, tmp_path):
    result = upscale_upload(str(EXAMPLE_IMAGE), shipped, tmp_path, tile_size=48,
                            model_name="srresnet_x4")
    assert result.sr.shape == (384, 384, 3) and result.bicubic.shape == (384, 384, 3)
    assert Image.open(result.png_path).size == (384, 384)
    assert result.summary.startswith("srresnet_x4: 96x96 -> 384x384 in ")


def test_16_bit_upload_keeps_16_bits_in_the_png_and_shows_8(shipped, tmp_path):
    image = np.full((6, 5), 40000, np.uint16)
    result = upscale_upload(image, shipped, tmp_path)
    assert result.sr.dtype == np.uint16 and result.sr_8bit.dtype == np.uint8
    assert result.sr_8bit.shape == result.bicubic.shape == (24, 20)


@pytest.mark.parametrize("source", ["tiny", "srvgg_x4_prelu.pth", "srvgg_x2_prelu.safetensors"])
def test_uploaded_model_is_used(shipped, tmp_path, tiny_generator_file, source):
    model_file = tiny_generator_file if source == "tiny" else FIXTURES / source
    image = np.random.default_rng(0).integers(0, 256, (10, 12, 3), np.uint8)
    result = upscale_upload(image, load_model("srresnet_x4", model_file), tmp_path,
                            model_name=model_file.name)
    _, expected = Upscaler(str(model_file)).upscale(image)
    _, default = Upscaler(shipped).upscale(image)
    np.testing.assert_array_equal(result.sr, expected)
    assert expected.shape != default.shape or not np.array_equal(expected, default)
    assert result.summary.startswith(f"{model_file.name}: 12x10 -> ")


@pytest.mark.parametrize("case", ["text", "truncated", "oversized", "bomb"])
def test_bad_uploads_give_one_line_with_the_uploads_own_name(shipped, tmp_path, case):
    path, message = bad_uploads(tmp_path)[case]
    server_copy = tmp_path / "gradio" / "4f0c1d" / "upload"  # a name the user never chose
    server_copy.parent.mkdir(parents=True)
    path.rename(server_copy)
    with pytest.raises(DemoError) as caught:
        upscale_upload(str(server_copy), shipped, tmp_path, max_pixels=MAX_PIXELS,
                       name=path.name)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text and "gradio" not in text and str(tmp_path) not in text
    assert " at 0x" not in text and "<" not in text


def test_missing_upload(shipped, tmp_path):
    with pytest.raises(DemoError, match="Upload an image first"):
        upscale_upload(None, shipped, tmp_path)
    with pytest.raises(DemoError, match="no longer on the server"):
        upscale_upload(str(tmp_path / "gone.png"), shipped, tmp_path)


def test_urls_are_not_fetched(shipped, tmp_path):
    with pytest.raises(DemoError, match="does not fetch URLs"):
        upscale_upload("http://127.0.0.1:9/a.png", shipped, tmp_path)
    with pytest.raises(DemoError, match="does not fetch URLs"):
        load_model("srresnet_x4", "http://127.0.0.1:9/model.keras")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("model.keras", b"garbage", "Model model.keras could not be loaded: not a .keras file"),
     ("model.h5", b"x", "Model model.h5: upload a .keras file")],
)
def test_bad_model_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DemoError) as caught:
        load_model("srresnet_x4", path)
    assert str(caught.value).startswith(message) and str(tmp_path) not in str(caught.value)


def test_only_offered_models_load():
    with pytest.raises(DemoError, match="Unknown model '/etc/passwd'; choose one of: "):
        load_model("/etc/passwd")
    with pytest.raises(DemoError, match="Unknown model 'seed_srgan_v004'"):  # unverifiable
        load_model("seed_srgan_v004")


def test_model_menu_offers_registered_names():
    names = [value for _label, value in model_choices()]
    assert "srresnet_x4" in names and "realesrgan_x4plus" in names
    assert all(isinstance(name, str) for name in names)


def test_tile_choices():
    assert [parse_tile_size(c) for c in ("auto", "0", "128")] == [None, 0, 128]
    with pytest.raises(DemoError, match="Tile size"):
        parse_tile_size("big")
