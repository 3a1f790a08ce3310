"""Registered PyTorch weights end to end against a local HTTP server: download, verify, convert
once, cache, reuse offline, a mismatching download removed, the mirror, the denoise blend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from super_resolution_gans.inference import Upscaler
from super_resolution_gans.io import weights
from super_resolution_gans.io.model_io import load_generator, read_generator_metadata
from super_resolution_gans.models import SRVGGNetCompact, presets
from super_resolution_gans.models.presets import PretrainedWeights, register_pretrained

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esrgan"
COMPACT = FIXTURES / "srvgg_x4_prelu.pth"
COMPACT_BYTES = COMPACT.read_bytes()
COMPACT_SHA = hashlib.sha256(COMPACT_BYTES).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(weights.CACHE_ENV_VAR, str(folder))
    monkeypatch.delenv(weights.MIRROR_ENV_VAR, raising=False)
    return folder


@pytest.fixture
def registry(monkeypatch):
    """Entries registered by a test are dropped after it."""
    monkeypatch.setattr(presets, "PRETRAINED", dict(presets.PRETRAINED))
    for module in ("super_resolution_gans.io.weights", "super_resolution_gans.io.model_io"):
        monkeypatch.setattr(f"{module}.PRETRAINED", presets.PRETRAINED, raising=False)
    return presets.PRETRAINED


def entry(name: str, url: str, sha256: str | None = COMPACT_SHA, **fields) -> PretrainedWeights:
    return PretrainedWeights(
        name=name, source=url, filename=url.rsplit("/", 1)[1], sha256=sha256,
        scale=4, pixel_range="[0, 1]", licence="test", description="test weights",
        **{"architecture": "SRVGGNetCompact", "format": "pth", **fields})


def test_first_use_downloads_verifies_converts_once_then_works_offline(http_server, cache,
                                                                       registry):
    url = http_server.add("/weights/compact.pth", COMPACT_BYTES)
    register_pretrained(entry("team_compact", url))
    image = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)

    first = load_generator("team_compact", progress=False)
    assert isinstance(first, SRVGGNetCompact) and http_server.count("/weights/compact.pth") == 1
    converted = cache / "team_compact.keras"
    assert read_generator_metadata(converted)["source_sha256"] == COMPACT_SHA
    assert (cache / "compact.pth").is_file()

    _, expected = Upscaler(first, runtime="tensorflow").upscale(image)
    http_server.routes.clear()  # offline from now on: every request would fail
    (cache / "compact.pth").unlink()  # the converted file alone is enough
    again = load_generator("team_compact", progress=False)
    _, sr = Upscaler(again, runtime="tensorflow").upscale(image)
    np.testing.assert_array_equal(sr, expected)
    assert http_server.count("/weights/compact.pth") == 1


def test_a_mismatching_download_is_removed_and_reported(http_server, cache, registry):
    url = http_server.add("/weights/other.pth", COMPACT_BYTES + b"tampered")
    register_pretrained(entry("team_other", url))
    with pytest.raises(ValueError, match=f"sha256 mismatch.*expected {COMPACT_SHA}"):
        load_generator("team_other", progress=False)
    assert not cache.exists() or sorted(p.name for p in cache.iterdir()) == []


def test_published_weights_come_from_the_mirror_when_one_is_set(http_server, cache,
                                                                monkeypatch):
    """RealESRGAN_x4plus through a mirror: the served file is checked against the published
    sha256, so a file that is not the published one is refused and removed."""
    http_server.add("/mirror/RealESRGAN_x4plus.pth", COMPACT_BYTES)
    monkeypatch.setenv(weights.MIRROR_ENV_VAR, http_server.url("/mirror/"))
    published = presets.get_pretrained("realesrgan_x4plus")
    assert weights.download_url(published) == http_server.url("/mirror/RealESRGAN_x4plus.pth")
    with pytest.raises(ValueError, match=f"sha256 mismatch.*expected {published.sha256}"):
        load_generator("RealESRGAN_x4plus", progress=False)
    assert http_server.count("/mirror/RealESRGAN_x4plus.pth") == 1
    assert not (cache / "RealESRGAN_x4plus.pth").exists()


def test_a_registered_entry_downloads_from_the_mirror(http_server, cache, registry,
                                                      monkeypatch):
    http_server.add("/mirror/compact.pth", COMPACT_BYTES)
    monkeypatch.setenv(weights.MIRROR_ENV_VAR, http_server.url("/mirror"))
    register_pretrained(entry("team_mirrored", "https://models.invalid/weights/compact.pth"))
    assert isinstance(load_generator("team_mirrored", progress=False), SRVGGNetCompact)
    assert http_server.count("/mirror/compact.pth") == 1


def test_register_pretrained_refuses_a_taken_name(registry):
    with pytest.raises(ValueError, match="'realesrgan_x4plus' exists; pass replace=True"):
        register_pretrained(entry("realesrgan_x4plus", "https://example.com/x.pth"))


def test_denoise_strength_blends_the_two_networks(http_server, cache, registry, tmp_path):
    from safetensors.numpy import save_file

    from super_resolution_gans.io.torch_files import read_checkpoint
    from super_resolution_gans.models.pytorch import canonical_state_dict

    state = canonical_state_dict(read_checkpoint(COMPACT))
    rng = np.random.default_rng(1)
    weak_state = {k: (v + rng.normal(0, 0.05, v.shape)).astype("float32")
                  for k, v in state.items()}
    save_file(weak_state, str(tmp_path / "weak.safetensors"))
    weak_bytes = (tmp_path / "weak.safetensors").read_bytes()
    weak_url = http_server.add("/weak.safetensors", weak_bytes)
    register_pretrained(entry("team_weak", weak_url, hashlib.sha256(weak_bytes).hexdigest(),
                              format="safetensors"))
    register_pretrained(entry("team_strong", http_server.add("/strong.pth", COMPACT_BYTES),
                              denoise_partner="team_weak"))

    strong = load_generator("team_strong", progress=False)
    weak = load_generator("team_weak", progress=False)
    blended = load_generator("team_strong", denoise_strength=0.3, progress=False)
    for mixed, a, b in zip(blended.get_weights(), strong.get_weights(), weak.get_weights(),
                           strict=True):
        np.testing.assert_allclose(mixed, 0.3 * a + 0.7 * b, atol=1e-6)
    assert load_generator("team_strong", denoise_strength=1, progress=False) is strong
    with pytest.raises(ValueError, match="denoise_strength must be a number from 0 to 1"):
        load_generator("team_strong", denoise_strength=1.5)
    with pytest.raises(ValueError, match="denoise_strength is for the registered networks"):
        load_generator("srresnet_x4", denoise_strength=0.5)
