"""Tests for super_resolution_gans.weights: registry, verified downloads, model resolution."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from pathlib import Path

import gdown
import pytest
import requests

from super_resolution_gans.io import net, weights
from super_resolution_gans.models import presets

BODY = b"pretend these are generator weights" * 100
BODY_SHA = hashlib.sha256(BODY).hexdigest()
SEED_V004_ID = "116fpSp3dUBtH7GkCoZ4UymK76xRTrZLs"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """The cache directory, via SUPER_RESOLUTION_GANS_HOME (not created in advance)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("SUPER_RESOLUTION_GANS_HOME", str(path))
    return path


def cache_listing(path: Path) -> list[str]:
    """Every file name in the cache, hidden temporary files included."""
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


class FakeGdown:
    """Stands in for ``gdown.download``: writes ``body`` in chunks, reporting progress."""

    def __init__(self, body: bytes = BODY, error: BaseException | None = None) -> None:
        self.body = body
        self.error = error
        self.calls: list[dict] = []

    def __call__(self, url=None, output=None, **kwargs):
        self.calls.append({"url": url, "output": output, **kwargs})
        if self.error is not None:
            raise self.error
        done = 0
        for start in range(0, len(self.body), 1000):
            chunk = self.body[start : start + 1000]
            output.write(chunk)
            done += len(chunk)
            if kwargs.get("progress") is not None:
                kwargs["progress"](done, len(self.body))
        return output


@pytest.fixture
def fake_gdown(monkeypatch) -> FakeGdown:
    fake = FakeGdown()
    monkeypatch.setattr(gdown, "download", fake)
    return fake


# --- http(s) downloads -------------------------------------------------------------------


def test_download_verifies_hash_and_second_call_uses_cache(http_server, cache):
    url = http_server.add("/models/gen.keras", BODY)
    path = weights.download_weights(url, BODY_SHA, progress=False)
    assert path == cache / "gen.keras"
    assert path.read_bytes() == BODY
    assert cache_listing(cache) == ["gen.keras"]  # no temporary file left over

    again = weights.download_weights(url, BODY_SHA, progress=False)
    assert again == path
    assert http_server.count("/models/gen.keras") == 1


