"""The on-disk cache of OpenVINO conversions: converted once per architecture and weights,
the same output as a fresh conversion, bounded, and never in the way."""

from __future__ import annotations

import os
import time

import keras
import numpy as np
import pytest

from super_resolution_gans.inference import Upscaler, openvino_cache
from super_resolution_gans.io.model_io import load_generator, save_generator
from super_resolution_gans.models import SRVGGNetCompact

pytest.importorskip("openvino")

IMAGE = np.random.default_rng(4).integers(0, 256, (13, 10, 3), dtype=np.uint8)


@pytest.fixture
def conversions(tmp_path, monkeypatch):
    """The cache in `tmp_path / "home"`, and the list of the models converted meanwhile."""
    monkeypatch.setenv("SUPER_RESOLUTION_GANS_HOME", str(tmp_path / "home"))
    converted = []
    convert = openvino_cache._convert

    def counting(model, folder):
        converted.append(model.name)
        return convert(model, folder)

    monkeypatch.setattr(openvino_cache, "_convert", counting)
    return converted


def _upscale(model, **options):
    return Upscaler(model, runtime="openvino", **options).upscale(IMAGE)[1]


def _network(seed: int) -> SRVGGNetCompact:
    network = SRVGGNetCompact(num_feat=8, num_conv=2)
    network.build((None, None, None, 3))
    rng = np.random.default_rng(seed)
    network.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                         for w in network.get_weights()])
    return network


def test_a_model_loaded_again_is_read_from_the_cache_with_the_same_output(
        conversions, tmp_path, tiny_generator):
    path = save_generator(tiny_generator, tmp_path / "g.keras")
    first = _upscale(load_generator(path))
    assert len(conversions) == 1
    entries = list(openvino_cache.cache_folder().iterdir())
    assert len(entries) == 1 and (entries[0] / "model.xml").is_file()
    again = _upscale(load_generator(path), threads=1)  # a new object, as in a new process
    assert len(conversions) == 1
    np.testing.assert_array_equal(again, first)
    fresh = Upscaler(load_generator(path), runtime="tensorflow").upscale(IMAGE)[1]
    assert np.abs(again.astype(int) - fresh.astype(int)).max() <= 1


def test_a_damaged_entry_is_converted_again_and_replaced(conversions):
    first = _upscale(_network(1))
    (entry,) = openvino_cache.cache_folder().iterdir()
    (entry / "model.xml").write_text("<net damaged")
    np.testing.assert_array_equal(_upscale(_network(1)), first)
    assert len(conversions) == 2
    np.testing.assert_array_equal(_upscale(_network(1)), first)
    assert len(conversions) == 2  # the replacement is read from now on


def test_other_weights_are_converted_again(conversions):
    one, other = _upscale(_network(1)), _upscale(_network(2))
    assert len(conversions) == 2
    assert not np.array_equal(one, other)
    np.testing.assert_array_equal(_upscale(_network(2)), other)
    assert len(conversions) == 2


def test_the_least_recently_used_go_beyond_max_entries_and_killed_conversions_go(
        conversions, monkeypatch):
    monkeypatch.setattr(openvino_cache, "MAX_ENTRIES", 2)
    folder = openvino_cache.cache_folder()
    folder.mkdir(parents=True)
    killed, recent = folder / ".partial-killed", folder / ".partial-converting"
    killed.mkdir(), recent.mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(killed, (hours_ago, hours_ago))
    for seed in (1, 2):
        _upscale(_network(seed))
        time.sleep(0.05)  # distinct modification times
    first_key = sorted(folder.iterdir(), key=lambda entry: entry.stat().st_mtime)[-2].name
    _upscale(_network(1))  # used again: now the most recent
    _upscale(_network(3))
    names = {entry.name for entry in folder.iterdir()}
    assert len(names - {recent.name}) == 2 and first_key in names
    assert killed.name not in names and recent.name in names  # another may still convert


def test_an_unwritable_cache_converts_each_time(conversions, tmp_path, monkeypatch):
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("SUPER_RESOLUTION_GANS_HOME", str(tmp_path / "a_file"))
    network = _network(1)
    np.testing.assert_array_equal(_upscale(network), _upscale(_network(1)))
    assert len(conversions) == 2


