"""Tests for super_resolution_gans.io.model_io: our .keras / .weights.h5 files and
load_generator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
import zipfile

import keras
import numpy as np
import pytest
from helpers import randomize_weights

from super_resolution_gans.io import model_io
from super_resolution_gans.io.model_io import (
    generator_architecture,
    load_generator,
    read_generator_metadata,
    save_generator,
)
from super_resolution_gans.models import build_generator, build_seed_generator

TINY = {"scale": 4, "num_blocks": 2, "filters": 16, "global_skip": False}


@pytest.fixture(scope="module")
def lr_batch():
    return np.random.default_rng(0).uniform(0, 255, (2, 9, 13, 3)).astype("float32")


@pytest.fixture(scope="module")
def expected_output(tiny_generator, lr_batch):
    return keras.ops.convert_to_numpy(tiny_generator(lr_batch, training=False))


def _output(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


# ------------------------------------------------------------------------------------------
# generator_architecture


def test_generator_architecture_reads_build_arguments_back():
    generator = build_generator(scale=2, num_blocks=3, filters=8, global_skip=True)
    assert generator_architecture(generator) == {
        "scale": 2,
        "num_blocks": 3,
        "filters": 8,
        "global_skip": True,
    }


def test_generator_architecture_rejects_foreign_model():
    with pytest.raises(ValueError, match="'seed_generator' is not one of the library's networks"):
        generator_architecture(build_seed_generator(1))


# ------------------------------------------------------------------------------------------
# save_generator


def test_save_generator_stores_metadata_and_architecture(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.keras", {"stage": "srresnet", "steps": 7})
    assert path == tmp_path / "g.keras"
    assert read_generator_metadata(path) == {
        "format_version": 1,
        "architecture": "srresnet",
        "build_args": TINY,
        "pixel_range": [0.0, 255.0],
        "stage": "srresnet",
        "steps": 7,
    }


def test_saved_keras_file_holds_the_architecture_and_no_lambda_layer(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.keras")
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    assert config["registered_name"] == "super_resolution_gans>SRResNet"
    assert {key: config["config"][key] for key in TINY} == TINY
    assert '"Lambda"' not in json.dumps(config)


def test_keras_file_reloads_in_safe_mode_in_a_fresh_process(
    tiny_generator, lr_batch, expected_output, tmp_path
):
    path = save_generator(tiny_generator, tmp_path / "g.keras")
    np.save(tmp_path / "x.npy", lr_batch)
    code = (
        "import sys\n"
        "import numpy as np, keras, super_resolution_gans.models\n"
        "m = keras.models.load_model(sys.argv[1], safe_mode=True)\n"
        "y = keras.ops.convert_to_numpy(m(np.load(sys.argv[2]), training=False))\n"
        "y = y.astype('float64')\n"
        "print('CHECKSUM', repr(float(y.sum())), repr(float(np.abs(y).sum())), y.shape)\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), str(tmp_path / "x.npy")],
        cwd=tmp_path,  # not the checkout: only the installed package can provide the layers
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    match = re.search(r"CHECKSUM (\S+) (\S+) \((\d+), (\d+), (\d+), (\d+)\)", result.stdout)
    assert match, result.stdout
    total, absolute = float(match[1]), float(match[2])
    assert tuple(int(v) for v in match.groups()[2:]) == expected_output.shape
    expected = expected_output.astype("float64")
    assert total == pytest.approx(expected.sum(), rel=1e-5)
    assert absolute == pytest.approx(np.abs(expected).sum(), rel=1e-5)


def test_save_generator_rejects_unknown_extension(tiny_generator, tmp_path):
    with pytest.raises(ValueError, match=r"path must end in \.keras or \.weights\.h5.*g\.h5"):
        save_generator(tiny_generator, tmp_path / "g.h5")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_no_file_and_no_temporary(tiny_generator, tmp_path, monkeypatch):
    def save_then_fail(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_generator(tiny_generator, tmp_path / "g.keras")
    assert list(tmp_path.iterdir()) == []


def test_failed_metadata_write_keeps_previous_file(tiny_generator, tmp_path, monkeypatch):
    destination = tmp_path / "g.keras"
    destination.write_bytes(b"previous model")

    def failing_zipfile(*args, **kwargs):
        raise OSError("interrupted while writing metadata")

    monkeypatch.setattr(model_io, "zipfile", types.SimpleNamespace(ZipFile=failing_zipfile))
    with pytest.raises(OSError, match="interrupted while writing metadata"):
        save_generator(tiny_generator, destination)
    assert destination.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["g.keras"]


# ------------------------------------------------------------------------------------------
# load_generator: our files


def test_load_generator_reads_keras_file(tiny_generator, lr_batch, expected_output, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.keras")
    loaded = load_generator(path)
    assert loaded is not tiny_generator
    np.testing.assert_allclose(_output(loaded, lr_batch), expected_output, atol=1e-4)


def test_weights_file_loads_from_its_metadata_alone(lr_batch, tmp_path):
    generator = randomize_weights(build_generator(scale=2, num_blocks=1, filters=8), seed=5)
    path = save_generator(generator, tmp_path / "g.weights.h5", {"stage": "demo"})
    assert read_generator_metadata(path)["build_args"] == generator_architecture(generator)
    assert read_generator_metadata(path)["stage"] == "demo"
    loaded = load_generator(path)  # no build arguments
    assert generator_architecture(loaded) == generator_architecture(generator)
    np.testing.assert_allclose(_output(loaded, lr_batch), _output(generator, lr_batch), atol=1e-4)


def test_plain_weights_file_loads_with_explicit_architecture(
    tiny_generator, lr_batch, expected_output, tmp_path
):
    path = tmp_path / "plain.weights.h5"
    tiny_generator.save_weights(path)
    assert read_generator_metadata(path) == {}
    loaded = load_generator(path, num_blocks=2, filters=16)
    np.testing.assert_allclose(_output(loaded, lr_batch), expected_output, atol=1e-4)


def test_plain_weights_file_without_architecture_is_refused(tiny_generator, tmp_path):
    path = tmp_path / "plain.weights.h5"
    tiny_generator.save_weights(path)
    # Without metadata the default (16 blocks, 64 filters) is tried, and does not fit.
    with pytest.raises(ValueError, match=r"plain\.weights\.h5: weights do not fit build_generator"):
        load_generator(path)


def test_wrong_architecture_arguments_are_refused_with_a_message(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.weights.h5")
    with pytest.raises(
        ValueError,
        match=r"weights do not fit build_generator\(.*filters=8.*\).*pass the architecture",
    ):
        load_generator(path, filters=8)


def test_load_generator_rejects_unknown_keyword(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.weights.h5")
    with pytest.raises(TypeError, match=r"unexpected arguments \['blocks'\]"):
        load_generator(path, blocks=2)


def test_keras_file_with_lambda_layer_is_refused_by_safe_mode(tmp_path):
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match=r"lambda\.keras: cannot load this \.keras file"):
        load_generator(path)


def test_keras_file_of_a_non_image_model_is_refused(tmp_path):
    inputs = keras.Input((4,))
    path = tmp_path / "dense.keras"
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    with pytest.raises(ValueError, match=r"dense\.keras: not an image generator"):
        load_generator(path)


# ------------------------------------------------------------------------------------------
# load_generator: cache


def test_load_generator_caches_per_file(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "cached.keras")
    assert load_generator(path) is load_generator(str(path))


def test_load_generator_reloads_a_rewritten_file(lr_batch, tmp_path):
    path = tmp_path / "rewritten.weights.h5"
    first_model = randomize_weights(build_generator(num_blocks=1, filters=8), seed=10)
    save_generator(first_model, path)
    first = load_generator(path)
    before = os.stat(path)

    second_model = randomize_weights(build_generator(num_blocks=1, filters=8), seed=11)
    save_generator(second_model, path)
    # Same size is likely; make sure the timestamp moves even on a coarse-grained filesystem.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    second = load_generator(path)

    assert second is not first
    np.testing.assert_allclose(
        _output(second, lr_batch), _output(second_model, lr_batch), atol=1e-4
    )
    assert not np.allclose(_output(second, lr_batch), _output(first, lr_batch), atol=1.0)


# ------------------------------------------------------------------------------------------
# load_generator: errors name the path


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here.keras"):
        load_generator(tmp_path / "nothing-here.keras")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("model.bin", b"\x00" * 64, "unknown model file type"),
        ("empty.keras", b"", "model file is empty"),
        ("garbage.keras", b"this is not a zip archive" * 10, r".*\.keras file"),
        ("garbage.h5", b"this is not HDF5" * 10, r"not a readable Keras \.h5 model file"),
        ("garbage.weights.h5", b"this is not HDF5" * 10, "not a readable weights file"),
    ],
    ids=["unknown_extension", "empty", "garbage_keras", "garbage_h5", "garbage_weights_h5"],
)
def test_unreadable_file_raises_value_error_naming_it(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"{re.escape(name)}: {message}"):
        load_generator(path)


def test_directory_raises_value_error_naming_it(tmp_path):
    folder = tmp_path / "model.keras"
    folder.mkdir()
    with pytest.raises(ValueError, match=r"model\.keras: is a directory"):
        load_generator(folder)


def test_error_message_holds_the_full_path(tmp_path):
    path = tmp_path / "empty.keras"
    path.write_bytes(b"")
    with pytest.raises(ValueError) as info:
        load_generator(path)
    assert str(path.resolve()) in str(info.value)


def test_metadata_is_json_in_the_archive(tiny_generator, tmp_path):
    path = save_generator(tiny_generator, tmp_path / "g.keras", {"note": "ünïcode"})
    with zipfile.ZipFile(path) as archive:
        record = json.loads(archive.read(model_io.METADATA_NAME))
    assert record["note"] == "ünïcode"
    assert record["build_args"] == TINY