def test_cached_file_without_hash_is_reused_silently(http_server, cache):
    url = http_server.add("/gen.keras", BODY)
    with pytest.warns(UserWarning, match="unverified"):
        weights.download_weights(url, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weights.download_weights(url, progress=False)
    assert http_server.count("/gen.keras") == 1


def test_unverified_download_warns_with_received_hash(http_server, cache):
    url = http_server.add("/gen.keras", BODY)
    with pytest.warns(UserWarning, match=f"unverified.*{BODY_SHA}"):
        path = weights.download_weights(url, progress=False)
    assert path.read_bytes() == BODY


def test_hash_mismatch_leaves_nothing_and_names_both_hashes(http_server, cache):
    url = http_server.add("/gen.keras", BODY)
    wrong = "ab" * 32
    with pytest.raises(ValueError, match=f"mismatch.*gen.keras.*{wrong}.*{BODY_SHA}"):
        weights.download_weights(url, wrong, progress=False)
    assert cache_listing(cache) == []


def test_cached_file_with_wrong_hash_is_downloaded_again(http_server, cache):
    cache.mkdir()
    (cache / "gen.keras").write_bytes(b"corrupt")
    url = http_server.add("/gen.keras", BODY)
    path = weights.download_weights(url, BODY_SHA.upper(), progress=False)
    assert path.read_bytes() == BODY
    assert http_server.count("/gen.keras") == 1


def test_filename_and_cache_dir_arguments(http_server, tmp_path):
    url = http_server.add("/download", BODY)
    path = weights.download_weights(
        url, BODY_SHA, cache_dir=tmp_path / "elsewhere", filename="mine.keras", progress=False
    )
    assert path == tmp_path / "elsewhere" / "mine.keras"
    assert path.read_bytes() == BODY


def test_filename_is_derived_from_url_path_without_query(http_server, cache):
    url = http_server.add("/dir/model%20v1.keras", BODY) + "?token=abc"
    path = weights.download_weights(url, BODY_SHA, progress=False)
    assert path == cache / "model v1.keras"


def test_url_without_file_name_needs_filename(cache):
    with pytest.raises(ValueError, match="filename="):
        weights.download_weights("https://example.com/models/", BODY_SHA)


@pytest.mark.parametrize("filename", ["../escape.keras", "a/b.keras", ".."])
def test_filename_cannot_leave_cache_dir(filename, cache):
    with pytest.raises(ValueError, match="plain file name"):
        weights.download_weights("https://example.com/x.keras", filename=filename)


def test_http_404_names_url_and_cache_path_and_leaves_nothing(http_server, cache):
    url = http_server.add("/gone.keras", status=404)
    with pytest.raises(net.DownloadError, match="HTTP 404") as info:
        weights.download_weights(url, BODY_SHA, progress=False)
    message = str(info.value)
    assert url in message
    assert str(cache / "gone.keras") in message
    assert BODY_SHA in message
    assert cache_listing(cache) == []


def test_timeout_leaves_nothing(http_server, cache):
    url = http_server.add("/slow.keras", BODY, delay=1.0)
    with pytest.raises(net.DownloadError, match=r"timed out.*save it as"):
        weights.download_weights(url, BODY_SHA, timeout=(1.0, 0.3), progress=False)
    assert cache_listing(cache) == []


def test_too_large_leaves_nothing(http_server, cache):
    url = http_server.add("/big.keras", BODY, content_length=False)
    with pytest.raises(net.DownloadError, match="100-byte cap"):
        weights.download_weights(url, BODY_SHA, max_bytes=100, progress=False)
    assert cache_listing(cache) == []


@pytest.mark.parametrize("source", ["ftp://example.com/gen.keras", "file:///tmp/gen.keras"])
def test_non_http_source_is_refused_before_touching_cache(source, cache):
    with pytest.raises(ValueError, match="only http and https"):
        weights.download_weights(source)
    assert not cache.exists()


@pytest.mark.parametrize("source", ["gen.keras", "short-id", ""])
def test_source_that_is_neither_url_nor_drive_id_is_refused(source, cache):
    with pytest.raises(ValueError, match="Google Drive file id"):
        weights.download_weights(source)


@pytest.mark.parametrize("sha256", ["abc", "g" * 64, 123])
def test_invalid_sha256_argument_is_refused(sha256, cache):
    with pytest.raises(ValueError, match="sha256 must be 64"):
        weights.download_weights("https://example.com/x.keras", sha256)


# --- Google Drive (gdown mocked at its boundary) -------------------------------------------


def test_drive_id_downloads_with_gdown_into_cache(fake_gdown, cache):
    path = weights.download_weights(SEED_V004_ID, BODY_SHA, progress=False)
    assert path == cache / SEED_V004_ID
    assert path.read_bytes() == BODY
    assert cache_listing(cache) == [SEED_V004_ID]
    (call,) = fake_gdown.calls
    assert call["id"] == SEED_V004_ID
    assert call["quiet"] is True
    assert call["timeout"] == net.DEFAULT_TIMEOUT
    assert call["use_cookies"] is False  # gdown must not write ~/.cache/gdown/cookies.txt


@pytest.mark.parametrize(
    "url",
    [
        f"https://drive.google.com/file/d/{SEED_V004_ID}/view?usp=sharing",
        f"https://drive.google.com/uc?id={SEED_V004_ID}&export=download",
        f"https://drive.google.com/open?id={SEED_V004_ID}",
    ],
)
def test_drive_urls_are_downloaded_by_id(url, fake_gdown, cache):
    path = weights.download_weights(url, BODY_SHA, progress=False)
    assert path == cache / SEED_V004_ID
    assert fake_gdown.calls[0]["id"] == SEED_V004_ID


def test_drive_download_is_cached(fake_gdown, cache):
    weights.download_weights(SEED_V004_ID, BODY_SHA, progress=False)
    weights.download_weights(SEED_V004_ID, BODY_SHA, progress=False)
    assert len(fake_gdown.calls) == 1


def test_drive_download_without_hash_warns_unverified(fake_gdown, cache):
    with pytest.warns(UserWarning, match=f"unverified.*sha256='{BODY_SHA}'"):
        path = weights.download_weights(SEED_V004_ID, progress=False)
    assert path.read_bytes() == BODY


def test_drive_hash_mismatch_leaves_nothing(fake_gdown, cache):
    with pytest.raises(ValueError, match=f"expected {'0' * 64}, received {BODY_SHA}"):
        weights.download_weights(SEED_V004_ID, "0" * 64, progress=False)
    assert cache_listing(cache) == []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (gdown.FileURLRetrievalError("Too many users have viewed"), "Too many users"),
        (requests.ConnectionError("Name or service not known"), "connection failed"),
        (requests.ReadTimeout("read timed out"), r"timed out after 60s"),
    ],
)
def test_drive_failure_names_url_and_cache_path(error, reason, monkeypatch, cache):
    monkeypatch.setattr(gdown, "download", FakeGdown(error=error))
    with pytest.raises(net.DownloadError, match=reason) as info:
        weights.download_weights(SEED_V004_ID, progress=False)
    message = str(info.value)
    assert f"https://drive.google.com/uc?id={SEED_V004_ID}" in message
    assert str(cache / SEED_V004_ID) in message
    assert info.value.__cause__ is not None
    assert cache_listing(cache) == []


