"""Helpers shared by the model and layer tests (import with `from helpers import ...`).

`run_serialization_test` is the keras-hub style round trip every registered layer and every
model we build must pass: `get_config` -> `from_config` gives an identical config, the
registered name survives `serialize_keras_object` / `deserialize_keras_object`, and, given
inputs, a `.keras` file reloads with `safe_mode=True` and computes the same outputs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import keras
import numpy as np


def _config_json(config: dict) -> str:
    return json.dumps(config, sort_keys=True, indent=1, default=str)


def _as_model(obj, input_data: np.ndarray) -> keras.Model:
    if isinstance(obj, keras.Model):
        return obj
    inputs = keras.Input(tuple([None] * (input_data.ndim - 2)) + (input_data.shape[-1],))
    return keras.Model(inputs, obj(inputs))


def run_serialization_test(
    obj,
    *,
    input_data: np.ndarray | None = None,
    tmp_path: Path | None = None,
    atol: float = 1e-5,
):
    """Config and `.keras` round trips of a layer or model; returns the reloaded model (or None).

    Args:
        obj: a `keras.layers.Layer` or `keras.Model`.
        input_data: a batch to compare outputs before and after saving; with `tmp_path`.
        tmp_path: folder for the `.keras` file.
        atol: tolerance of the output comparison.
    """
    config = obj.get_config()
    revived = obj.__class__.from_config(copy.deepcopy(config))  # from_config may consume it
    assert _config_json(revived.get_config()) == _config_json(config)

    serialized = keras.saving.serialize_keras_object(obj)
    assert serialized["registered_name"] == keras.saving.get_registered_name(type(obj))
    deserialized = keras.saving.deserialize_keras_object(serialized)
    assert type(deserialized) is type(obj)
    assert _config_json(deserialized.get_config()) == _config_json(config)

    if input_data is None:
        return None
    if tmp_path is None:
        raise ValueError("run_serialization_test needs tmp_path to test .keras saving")
    model = _as_model(obj, input_data)
    expected = keras.ops.convert_to_numpy(model(input_data, training=False))
    path = Path(tmp_path) / f"{model.name}_roundtrip.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True, compile=False)
    actual = keras.ops.convert_to_numpy(reloaded(input_data, training=False))
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=0)
    return reloaded


def flat_layers(model: keras.Model):
    """Every layer of `model`, nested models expanded."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from flat_layers(layer)
        yield layer


def randomize_weights(model: keras.Model, seed: int = 0) -> keras.Model:
    """Gives BatchNorm statistics, PReLU slopes, convolution biases and a zero-initialised
    output convolution non-trivial values, so that round trips and tiling tests exercise every
    weight."""
    rng = np.random.default_rng(seed)
    for layer in flat_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = tuple(layer.gamma.shape)
            layer.gamma.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
            layer.beta.assign(rng.normal(0.0, 0.1, shape).astype("float32"))
            layer.moving_mean.assign(rng.normal(0.0, 0.1, shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif isinstance(layer, keras.layers.PReLU):
            shape = tuple(layer.alpha.shape)
            layer.alpha.assign(rng.uniform(0.05, 0.3, shape).astype("float32"))
        elif isinstance(layer, keras.layers.Conv2D):
            if not np.any(layer.kernel.numpy()):
                shape = tuple(layer.kernel.shape)
                layer.kernel.assign(rng.normal(0.0, 0.02, shape).astype("float32"))
            if layer.use_bias:
                shape = tuple(layer.bias.shape)
                layer.bias.assign(rng.normal(0.0, 0.05, shape).astype("float32"))
    return model


def write_photos(folder: Path, count: int = 6) -> Path:
    """`count` small PNG photos (64-96 pixels: smooth gradients plus noise, something a network
    can learn a little of) in `folder`, created if needed; returns `folder`."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        height, width = 64 + 8 * (index % 5), 96 - 8 * (index % 4)
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], -1)
        noise = rng.normal(0, 20, (height, width, 3))
        image = np.clip(base + noise, 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"photo{index}.png")
    return folder

