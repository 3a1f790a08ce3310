"""Tests for the predecessor's Keras 2 `.h5` files (super_resolution_gans.keras2_format).

The fixtures were written by genuine Keras 2.3.1 (seed layout, 2 residual blocks, random
weights) together with Keras 2's own outputs; they live in `shared/fixtures/` beside the
checkout (`/work/shared` next to `/work/main`), found relative to this file.
"""

from __future__ import annotations

import codecs
import json
import marshal
import shutil
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from super_resolution_gans.io.model_io import load_generator
from super_resolution_gans.models import keras2_format
from super_resolution_gans.models.keras2_format import (
    is_keras2_h5,
    load_keras2_seed_generator,
    read_keras2_file,
)

FULL = "seed_generator_2blocks.h5"
WEIGHTS_ONLY = "seed_generator_2blocks.weights-only.h5"
# Keras 2 vs Keras 3 on the [0, 255] scale; measured differences are about 3e-4.
TOLERANCE = 0.05


@pytest.fixture(scope="session")
def seed_fixtures() -> Path:
    """The folder of Keras 2 fixtures; a missing folder is an error, not a skip."""
    folder = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "keras2_seed_format"
    expected = [FULL, WEIGHTS_ONLY, "reference_outputs.npz"]
    missing = [name for name in expected if not (folder / name).is_file()]
    if missing:
        pytest.fail(
            f"Keras 2 fixtures missing from {folder}: {', '.join(missing)}. They belong in "
            "shared/fixtures/keras2_seed_format/ beside the repository checkout.",
            pytrace=False,
        )
    return folder


@pytest.fixture(scope="session")
def reference(seed_fixtures):
    with np.load(seed_fixtures / "reference_outputs.npz") as data:
        return {key: data[key] for key in data.files}


def _forbidden(*args, **kwargs):
    raise AssertionError("a model was built or loaded before the file was refused")


@pytest.fixture
def forbid_weight_loading(monkeypatch):
    """Makes every way of loading weights or a whole model fail loudly."""
    monkeypatch.setattr(keras.Model, "load_weights", _forbidden)
    monkeypatch.setattr(keras.models, "load_model", _forbidden)
    monkeypatch.setattr(keras.saving, "load_model", _forbidden)


@pytest.fixture
def forbid_loading(forbid_weight_loading, monkeypatch):
    """Also forbids building the layout: a refusal from the config must come first."""
    monkeypatch.setattr(keras2_format, "build_seed_generator", _forbidden)


def _edit_model_config(path: Path, edit) -> None:
    with h5py.File(path, "r+") as handle:
        config = handle.attrs["model_config"]
        config = json.loads(config.decode("utf-8") if isinstance(config, bytes) else config)
        edit(config["config"])
        handle.attrs["model_config"] = json.dumps(config).encode("utf-8")


def _copy(seed_fixtures: Path, name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(seed_fixtures / name, target)
    return target


def _pixels(signed: np.ndarray) -> np.ndarray:
    return (signed.astype("float32") + 1.0) * 127.5


# ------------------------------------------------------------------------------------------
# Reading the file as data


def test_read_full_model_file(seed_fixtures):
    info = read_keras2_file(seed_fixtures / FULL)
    assert info.has_model_config
    assert info.keras_version == "2.3.1"
    assert info.layer_classes.count("Add") == 3  # 2 residual blocks + the long skip
    assert info.layer_classes.count("Conv2D") == 9
    assert set(info.layer_classes) <= {
        "InputLayer", "Conv2D", "Activation", "BatchNormalization", "Add", "UpSampling2D",
    }  # fmt: skip


def test_weights_only_file_has_same_weights_and_no_config(seed_fixtures):
    full = read_keras2_file(seed_fixtures / FULL)
    weights_only = read_keras2_file(seed_fixtures / WEIGHTS_ONLY)
    assert not weights_only.has_model_config
    assert weights_only.layer_classes == ()
    assert weights_only.weight_shapes == full.weight_shapes
    assert full.weight_shapes[0] == (9, 9, 3, 64)


def test_is_keras2_h5_tells_keras2_files_apart(seed_fixtures, tmp_path):
    keras3 = tmp_path / "keras3.weights.h5"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save_weights(keras3)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    assert is_keras2_h5(seed_fixtures / FULL)
    assert is_keras2_h5(seed_fixtures / WEIGHTS_ONLY)
    assert not is_keras2_h5(keras3)
    assert not is_keras2_h5(text)


# ------------------------------------------------------------------------------------------
# Reproducing Keras 2's outputs at any size


@pytest.mark.parametrize("name", [FULL, WEIGHTS_ONLY], ids=["full", "weights_only"])
@pytest.mark.parametrize(
    "inputs, outputs", [("x64", "y64"), ("x_odd", "y_odd")], ids=["64x64", "40x56"]
)
def test_loaded_file_reproduces_keras2_outputs(seed_fixtures, reference, name, inputs, outputs):
    generator = load_generator(seed_fixtures / name)
    x, expected = _pixels(reference[inputs]), _pixels(reference[outputs])
    if name == WEIGHTS_ONLY:  # same weights as the full file: one image per size is enough
        x, expected = x[:1], expected[:1]
    y = keras.ops.convert_to_numpy(generator(x, training=False))
    assert y.shape == expected.shape
    assert np.abs(y - expected).max() <= TOLERANCE


def test_loaded_model_contains_no_stored_code(seed_fixtures):
    generator = load_generator(seed_fixtures / FULL)
    layers = list(generator.layers) + list(generator.get_layer("seed_generator").layers)
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in layers)
    assert generator.input_shape == (None, None, None, 3)


