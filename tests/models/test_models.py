"""Tests for super_resolution_gans.layers and super_resolution_gans.models."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import flat_layers, run_serialization_test

from super_resolution_gans.models import (
    build_discriminator,
    build_generator,
    build_seed_generator,
    wrap_signed_range,
)
from super_resolution_gans.models.layers import PixelShuffle, ResizeByFactor

CODE_LAYERS = ("Lambda", "TFOpLambda", "SlicingOpLambda")


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


# ------------------------------------------------------------------------------------------
# Layers


def test_pixel_shuffle_matches_depth_to_space_channel_order():
    x = np.arange(2 * 2 * 3 * 8, dtype="float32").reshape(2, 2, 3, 8)
    y = keras.ops.convert_to_numpy(PixelShuffle(2)(x))
    # Reference: out[b, 2h+i, 2w+j, c] = in[b, h, w, (2i+j)*C + c] with C = 8 / 4 = 2.
    expected = x.reshape(2, 2, 3, 2, 2, 2).transpose(0, 1, 3, 2, 4, 5).reshape(2, 4, 6, 2)
    np.testing.assert_array_equal(y, expected)


def test_pixel_shuffle_compute_output_shape_keeps_unknown_sizes():
    assert PixelShuffle(2).compute_output_shape((None, None, 7, 16)) == (None, None, 14, 4)


def test_pixel_shuffle_rejects_factor_below_two():
    with pytest.raises(ValueError, match="factor must be an integer >= 2, got 1"):
        PixelShuffle(1)


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_resize_by_factor_equals_tf_bicubic_resize_on_odd_size(factor):
    x = _images((2, 5, 7, 3))
    expected = tf.image.resize(x, (5 * factor, 7 * factor), method="bicubic").numpy()
    y = keras.ops.convert_to_numpy(ResizeByFactor(factor)(x))
    np.testing.assert_allclose(y, expected, atol=1e-3)


def test_resize_by_factor_rejects_zero_factor():
    with pytest.raises(ValueError, match="factor must be a positive integer, got 0"):
        ResizeByFactor(0)


@pytest.mark.parametrize(
    "layer, input_shape",
    [
        (PixelShuffle(2, name="shuffle"), (1, 3, 5, 8)),
        (ResizeByFactor(4, "bilinear", name="resize"), (1, 3, 5, 3)),
    ],
    ids=["PixelShuffle", "ResizeByFactor"],
)
def test_layer_serialization_round_trip(layer, input_shape, tmp_path):
    run_serialization_test(layer, input_data=_images(input_shape), tmp_path=tmp_path)


# ------------------------------------------------------------------------------------------
# Generator


@pytest.mark.parametrize("size", [(1, 1), (7, 7), (5, 9), (13, 6)])
def test_generator_output_is_four_times_any_input_size(tiny_generator, size):
    height, width = size
    y = tiny_generator(_images((2, height, width, 3)), training=False)
    assert tuple(y.shape) == (2, 4 * height, 4 * width, 3)


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_generator_scale_sets_output_factor(scale):
    generator = build_generator(scale=scale, num_blocks=1, filters=8)
    y = generator(_images((1, 5, 7, 3)), training=False)
    assert tuple(y.shape) == (1, 5 * scale, 7 * scale, 3)


def test_generator_output_is_float32_pixels_in_range(tiny_generator):
    y = keras.ops.convert_to_numpy(tiny_generator(_images((1, 8, 8, 3)), training=False))
    assert y.dtype == np.float32
    assert 0.0 <= y.min() and y.max() <= 255.0


def test_default_generator_has_srresnet_parameter_count():
    # 16 residual blocks, 64 filters, two pixel-shuffle upsamplings: the paper's SRResNet.
    assert build_generator().count_params() == 1_554_883


def test_prelu_slopes_are_per_channel_and_shared_over_space(tiny_generator):
    prelus = [layer for layer in tiny_generator.layers if isinstance(layer, keras.layers.PReLU)]
    assert len(prelus) == 1 + 2 + 2  # stem, one per residual block, one per upsampling
    for layer in prelus:
        assert list(layer.shared_axes) == [1, 2]
        assert tuple(layer.alpha.shape)[:2] == (1, 1)


def test_same_generator_runs_on_two_different_sizes(tiny_generator):
    first = tiny_generator(_images((1, 8, 12, 3)), training=False)
    second = tiny_generator(_images((1, 11, 5, 3)), training=False)
    assert tuple(first.shape) == (1, 32, 48, 3)
    assert tuple(second.shape) == (1, 44, 20, 3)


@pytest.mark.parametrize("scale", [2, 4])
def test_untrained_global_skip_generator_is_bicubic_upsampling(scale):
    generator = build_generator(scale=scale, num_blocks=1, filters=8, global_skip=True)
    x = _images((2, 9, 13, 3), seed=3)
    expected = tf.image.resize(x, (9 * scale, 13 * scale), method="bicubic").numpy()
    y = keras.ops.convert_to_numpy(generator(x, training=False))
    assert np.abs(y - expected).max() <= 1e-3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale": 3}, r"scale must be one of \(2, 4, 8\), got 3"),
        ({"num_blocks": 0}, "num_blocks must be a positive integer, got 0"),
        ({"num_blocks": 2.0}, "num_blocks must be a positive integer, got 2.0"),
        ({"filters": -8}, "filters must be a positive integer, got -8"),
    ],
)
def test_generator_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_generator(**kwargs)


def test_generator_serialization_round_trip(tiny_generator, tmp_path):
    run_serialization_test(tiny_generator, input_data=_images((1, 6, 10, 3)), tmp_path=tmp_path)


# ------------------------------------------------------------------------------------------
# No stored code in any model we build


@pytest.mark.parametrize(
    "build",
    [
        lambda: build_generator(scale=2, num_blocks=1, filters=8),
        lambda: build_generator(scale=8, num_blocks=1, filters=8, global_skip=True),
        lambda: build_discriminator(hr_size=16, filters=8),
        lambda: build_seed_generator(1),
        lambda: wrap_signed_range(build_seed_generator(1)),
    ],
    ids=["generator", "global_skip_x8", "discriminator", "seed", "seed_wrapped"],
)
def test_models_contain_no_lambda_layers(build):
    model = build()
    classes = {type(layer).__name__ for layer in flat_layers(model)}
    assert not classes & set(CODE_LAYERS)
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in flat_layers(model))


# ------------------------------------------------------------------------------------------
# Discriminator


def test_discriminator_returns_one_logit_per_image():
    discriminator = build_discriminator(hr_size=32, filters=8)
    y = discriminator(_images((3, 32, 32, 3)), training=False)
    assert tuple(y.shape) == (3, 1)
    assert y.dtype == "float32"


def test_discriminator_follows_the_paper_layer_plan():
    discriminator = build_discriminator(hr_size=16)  # default filters=64
    convs = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    plan = [(layer.filters, layer.strides[0], layer.kernel_size[0]) for layer in convs]
    assert plan == [
        (64, 1, 3), (64, 2, 3), (128, 1, 3), (128, 2, 3),
        (256, 1, 3), (256, 2, 3), (512, 1, 3), (512, 2, 3),
    ]  # fmt: skip
    layers = discriminator.layers
    batchnorms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(batchnorms) == 7  # after every convolution but the first
    dense = [layer.units for layer in discriminator.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [1024, 1]


def test_discriminator_rejects_size_not_multiple_of_16():
    with pytest.raises(ValueError, match="hr_size must be a multiple of 16.*got 40"):
        build_discriminator(hr_size=40)


# ------------------------------------------------------------------------------------------
# The predecessor's layout


def test_seed_generator_matches_the_published_model_layout():
    model = build_seed_generator()  # 16 blocks, as the published model.h5
    assert model.count_params() == 2_042_691
    counts = {}
    for layer in model.layers:
        counts[type(layer).__name__] = counts.get(type(layer).__name__, 0) + 1
    assert counts["Conv2D"] == 37
    assert counts["BatchNormalization"] == 33
    assert counts["Add"] == 17
    assert counts["UpSampling2D"] == 2


def test_wrapped_seed_generator_maps_pixels_to_pixels_at_any_size():
    core = build_seed_generator(1)
    wrapped = wrap_signed_range(core)
    x = _images((1, 10, 14, 3))
    y = keras.ops.convert_to_numpy(wrapped(x, training=False))
    signed = keras.ops.convert_to_numpy(core(x / 127.5 - 1.0, training=False))
    expected = (signed + 1.0) * 127.5
    assert y.shape == (1, 40, 56, 3)
    np.testing.assert_allclose(y, expected, atol=1e-3)


# --- the architecture is the generator's config ---------------------------------------------


def test_generator_config_is_its_architecture_and_survives_a_keras_file(tmp_path):
    from super_resolution_gans.models import SRResNet

    generator = build_generator(2, num_blocks=1, filters=8, global_skip=True)
    assert isinstance(generator, SRResNet)
    config = generator.get_config()
    assert {k: config[k] for k in ("scale", "num_blocks", "filters", "global_skip")} == {
        "scale": 2, "num_blocks": 1, "filters": 8, "global_skip": True}
    image = np.random.default_rng(0).uniform(0, 255, (1, 6, 5, 3)).astype("float32")
    reloaded = run_serialization_test(generator, input_data=image, tmp_path=tmp_path)
    assert isinstance(reloaded, SRResNet)
    assert reloaded.architecture == generator.architecture
    assert reloaded.batchnorm_pairs == generator.batchnorm_pairs


def test_generator_records_its_dtype_policy(tmp_path):
    from super_resolution_gans.models import build_generator_with_policy

    generator = build_generator_with_policy("mixed_float16", num_blocks=1, filters=8)
    assert generator.get_config()["dtype"] == "mixed_float16"
    assert generator.get_layer("stem_conv").compute_dtype == "float16"
    path = tmp_path / "mixed.keras"
    generator.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True, compile=False)
    assert reloaded.get_layer("stem_conv").compute_dtype == "float16"
    assert reloaded.output.dtype == "float32"


def test_shipped_file_is_a_configured_generator_in_safe_mode():
    from super_resolution_gans import EXAMPLE_IMAGE
    from super_resolution_gans.models import SRResNet
    from super_resolution_gans.models.presets import PRETRAINED

    for name in ("srresnet_x4", "realsr_x4"):
        shipped = EXAMPLE_IMAGE.parents[1] / PRETRAINED[name].package_file
        generator = keras.models.load_model(shipped, safe_mode=True, compile=False)
        assert isinstance(generator, SRResNet)
        assert generator.architecture == {
            "scale": 4, "num_blocks": 16, "filters": 64, "global_skip": True}