def test_a_model_without_a_config_is_converted_each_time(conversions):
    class Unconfigurable(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(3, 3, padding="same")
            self.upsample = keras.layers.UpSampling2D(4)

        def call(self, inputs):
            return self.upsample(self.conv(inputs))

        def get_config(self):
            raise NotImplementedError

        def compute_output_shape(self, input_shape):
            return self.upsample.compute_output_shape(self.conv.compute_output_shape(input_shape))

    model = Unconfigurable()
    model(np.zeros((1, 4, 4, 3), "float32"))
    assert openvino_cache.architecture_of(model) is None
    first = _upscale(model)
    model_again = Unconfigurable()
    model_again(np.zeros((1, 4, 4, 3), "float32"))
    model_again.set_weights(model.get_weights())
    np.testing.assert_array_equal(_upscale(model_again), first)
    assert len(conversions) == 2
    assert not openvino_cache.cache_folder().exists()


CONVERT = """
import sys
from super_resolution_gans.inference import Upscaler
from super_resolution_gans.io.model_io import load_generator
Upscaler(load_generator(sys.argv[1]), runtime="openvino").upscale(sys.argv[2])
"""


def test_processes_converting_the_same_model_at_once_publish_one_whole_entry(
        tmp_path, tiny_generator_file):
    import subprocess
    import sys

    from PIL import Image

    Image.fromarray(IMAGE).save(tmp_path / "photo.png")
    env = {**os.environ, "SUPER_RESOLUTION_GANS_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-c", CONVERT, str(tiny_generator_file), str(tmp_path / "photo.png")]
    processes = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()[-2000:]
    entries = list((tmp_path / "home" / "openvino").iterdir())
    assert [entry.name.startswith(".") for entry in entries] == [False]  # nothing half-done left
    assert sorted(path.name for path in entries[0].iterdir()) == ["model.bin", "model.xml"]


def test_a_half_removed_entry_is_replaced(conversions):
    first = _upscale(_network(1))
    (entry,) = openvino_cache.cache_folder().iterdir()
    (entry / "model.xml").unlink()  # an eviction killed half-way
    np.testing.assert_array_equal(_upscale(_network(1)), first)
    np.testing.assert_array_equal(_upscale(_network(1)), first)
    assert len(conversions) == 2
    assert sorted(path.name for path in entry.iterdir()) == ["model.bin", "model.xml"]


def test_a_read_only_cache_still_serves_its_entries(conversions, monkeypatch):
    first = _upscale(_network(1))

    def refused(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(openvino_cache.os, "utime", refused)
    np.testing.assert_array_equal(_upscale(_network(1)), first)
    assert len(conversions) == 1


CUSTOM_LAYER = '''
import keras

class Multiply(keras.layers.Layer):
    def call(self, inputs):
        return inputs * FACTOR
'''


def test_editing_a_custom_layer_s_code_is_never_served_a_stale_conversion(
        conversions, tmp_path, monkeypatch):
    import importlib
    import sys

    monkeypatch.syspath_prepend(str(tmp_path))
    outputs = []
    for factor in ("2.0", "3.0"):  # the same class, config and weights; its code edited
        (tmp_path / "edited_layers.py").write_text(CUSTOM_LAYER.replace("FACTOR", factor))
        sys.modules.pop("edited_layers", None)
        importlib.invalidate_caches()
        edited = importlib.import_module("edited_layers")
        model = keras.Sequential([keras.Input((None, None, 3)),
                                  keras.layers.UpSampling2D(4), edited.Multiply()])
        outputs.append(Upscaler(model, runtime="openvino").upscale_rgb(
            IMAGE.astype("float32") / 4))
    monkeypatch.delitem(sys.modules, "edited_layers")
    assert len(conversions) == 2
    np.testing.assert_allclose(outputs[1], outputs[0] * 1.5, rtol=1e-5)


def test_a_layer_that_cannot_describe_itself_still_runs_on_openvino(conversions):
    class Opaque(keras.layers.Layer):
        def call(self, inputs):
            return inputs

        def get_config(self):
            raise NotImplementedError

    class Wrapper(keras.Model):  # configurable itself (no arguments), not its layer
        def __init__(self):
            super().__init__()
            self.opaque = Opaque()
            self.upsample = keras.layers.UpSampling2D(4)

        def call(self, inputs):
            return self.upsample(self.opaque(inputs))

        def compute_output_shape(self, input_shape):
            return self.upsample.compute_output_shape(input_shape)

    model = Wrapper()
    model(np.zeros((1, 4, 4, 3), "float32"))
    _, sr = Upscaler(model, runtime="openvino").upscale(IMAGE)  # "openvino": no fallback
    np.testing.assert_array_equal(sr, np.repeat(np.repeat(IMAGE, 4, 0), 4, 1))
    assert not openvino_cache.cache_folder().exists()