# ------------------------------------------------------------------------------------------
# Refusals


def test_lambda_layer_is_refused_before_anything_is_loaded(seed_fixtures, tmp_path, forbid_loading):
    sentinel = tmp_path / "lambda-was-executed"
    function = eval(f"lambda x: __import__('pathlib').Path({str(sentinel)!r}).touch() or x")
    lambda_layer = {
        "name": "lambda_1",
        "class_name": "Lambda",
        "config": {
            "name": "lambda_1",
            "trainable": True,
            "dtype": "float32",
            # What Keras 2's func_dump stores: the function's bytecode, base64-encoded.
            "function": [
                codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii"),
                None,
                None,
            ],
            "function_type": "lambda",
            "module": "__main__",
            "output_shape": None,
            "output_shape_type": "raw",
            "output_shape_module": None,
            "arguments": {},
        },
        "inbound_nodes": [],
    }

    def add_lambda(config):
        layers = config["layers"]
        last = layers[-1]
        lambda_layer["inbound_nodes"] = last["inbound_nodes"]
        last["inbound_nodes"] = [[["lambda_1", 0, 0, {}]]]
        layers.insert(len(layers) - 1, lambda_layer)

    path = _copy(seed_fixtures, FULL, tmp_path)
    _edit_model_config(path, add_lambda)
    with pytest.raises(ValueError, match=r"seed_generator_2blocks\.h5: contains Lambda layers"):
        load_generator(path)
    assert not sentinel.exists()


def test_unknown_layer_class_is_refused(seed_fixtures, tmp_path, forbid_loading):
    def use_transposed_conv(config):
        for layer in config["layers"]:
            if layer["class_name"] == "UpSampling2D":
                layer["class_name"] = "Conv2DTranspose"

    path = _copy(seed_fixtures, FULL, tmp_path)
    _edit_model_config(path, use_transposed_conv)
    with pytest.raises(ValueError, match="unknown model layout.*Conv2DTranspose"):
        load_keras2_seed_generator(path)


def test_malformed_model_config_is_refused(seed_fixtures, tmp_path, forbid_loading):
    path = _copy(seed_fixtures, FULL, tmp_path)
    with h5py.File(path, "r+") as handle:
        handle.attrs["model_config"] = b'{"class_name": "Model", "config": {"layerz": []}}'
    with pytest.raises(ValueError, match="model config in this file is malformed"):
        load_generator(path)


@pytest.mark.parametrize("name", [FULL, WEIGHTS_ONLY], ids=["full", "weights_only"])
def test_weights_of_wrong_shape_are_refused(seed_fixtures, tmp_path, forbid_weight_loading, name):
    path = _copy(seed_fixtures, name, tmp_path)
    with h5py.File(path, "r+") as handle:
        weights = handle["model_weights"] if "model_weights" in handle else handle
        dataset = "conv2d_2/conv2d_2/kernel:0"  # first 3x3 convolution of the first block
        assert weights[dataset].shape == (3, 3, 64, 64)
        del weights[dataset]
        weights.create_dataset(dataset, data=np.zeros((3, 3, 64, 32), "float32"))
    with pytest.raises(ValueError, match="unknown model layout.*do not match"):
        load_generator(path)
