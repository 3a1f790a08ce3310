"""Web demo, the page: served on 127.0.0.1, used by concurrent API clients and by a real browser.

Every test here is bounded: a fixed number of requests, each with a timeout, on a local server
that the test stops.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from demo_uploads import MAX_PIXELS, bad_uploads
from PIL import Image

from super_resolution_gans import EXAMPLE_IMAGE
from super_resolution_gans.demo import app
from super_resolution_gans.inference import Upscaler

CHROMEDRIVER = "/usr/bin/chromedriver"
REQUEST_TIMEOUT_S = 60


@contextlib.contextmanager
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options) -> Iterator[str]:
    """`build_demo(**options)` served on 127.0.0.1 (a free port) until the block ends."""
    pytest.importorskip("gradio")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = app.build_demo(output_dir=tmp_path / "results", max_pixels=MAX_PIXELS, **options)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                show_error=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@contextlib.contextmanager
def _client(url: str, folder: Path):
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=str(folder))
    try:
        yield client
    finally:
        client.close()  # stops its heartbeat thread


def _submit(client, image: Path, model: Path):
    from gradio_client import handle_file

    return client.submit(handle_file(str(image)), "srresnet_x4", handle_file(str(model)),
                         "auto", "float32", api_name="/run")


def _count_in_flight(monkeypatch: pytest.MonkeyPatch, gate: threading.Event | None = None):
    """Wraps the page's `upscale_upload` to record how many run at once (and, with `gate`, to
    hold each call until the gate opens); returns the record."""
    real = app.upscale_upload
    record = {"now": 0, "most": 0, "started": threading.Event()}
    lock = threading.Lock()

    def counting(*args, **kwargs):
        with lock:
            record["now"] += 1
            record["most"] = max(record["most"], record["now"])
        record["started"].set()
        try:
            if gate is not None:
                gate.wait(REQUEST_TIMEOUT_S)
            return real(*args, **kwargs)
        finally:
            with lock:
                record["now"] -= 1

    monkeypatch.setattr(app, "upscale_upload", counting)
    return record


def test_concurrent_clients_get_their_own_results(tmp_path, monkeypatch, tiny_generator_file):
    clients, requests_each, concurrency = 8, 3, 2
    rng = np.random.default_rng(0)
    images = []
    for k in range(clients * requests_each):
        path = tmp_path / f"photo_{k}.png"
        size = (int(rng.integers(8, 20)), int(rng.integers(8, 20)), 3)
        Image.fromarray(rng.integers(0, 256, size, np.uint8)).save(path)
        images.append(path)
    upscaler = Upscaler(str(tiny_generator_file))
    expected = [upscaler.upscale(path)[1] for path in images]
    record = _count_in_flight(monkeypatch)

    with served(tmp_path, monkeypatch, concurrency_limit=concurrency, max_queue=16) as url:
        def one_client(k: int) -> list[tuple]:
            mine = range(k * requests_each, (k + 1) * requests_each)
            with _client(url, tmp_path / f"client_{k}") as client:
                return [(i, _submit(client, images[i], tiny_generator_file)
                         .result(timeout=REQUEST_TIMEOUT_S)) for i in mine]

        start = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            answers = [answer for job in [pool.submit(one_client, k) for k in range(clients)]
                       for answer in job.result(timeout=clients * REQUEST_TIMEOUT_S)]
        seconds = time.monotonic() - start

    assert len(answers) == clients * requests_each
    for i, (_slider, info, download) in answers:
        png = download["value"]  # the page's update of its download button
        np.testing.assert_array_equal(np.asarray(Image.open(png)), expected[i])
        height, width = expected[i].shape[:2]
        assert f"tiny_generator.keras: {width // 4}x{height // 4} -> {width}x{height}" in info
    assert 1 <= record["most"] <= concurrency
    assert seconds < 50


def _wait_until(condition, timeout: float = REQUEST_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_queue_bounds_waiting_requests_and_refuses_bypassing_it(
        tmp_path, monkeypatch, tiny_generator_file):
    from gradio_client.utils import Status

    gate = threading.Event()
    record = _count_in_flight(monkeypatch, gate)
    image = tmp_path / "photo.png"
    Image.new("RGB", (9, 7), "teal").save(image)
    with (served(tmp_path, monkeypatch, concurrency_limit=1, max_queue=2) as url,
          _client(url, tmp_path / "downloads") as client):
        try:
            running = _submit(client, image, tiny_generator_file)
            assert record["started"].wait(REQUEST_TIMEOUT_S)
            waiting = [_submit(client, image, tiny_generator_file) for _ in range(2)]
            _wait_until(lambda: all(job.status().code == Status.IN_QUEUE for job in waiting))
            refused = [_submit(client, image, tiny_generator_file) for _ in range(2)]
            for job in refused:
                with pytest.raises(Exception, match="(?i)queue is full"):
                    job.result(timeout=REQUEST_TIMEOUT_S)
        finally:
            gate.set()
        for job in [running, *waiting]:
            assert "tiny_generator.keras: 9x7 -> 36x28" in job.result(timeout=REQUEST_TIMEOUT_S)[1]
        assert record["most"] == 1

        # The REST route that would skip the queue (and its limits) is closed.
        body = json.dumps({"data": [None, "srresnet_x4", None, "auto", "float32"]}).encode()
        request = urllib.request.Request(f"{url}gradio_api/run/run", data=body,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused_post:
            urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S)
        assert refused_post.value.code == 404


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
    with served(tmp_path, monkeypatch) as url:
        yield url


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


def _toasts(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [toast.text for toast in driver.find_elements(By.CSS_SELECTOR, ".toast-body")]


@pytest.mark.browser
def test_page_in_real_browser(browser, demo_url, tmp_path, capfd):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for case, (path, message) in bad_uploads(tmp_path).items():
        _upload_and_run(browser, path)
        shown = WebDriverWait(browser, 60).until(
            lambda d, message=message: [t for t in _toasts(d) if message in t])
        assert len(shown) == 1, case
        assert "/tmp" not in shown[0] and " at 0x" not in shown[0], shown[0]
        assert "Traceback" not in browser.page_source
        browser.save_screenshot(str(tmp_path / f"error_{case}.png"))
        browser.get(demo_url)  # the server keeps serving after the error
    assert "Traceback" not in capfd.readouterr().err  # nor does it log one

    _upload_and_run(browser, EXAMPLE_IMAGE)

    def result_width(driver):
        widths = driver.execute_script(
            "return [...document.querySelectorAll('#result img')].map(i => i.naturalWidth)")
        return widths if len(widths) == 2 and all(w > 0 for w in widths) else False

    assert WebDriverWait(browser, 300).until(result_width) == [384, 384]
    info = browser.find_element(By.ID, "info").text
    assert "srresnet_x4: 96x96 -> 384x384" in info
    assert browser.find_element(By.ID, "download").is_displayed()
    browser.save_screenshot(str(tmp_path / "result.png"))
