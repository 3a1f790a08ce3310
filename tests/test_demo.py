"""Web demo: the upscaling function, its errors, the command, and the page in a real browser."""

from __future__ import annotations

import importlib.util
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans import EXAMPLE_IMAGE, build_generator, save_generator
from super_resolution_gans.demo import DemoError, load_model, upscale_upload
from super_resolution_gans.demo.__main__ import main
from super_resolution_gans.demo.upscaling import parse_tile_size

CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def shipped():
    return load_model("srresnet_x4")


def test_upscale_upload_shipped_example(shipped, tmp_path):
    result = upscale_upload(str(EXAMPLE_IMAGE), shipped, tmp_path, tile_size=48)
    assert result.sr.shape == (384, 384, 3) and result.bicubic.shape == (384, 384, 3)
    assert Image.open(result.png_path).size == (384, 384)
    assert result.summary.startswith("96x96 -> 384x384 in ")


def test_16_bit_upload_keeps_16_bits_in_the_png_and_shows_8(shipped, tmp_path):
    image = np.full((6, 5), 40000, np.uint16)
    result = upscale_upload(image, shipped, tmp_path)
    assert result.sr.dtype == np.uint16 and result.sr_8bit.dtype == np.uint8
    assert result.sr_8bit.shape == result.bicubic.shape == (24, 20)


def test_uploaded_keras_model_is_used(tmp_path):
    path = tmp_path / "tiny.keras"
    save_generator(build_generator(num_blocks=1, filters=8), path)
    image = np.zeros((5, 7, 3), np.uint8)
    assert upscale_upload(image, load_model("srresnet_x4", path), tmp_path).sr.shape == (20, 28, 3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not a picture", "not an image"),
        (None, "Upload an image first"),
    ],
)
def test_bad_uploads(shipped, tmp_path, content, message):
    upload = None
    if content is not None:
        upload = tmp_path / "upload.png"
        upload.write_bytes(content)
    with pytest.raises(DemoError, match=message):
        upscale_upload(upload and str(upload), shipped, tmp_path)


def test_too_large_upload(shipped, tmp_path):
    upload = tmp_path / "big.png"
    Image.new("RGB", (300, 200)).save(upload)
    with pytest.raises(DemoError, match=r"too large for the demo \(the limit is 10,000 pixels"):
        upscale_upload(str(upload), shipped, tmp_path, max_pixels=10_000)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("model.keras", b"garbage", "could not be loaded"), ("model.h5", b"x", "upload a .keras")],
)
def test_bad_model_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DemoError, match=message):
        load_model("srresnet_x4", path)


def test_tile_choices():
    assert [parse_tile_size(c) for c in ("auto", "0", "128")] == [None, 0, 128]
    with pytest.raises(DemoError, match="Tile size"):
        parse_tile_size("big")


def test_command_without_gradio_says_how_to_install(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a)
    )
    assert main([]) == 1
    err = capsys.readouterr().err.strip()
    assert err == 'error: Gradio is not installed; run: pip install "super_resolution_gans[demo]"'


# --------------------------------------------------------------------------------------------
# In a real browser


def _browser_missing() -> str | None:
    for module in ("gradio", "selenium"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium)"
    if not Path(CHROMEDRIVER).exists():
        return f"{CHROMEDRIVER} is missing (apt-get install chromium-driver)"
    return None


@pytest.fixture
def demo_url(tmp_path, monkeypatch):
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    from super_resolution_gans.demo import build_demo

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = build_demo(output_dir=tmp_path / "results", max_pixels=1_000_000)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                show_error=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def browser(demo_url):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--disable-gpu"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.get(demo_url)
    yield driver
    driver.quit()


def _upload_and_run(driver, path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 60)
    field = wait.until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, "#input-image input[type=file]")))
    field.send_keys(str(path))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#input-image img")))
    driver.find_element(By.ID, "run").click()


@pytest.mark.browser
def test_page_in_real_browser(browser, demo_url, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    bad = tmp_path / "big.png"  # decodes, but beyond the page's 1,000,000-pixel limit
    Image.new("RGB", (1100, 1000), "gray").save(bad)
    _upload_and_run(browser, bad)
    WebDriverWait(browser, 120).until(lambda d: "too large for the demo" in d.page_source)
    assert "Traceback" not in browser.page_source
    browser.save_screenshot(str(tmp_path / "error.png"))

    browser.get(demo_url)  # the server keeps serving after the error
    _upload_and_run(browser, EXAMPLE_IMAGE)

    def result_width(driver):
        widths = driver.execute_script(
            "return [...document.querySelectorAll('#result img')].map(i => i.naturalWidth)")
        return widths if len(widths) == 2 and all(w > 0 for w in widths) else False

    assert WebDriverWait(browser, 300).until(result_width) == [384, 384]
    info = browser.find_element(By.ID, "info").text
    assert "96x96 -> 384x384" in info
    assert browser.find_element(By.ID, "download").is_displayed()
    browser.save_screenshot(str(tmp_path / "result.png"))
