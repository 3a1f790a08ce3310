"""Content losses: the frozen VGG19 feature extractor and the pixel losses.

VGG19 is always built with `weights=None` or from a local file: this machine and CI are offline.
"""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest

from super_resolution_gans import VGG22, VGG54, build_vgg_feature_extractor
from super_resolution_gans.training import VGGPreprocess
from super_resolution_gans.training.losses import (
    VGG19_NOTOP_FILE,
    pixel_mae,
    pixel_mse,
    vgg_content_loss,
)


@pytest.fixture(scope="module")
def vgg22():
    return build_vgg_feature_extractor(VGG22, weights=None)


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def test_vgg_preprocess_matches_keras_preprocess_input():
    images = _random_images((2, 7, 9, 3))
    expected = keras.applications.vgg19.preprocess_input(images.copy())
    np.testing.assert_allclose(VGGPreprocess()(images).numpy(), expected, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize(
    ("layer", "expected"),
    [(VGG22, (1, 18, 22, 128)), (VGG54, (1, 2, 2, 512))],  # 1 and 4 pools on 37x45
)
def test_extractor_output_shape_on_odd_sizes(layer, expected):
    extractor = build_vgg_feature_extractor(layer, weights=None)
    assert tuple(extractor(_random_images((1, 37, 45, 3))).shape) == expected


def test_extractor_is_frozen(vgg22):
    assert vgg22.trainable is False
    assert vgg22.trainable_weights == []
    assert len(vgg22.non_trainable_weights) > 0


def test_unknown_layer_error_lists_choices():
    with pytest.raises(ValueError, match="block6_conv1") as info:
        build_vgg_feature_extractor("block6_conv1", weights=None)
    assert "block5_conv4" in str(info.value) and "block2_conv2" in str(info.value)


def test_missing_weights_file(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        build_vgg_feature_extractor(VGG22, weights=missing)


def test_offline_imagenet_error_says_what_to_do(monkeypatch, tmp_path):
    from keras.src.utils import file_utils  # what keras.applications.vgg19 calls

    def offline(fname, origin=None, **kwargs):
        # What get_file raises when the host cannot be resolved.
        raise Exception(
            f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not known"
        )

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(RuntimeError) as info:
        build_vgg_feature_extractor(VGG54, weights="imagenet")
    message = str(info.value)
    assert VGG19_NOTOP_FILE in message
    assert str(tmp_path / "models") in message  # where Keras looks for the cached copy
    assert "weights=" in message and "--vgg-weights" in message  # how to pass a local file
    assert "Name or service not known" in message
    assert isinstance(info.value.__cause__, Exception)


def _vgg19_notop():
    return keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))


def _write_keras2_h5(model, path):
    """Writes weights in the Keras 2 `.h5` layout of the real ImageNet file."""
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)


@pytest.mark.parametrize("layout", ["keras2_h5", "weights_h5"])
def test_local_weights_file_is_loaded(tmp_path, layout):
    source = _vgg19_notop()
    # Distinctive values, so weights equal to a fresh random initialisation cannot pass.
    weights = source.get_weights()
    source.set_weights([np.full_like(w, 0.01 * (i + 1)) for i, w in enumerate(weights)])
    if layout == "keras2_h5":
        path = tmp_path / VGG19_NOTOP_FILE
        _write_keras2_h5(source, path)
    else:
        path = tmp_path / "vgg19_notop.weights.h5"
        source.save_weights(path)

    extractor = build_vgg_feature_extractor(VGG22, weights=path)  # a Path
    str_extractor = build_vgg_feature_extractor(VGG22, weights=str(path))  # and a str
    expected = source.get_layer(VGG22).kernel.numpy()
    for model in (extractor, str_extractor):
        vgg = model.get_layer(f"vgg19_{VGG22}")
        np.testing.assert_array_equal(vgg.get_layer(VGG22).kernel.numpy(), expected)
        assert model.trainable_weights == []


def test_vgg_content_loss(vgg22):
    hr = _random_images((2, 16, 16, 3), seed=1)
    sr = _random_images((2, 16, 16, 3), seed=2)
    assert float(vgg_content_loss(vgg22, hr, hr)) == 0.0
    features = lambda x: vgg22(x).numpy().astype("float64")  # noqa: E731
    expected = np.mean(((features(sr) - features(hr)) / 12.75) ** 2)
    np.testing.assert_allclose(float(vgg_content_loss(vgg22, hr, sr)), expected, rtol=1e-4)
    scaled = float(vgg_content_loss(vgg22, hr, sr, feature_scale=1.0))
    np.testing.assert_allclose(scaled, expected * 12.75**2, rtol=1e-4)


def test_pixel_losses_are_measured_in_signed_range():
    hr = _random_images((2, 5, 6, 3), seed=3)
    sr = _random_images((2, 5, 6, 3), seed=4)
    difference = (sr.astype("float64") - hr) / 127.5
    np.testing.assert_allclose(float(pixel_mse(hr, sr)), np.mean(difference**2), rtol=1e-5)
    np.testing.assert_allclose(float(pixel_mae(hr, sr)), np.mean(np.abs(difference)), rtol=1e-5)
    assert float(pixel_mse(hr, hr)) == 0.0
