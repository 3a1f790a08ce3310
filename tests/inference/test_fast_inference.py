"""The fast prediction path: the inference rewrite, runtimes, float16 fallback."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import randomize_weights

from super_resolution_gans import build_generator, save_generator
from super_resolution_gans.inference import (
    predictor_for,
    resolve_runtime,
    runtimes,
    stages_for,
    upscale_rgb,
)
from super_resolution_gans.models import build_seed_generator, inference_copy, wrap_signed_range


@pytest.fixture(scope="module")
def generator():
    return randomize_weights(build_generator(num_blocks=2, filters=16), seed=3)


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).uniform(0, 255, (1, 19, 27, 3)).astype("float32")


def test_inference_copy_has_no_batchnorm_and_the_same_output(generator, image):
    fast = inference_copy(generator)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in fast.layers)
    expected = generator(image, training=False).numpy()
    np.testing.assert_allclose(fast(image).numpy(), expected, atol=1e-2)


@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("global_skip", [False, True])
def test_output_conv_before_the_last_shuffle_gives_the_same_output(scale, global_skip):
    generator = randomize_weights(
        build_generator(scale, num_blocks=1, filters=8, global_skip=global_skip), seed=scale
    )
    fast = inference_copy(generator)
    layer_names = [layer.name for layer in fast.layers]
    last_shuffle = f"upsample{scale.bit_length() - 1}_shuffle"
    assert layer_names.index("output_conv") < layer_names.index(last_shuffle)
    assert fast.get_layer("output_conv").kernel.shape == (5, 5, 4 * 8, 4 * 3)
    image = np.random.default_rng(scale).uniform(0, 255, (2, 7, 10, 3)).astype("float32")
    expected = generator(image, training=False).numpy()
    np.testing.assert_allclose(fast(image).numpy(), expected, atol=1e-2)


def test_inference_copy_of_an_inference_copy_is_itself(generator):
    fast = inference_copy(generator)
    assert inference_copy(fast) is fast


def test_inference_copies_are_not_saved_as_generators(generator, tmp_path):
    with pytest.raises(ValueError, match="is an inference copy"):
        save_generator(inference_copy(generator), tmp_path / "copy.keras")
    assert not list(tmp_path.iterdir())


def test_subpixel_output_needs_the_folded_layout():
    with pytest.raises(ValueError, match="needs batchnorm=False"):
        build_generator(num_blocks=1, filters=8, subpixel_output=True)


def test_folding_uses_the_batchnorm_statistics(generator, image):
    # Folding that ignored the BatchNorm (copying the conv weights only) would differ.
    unfolded_copy = build_generator(num_blocks=2, filters=16, batchnorm=False)
    for layer in unfolded_copy.layers:
        if layer.weights:
            layer.set_weights(generator.get_layer(layer.name).get_weights())
    expected = generator(image, training=False).numpy()
    assert np.abs(unfolded_copy(image).numpy() - expected).max() > 1.0


def test_models_of_other_layouts_are_left_as_they_are():
    seed = wrap_signed_range(build_seed_generator(1))
    assert inference_copy(seed) is seed


@pytest.mark.parametrize("runtime", ["tensorflow", "openvino"])
def test_every_runtime_matches_the_keras_model_within_a_grey_level(generator, image, runtime):
    output = predictor_for(generator, runtime=runtime)(image)
    expected = generator(image, training=False).numpy()
    assert output.shape == expected.shape
    assert np.abs(output - expected).max() < 1.0


def test_the_tensorflow_runtime_does_not_retrace_for_new_image_sizes(generator):
    predictor = predictor_for(generator, runtime="tensorflow")
    for shape in [(1, 8, 8, 3), (2, 11, 13, 3), (1, 30, 9, 3)]:
        predictor(np.zeros(shape, "float32"))
    assert predictor._float32.experimental_get_tracing_count() == 1


def test_predictors_are_cached_per_model_and_runtime(generator):
    first = predictor_for(generator, runtime="tensorflow")
    assert predictor_for(generator, runtime="tensorflow") is first
    assert predictor_for(generator, runtime="openvino") is not first


@pytest.mark.parametrize("runtime", ["tensorflow", "openvino"])
def test_the_fast_path_follows_changed_weights(image, runtime):
    generator = randomize_weights(build_generator(num_blocks=1, filters=8), seed=8)
    before = predictor_for(generator, runtime=runtime)
    before(image)
    layer = generator.get_layer("output_conv")  # as a training step or set_weights would
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel * 0.5, bias + 0.3])
    expected = generator(image, training=False).numpy()
    assert np.abs(before(image) - expected).max() > 1.0  # a predictor keeps its weights
    assert np.abs(predictor_for(generator, runtime=runtime)(image) - expected).max() < 1.0
    tiled = upscale_rgb(generator, image[0], tile_size=8, runtime=runtime)  # two stages
    assert np.abs(tiled - expected[0]).max() < 1.0


@pytest.mark.parametrize("global_skip", [False, True])
def test_the_trunk_and_tail_stages_compose_to_the_generator(image, global_skip):
    generator = randomize_weights(
        build_generator(num_blocks=2, filters=16, global_skip=global_skip), seed=9
    )
    trunk, tail = stages_for(generator, runtime="tensorflow")
    features = trunk.predict(image)
    assert features.shape == (*image.shape[:3], 16)  # the trunk's 16 filters at LR size
    inputs = (features, image) if global_skip else (features,)
    assert len(tail.model.inputs) == len(inputs)
    expected = generator(image, training=False).numpy()
    assert np.abs(tail.predict(*inputs) - expected).max() < 1e-2


def test_models_of_other_layouts_have_no_stages():
    assert stages_for(wrap_signed_range(build_seed_generator(1)), runtime="tensorflow") is None
    # A layer named like the trunk's end, where the graph does not cut in two:
    inputs = keras.Input((None, None, 3))
    features = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    joined = keras.layers.Add(name="trunk_add")([features, features])
    outputs = keras.layers.Conv2D(3, 3, padding="same")(keras.layers.Add()([joined, features]))
    assert stages_for(keras.Model(inputs, outputs), runtime="tensorflow") is None


def test_float16_trunk_features_near_zero_are_not_taken_for_a_black_image(image):
    generator = randomize_weights(build_generator(num_blocks=1, filters=8), seed=10)
    trunk, _tail = stages_for(generator, runtime="tensorflow", precision="float16")
    trunk.predict._float16 = lambda batch: tf.zeros(tf.concat([tf.shape(batch)[:3], [8]], 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        features = trunk.predict(image)
    assert not features.any()
    assert trunk.predict._float16 is not None


def test_auto_runtime_follows_the_environment_variable(monkeypatch):
    monkeypatch.setenv(runtimes.RUNTIME_ENV_VAR, "tensorflow")
    assert resolve_runtime("auto") == "tensorflow"
    monkeypatch.setenv(runtimes.RUNTIME_ENV_VAR, "openvino")
    assert resolve_runtime("auto") == "openvino"


def test_auto_runtime_is_openvino_on_cpu_when_installed_else_tensorflow(monkeypatch):
    monkeypatch.delenv(runtimes.RUNTIME_ENV_VAR, raising=False)
    monkeypatch.setattr(runtimes, "_openvino_available", lambda: True)
    assert resolve_runtime("auto") == ("tensorflow" if tf.config.list_logical_devices("GPU")
                                       else "openvino")
    monkeypatch.setattr(runtimes, "_openvino_available", lambda: False)
    assert resolve_runtime("auto") == "tensorflow"


def test_unknown_runtime_and_precision_are_refused(generator):
    with pytest.raises(ValueError, match="runtime must be one of"):
        resolve_runtime("tensorrt")
    with pytest.raises(ValueError, match="precision must be"):
        predictor_for(generator, precision="int8")
    with pytest.raises(ValueError, match="float16"):
        predictor_for(generator, runtime="openvino", precision="float16")


@pytest.mark.parametrize(
    "build",
    [
        lambda: build_generator(num_blocks=1, filters=8),
        lambda: wrap_signed_range(build_seed_generator(1)),
    ],
    ids=["srresnet", "predecessor-layout"],
)
def test_float16_output_is_used_when_it_is_sane(image, build):
    generator = randomize_weights(build(), seed=5)
    predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    output = predictor(image)
    assert np.isfinite(output).all()
    expected = generator(image, training=False).numpy()
    assert 0 < np.abs(output - expected).max() < 2.0  # float16 rounding, so float16 ran
    assert predictor._float16 is not None


class WrappedGenerator(keras.Model):
    def __init__(self, inner: keras.Model):
        super().__init__()
        self.inner = inner

    def call(self, images):
        return self.inner(images)


def test_float16_of_a_subclassed_model_warns_and_uses_float32(image):
    generator = WrappedGenerator(
        randomize_weights(build_generator(num_blocks=1, filters=8), seed=7))
    with pytest.warns(RuntimeWarning, match="no float16 copy"):
        predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    expected = generator(image).numpy()
    assert np.abs(predictor(image) - expected).max() < 1e-2


@pytest.mark.parametrize("bad_value", [np.nan, 0.0], ids=["non-finite", "all-black"])
def test_float16_falls_back_to_float32_with_a_warning(image, bad_value):
    generator = randomize_weights(build_generator(num_blocks=1, filters=8), seed=6)
    predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    predictor._float16 = lambda batch: tf.fill(tf.shape(batch) * [1, 4, 4, 1], bad_value)
    with pytest.warns(RuntimeWarning, match="float16 inference gave non-finite or all-black"):
        output = predictor(image)
    expected = generator(image, training=False).numpy()
    assert np.abs(output - expected).max() < 1e-2
    assert predictor._float16 is None  # later calls go straight to float32


def test_float16_keeps_running_on_a_black_image():
    generator = build_generator(num_blocks=1, filters=8)
    black = np.zeros((1, 9, 9, 3), "float32")
    predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    # A model that maps black to black, in both precisions:
    predictor._float16 = lambda batch: tf.zeros(tf.shape(batch) * [1, 4, 4, 1])
    predictor._float32 = lambda batch: tf.zeros(tf.shape(batch) * [1, 4, 4, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: float32 is black too
        assert not predictor(black).any()
    assert predictor._float16 is not None


def test_float16_is_not_blamed_for_what_float32_does_too(image):
    generator = build_generator(num_blocks=1, filters=8)
    predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    nan = lambda batch: tf.fill(tf.shape(batch) * [1, 4, 4, 1], np.nan)  # noqa: E731
    predictor._float16 = predictor._float32 = nan  # as for an input with NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(predictor(image)).all()
    assert predictor._float16 is not None


def test_float16_black_tiles_are_trusted_once_an_output_was_not_black(generator, image):
    predictor = predictor_for(generator, runtime="tensorflow", precision="float16")
    predictor(image)  # a random image and network: not black
    black = np.zeros((1, 9, 9, 3), "float32")
    predictor._float16 = lambda batch: tf.zeros(tf.shape(batch) * [1, 4, 4, 1])

    def not_called(batch):
        raise AssertionError("float32 should not run: float16 has shown that it works")

    predictor._float32 = not_called
    assert not predictor(black).any()


def test_upscale_rgb_gives_the_same_image_on_both_runtimes_tiled(generator):
    rgb = np.random.default_rng(2).uniform(0, 255, (40, 50, 3)).astype("float32")
    whole = upscale_rgb(generator, rgb, tile_size=0, runtime="tensorflow")
    tiled = upscale_rgb(generator, rgb, tile_size=16, runtime="openvino")
    assert np.abs(whole - tiled).max() < 1.0


def test_openvino_compiles_once_per_input_shape_and_bounds_the_cache(generator, monkeypatch):
    predictor = predictor_for(generator, runtime="openvino")
    monkeypatch.setattr(type(predictor), "_MAX_SHAPES", 2)
    predictor._compiled.clear()
    for shape in [(1, 8, 8, 3), (1, 8, 8, 3), (1, 9, 8, 3)]:
        predictor(np.zeros(shape, "float32"))
    assert list(predictor._compiled) == [((1, 8, 8, 3),), ((1, 9, 8, 3),)]
    predictor(np.zeros((2, 5, 5, 3), "float32"))  # a third shape evicts the oldest
    assert list(predictor._compiled) == [((1, 9, 8, 3),), ((2, 5, 5, 3),)]


def test_bfloat16_is_an_openvino_option_close_to_float32(generator, image):
    with pytest.raises(ValueError, match="bfloat16"):
        predictor_for(generator, runtime="tensorflow", precision="bfloat16")
    output = predictor_for(generator, runtime="openvino", precision="bfloat16")(image)
    expected = generator(image, training=False).numpy()
    assert output.shape == expected.shape
    assert np.abs(output - expected).max() < 8.0  # bf16 keeps 8 bits of mantissa