def test_drive_download_is_capped(fake_gdown, cache):
    with pytest.raises(net.DownloadError, match="500-byte cap"):
        weights.download_weights(SEED_V004_ID, max_bytes=500, progress=False)
    assert cache_listing(cache) == []


def test_interrupted_download_leaves_nothing(monkeypatch, cache):
    monkeypatch.setattr(gdown, "download", FakeGdown(error=KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        weights.download_weights(SEED_V004_ID, progress=False)
    assert cache_listing(cache) == []


# --- cache directory -----------------------------------------------------------------------


def test_default_cache_dir_follows_env_var_and_is_not_created(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPER_RESOLUTION_GANS_HOME", str(tmp_path / "sr_home"))
    assert weights.default_cache_dir() == tmp_path / "sr_home"
    assert not (tmp_path / "sr_home").exists()


def test_default_cache_dir_falls_back_to_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPER_RESOLUTION_GANS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert weights.default_cache_dir() == tmp_path / ".cache" / "super_resolution_gans"
    assert not (tmp_path / ".cache").exists()


# --- registry ------------------------------------------------------------------------------


def test_registry_lists_default_seed_and_published_gan_models():
    names = [entry.name for entry in presets.list_pretrained()]
    assert names == sorted(names)
    assert {"srresnet_x4", "realsr_x4", "seed_srgan_v003", "seed_srgan_v004",
            "realesrgan_x4plus", "realesrgan_x2plus", "realesrnet_x4plus",
            "realesrgan_x4plus_anime_6b", "realesr_general_x4v3", "realesr_general_wdn_x4v3",
            "esrgan_x4"} <= set(names)
    assert presets.DEFAULT_MODEL in names


# sha256 values of the published weights, as ../shared/reference/PUBLISHED_WEIGHTS.md gives them
# (OpenModelDB and the Arch Linux AUR package agree on each).
PUBLISHED_SHA256 = {
    "realesrgan_x4plus": "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1",
    "realesrgan_x2plus": "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb",
    "realesrnet_x4plus": "a820b9bde89a874d7599d545567308ce6c128fc8754a53208eda016d40aa81df",
    "realesrgan_x4plus_anime_6b":
        "f872d837d3c90ed2e05227bed711af5671a6fd1c9f7d7e91c911a61f155e99da",
    "realesr_general_x4v3": "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292",
    "realesr_general_wdn_x4v3": "1641f8c4464b9f097c9fdda5589273713f67cf59f3d909e0bd688f0cee269dca",
    "realesr_animevideov3": "b8a8376811077954d82ca3fcf476f1ac3da3e8a68a4f4d71363008000a18b75d",
    "esrgan_x4": "545805ce2d861ee90972b5fa50b851f19ee4bb35dedd2eb090be1f7c935b6b00",
}


def test_published_entries_carry_the_reference_hashes_and_file_names():
    for name, sha256 in PUBLISHED_SHA256.items():
        entry = presets.get_pretrained(name)
        assert entry.sha256 == sha256 and entry.format == "pth" and not entry.shipped
        assert entry.source.startswith("https://") and entry.source.endswith(entry.filename)
        assert entry.licence.startswith(("BSD-3-Clause", "Apache-2.0"))
    assert presets.get_pretrained("RealESRGAN_x4plus").name == "realesrgan_x4plus"
    assert presets.get_pretrained("realesr-general-x4v3").denoise_partner == (
        "realesr_general_wdn_x4v3")


def test_the_model_table_shows_every_entry_with_its_facts():
    lines = weights.pretrained_table().splitlines()
    assert lines[0].split() == ["name", "architecture", "scale", "licence", "size", "where",
                                "purpose"]
    row = next(line for line in lines if line.startswith("realesrgan_x4plus "))
    assert "RRDBNet" in row and "x4" in row and "BSD-3-Clause" in row and "67.0 MB" in row
    assert "download" in row
    assert "shipped" in next(line for line in lines if line.startswith("srresnet_x4 "))
    assert len(lines) == len(presets.list_pretrained()) + 1


def test_registry_entries_describe_the_files():
    default = presets.get_pretrained("srresnet_x4")
    assert (default.source, default.package_file, default.format) == (
        None,
        "pretrained/srresnet_x4.keras",
        "keras",
    )
    v003 = presets.get_pretrained("seed_srgan_v003")
    v004 = presets.get_pretrained("seed_srgan_v004")
    assert v003.source == "1MWDeLnpEaZDrKK-OjmzvYLxfjwp-GDcp"
    assert v004.source == SEED_V004_ID
    for entry in (v003, v004):
        assert entry.format == "seed_keras2_h5"
        assert entry.pixel_range == "[-1, 1]"
        assert entry.scale == 4
        assert entry.sha256 is None
        assert "unknown" in entry.licence


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"'nope'.*seed_srgan_v003.*srresnet_x4"):
        presets.get_pretrained("nope")


def test_entries_are_frozen_and_validated():
    entry = presets.get_pretrained("srresnet_x4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.sha256 = "0" * 64
    with pytest.raises(ValueError, match="format must be one of"):
        dataclasses.replace(entry, format="onnx")
    with pytest.raises(ValueError, match="exactly one of source"):
        dataclasses.replace(entry, source="https://example.com/x.keras")


# --- resolve_model_source ------------------------------------------------------------------


def test_resolve_existing_path_returns_it_without_entry(tmp_path):
    model = tmp_path / "my.keras"
    model.write_bytes(b"x")
    assert weights.resolve_model_source(model) == (model, None)
    assert weights.resolve_model_source(str(model)) == (model, None)


def test_resolve_missing_path_lists_registered_names(tmp_path):
    missing = tmp_path / "nope.keras"
    with pytest.raises(FileNotFoundError, match=r"nope\.keras.*seed_srgan_v003.*srresnet_x4"):
        weights.resolve_model_source(missing)


@pytest.mark.parametrize("model", ["ftp://example.com/gen.keras", "file:///tmp/gen.keras"])
def test_resolve_non_http_url_is_refused(model, cache):
    with pytest.raises(ValueError, match="only http and https"):
        weights.resolve_model_source(model)


def test_resolve_http_url_downloads_to_cache(http_server, cache):
    url = http_server.add("/net/gen.keras", BODY)
    with pytest.warns(UserWarning, match="unverified"):
        path, entry = weights.resolve_model_source(url, progress=False)
    assert (path, entry) == (cache / "gen.keras", None)
    assert path.read_bytes() == BODY


def test_resolve_seed_name_downloads_its_drive_file(fake_gdown, cache):
    with pytest.warns(UserWarning, match="unverified"):
        path, entry = weights.resolve_model_source("seed_srgan_v004", progress=False)
    assert path == cache / "seed_srgan_v004.h5"
    assert entry is presets.PRETRAINED["seed_srgan_v004"]
    assert fake_gdown.calls[0]["id"] == SEED_V004_ID


def test_resolve_shipped_default_missing_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "_PACKAGE_DIR", tmp_path / "pkg")
    with pytest.raises(FileNotFoundError, match="not present in this installation") as info:
        weights.resolve_model_source(presets.DEFAULT_MODEL)
    message = str(info.value)
    assert "model path" in message
    assert str(tmp_path / "pkg" / "pretrained" / "srresnet_x4.keras") in message


def test_resolve_shipped_default_uses_package_file_without_network(tmp_path, monkeypatch):
    shipped = tmp_path / "pkg" / "pretrained" / "srresnet_x4.keras"
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(BODY)
    monkeypatch.setattr(weights, "_PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(weights, "download_weights", None)  # any download would crash
    pinned = dataclasses.replace(presets.PRETRAINED["srresnet_x4"], sha256=BODY_SHA)
    monkeypatch.setitem(presets.PRETRAINED, "srresnet_x4", pinned)
    path, entry = weights.resolve_model_source("srresnet_x4")
    assert path == shipped
    assert entry is pinned


def test_the_real_shipped_weights_match_their_pinned_hash(monkeypatch):
    monkeypatch.setattr(weights, "download_weights", None)  # offline by construction
    entry = presets.PRETRAINED[presets.DEFAULT_MODEL]
    assert entry.sha256 is not None
    path, _ = weights.resolve_model_source(presets.DEFAULT_MODEL)  # hashes the file
    assert path.name == "srresnet_x4.keras" and path.stat().st_size < 10 * 1024**2


def test_resolve_shipped_file_with_wrong_hash_is_refused(tmp_path, monkeypatch):
    shipped = tmp_path / "pkg" / "pretrained" / "srresnet_x4.keras"
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(b"damaged")
    monkeypatch.setattr(weights, "_PACKAGE_DIR", tmp_path / "pkg")
    pinned = dataclasses.replace(presets.PRETRAINED["srresnet_x4"], sha256=BODY_SHA)
    monkeypatch.setitem(presets.PRETRAINED, "srresnet_x4", pinned)
    with pytest.raises(ValueError, match=f"expected {BODY_SHA}.*reinstall"):
        weights.resolve_model_source("srresnet_x4")
