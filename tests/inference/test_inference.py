"""Tests for super_resolution_gans.inference (memory, tiling, upscale): receptive radius,
seamless tiling, super_resolve.

The tiling tests run on the TensorFlow runtime: what they check (the tiler) does not depend on
the runtime, and it keeps them fast and identical on every machine.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import randomize_weights

from super_resolution_gans.inference import (
    FastPath,
    Stage,
    activation_bytes_per_pixel,
    choose_tile_size,
    memory,
    predictor_for,
    predictors,
    runtimes,
    super_resolve,
    tiling,
    upscale,
    upscale_rgb,
)
from super_resolution_gans.models import (
    build_generator,
    build_seed_generator,
    receptive_radius,
    wrap_signed_range,
)

RUNTIME = "tensorflow"
# Tiled vs whole: "equal" means float rounding only (measured: 0 to ~1e-4 on the 0-255 scale).
SEAMLESS = 1e-2


def paper_radius(num_blocks: int, upsampling_kernels_at: list[tuple[int, int]]) -> float:
    """LR context radius computed by hand from a layout: 9x9 stem conv (4 LR pixels), two 3x3
    convs per residual block (1 each), the 3x3 trunk conv (1), the upsampling convs given as
    (kernel, resolution factor), and the 9x9 output conv at 4x (4 / 4 = 1)."""
    radius = 4 + num_blocks * 2 * 1 + 1
    radius += sum((kernel - 1) / 2 / factor for kernel, factor in upsampling_kernels_at)
    return radius + 4 / 4


# SRResNet: both upsampling convs come before their pixel shuffle, at 1x and 2x.
SRRESNET_UPSAMPLING = [(3, 1), (3, 2)]
# The predecessor: UpSampling2D first, so its convs run at 2x and 4x.
SEED_UPSAMPLING = [(3, 2), (3, 4)]


def _test_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth structure plus noise, in [0, 255]: every tile sees different content."""
    rows, cols = np.mgrid[0:height, 0:width]
    wave = np.sin(rows / 5.0)[..., None] * np.cos(cols / 7.0)[..., None]
    base = 127.5 + 100.0 * wave * np.array([1.0, 0.7, -0.5])
    noise = np.random.default_rng(seed).normal(0.0, 20.0, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype("float32")


@pytest.fixture(scope="module")
def plain_generator():
    return randomize_weights(build_generator(num_blocks=2, filters=16), seed=1)


@pytest.fixture(scope="module")
def skip_generator():
    # randomize_weights also gives the zero-initialised output conv weights, so the network
    # branch matters, not only the bicubic skip.
    return randomize_weights(build_generator(num_blocks=2, filters=16, global_skip=True), seed=2)


@pytest.fixture(scope="module")
def seed_generator():
    return randomize_weights(wrap_signed_range(build_seed_generator(2)), seed=3)


@pytest.fixture(scope="module")
def image():
    return _test_image(70, 90)


@pytest.fixture(scope="module")
def plain_whole(plain_generator, image):
    return upscale_rgb(plain_generator, image, tile_size=0, runtime=RUNTIME)


@pytest.fixture
def count_predictions(monkeypatch):
    """Records `(part, batch shape of the first input)` of every prediction `upscale_rgb`
    makes; part is "whole", or "trunk" / "tail" for the two stages."""
    calls = []

    def recording(part, predict):
        def wrapped(*batches):
            calls.append((part, batches[0].shape))
            return predict(*batches)

        wrapped.runtime = predict.runtime
        return wrapped

    real_fast_path = upscale.fast_path

    def recorded(part, stage):
        return Stage(stage.model, stage.overlap, lambda: recording(part, stage.predict))

    def fast_path(model, **kwargs):
        path = real_fast_path(model, **kwargs)
        parts = ("trunk", "tail")
        stages = path.stages and tuple(
            recorded(part, stage) for part, stage in zip(parts, path.stages, strict=True)
        )
        return FastPath(recorded("whole", path.whole), stages)

    monkeypatch.setattr(upscale, "fast_path", fast_path)
    return calls


# ------------------------------------------------------------------------------------------
# Receptive radius


def test_receptive_radius_of_default_generator_matches_the_paper_layout():
    expected = paper_radius(16, SRRESNET_UPSAMPLING)
    assert expected == 39.5
    assert receptive_radius(build_generator()) == math.ceil(expected) == 40


def test_receptive_radius_of_seed_layout_matches_its_layout():
    expected = paper_radius(16, SEED_UPSAMPLING)
    assert expected == 38.75
    assert receptive_radius(build_seed_generator()) == math.ceil(expected) == 39
    assert receptive_radius(wrap_signed_range(build_seed_generator(2))) == math.ceil(
        paper_radius(2, SEED_UPSAMPLING)
    )


def test_receptive_radius_of_tiny_generators(plain_generator, skip_generator):
    expected = math.ceil(paper_radius(2, SRRESNET_UPSAMPLING))
    assert receptive_radius(plain_generator) == expected == 12
    # The bicubic skip (2 LR pixels) runs in parallel: it does not widen the radius.
    assert receptive_radius(skip_generator) == expected


# ------------------------------------------------------------------------------------------
# Tiling equals one pass over the whole image


def test_tiled_equals_whole_for_plain_generator(plain_generator, image, plain_whole):
    tiled = upscale_rgb(plain_generator, image, tile_size=16, runtime=RUNTIME)
    assert tiled.shape == plain_whole.shape == (280, 360, 3)
    assert np.abs(tiled - plain_whole).max() <= SEAMLESS


def test_tiled_equals_whole_for_global_skip_generator(skip_generator, image):
    whole = upscale_rgb(skip_generator, image, tile_size=0, runtime=RUNTIME)
    tiled = upscale_rgb(skip_generator, image, tile_size=16, runtime=RUNTIME)
    assert np.abs(tiled - whole).max() <= SEAMLESS


def test_tiled_equals_whole_for_seed_layout(seed_generator, count_predictions):
    # Smaller than 70x90: the seed's 256-channel convolutions at 4x are costly on a CPU.
    # Tiles of 4 with the default overlap (radius 11): windows of 26, the image's 24 rows in
    # one, its 30 columns in two.
    image = _test_image(24, 30, seed=4)
    whole = upscale_rgb(seed_generator, image, tile_size=0, runtime=RUNTIME)
    tiled = upscale_rgb(seed_generator, image, tile_size=4, runtime=RUNTIME)
    assert tiled.shape == (96, 120, 3)
    assert np.abs(tiled - whole).max() <= SEAMLESS
    # Not of build_generator's layout: tiled in one stage, the whole model on every tile.
    assert count_predictions[1:] == [("whole", (1, 24, 26, 3))] * 2


def test_tiles_without_overlap_show_seams(plain_generator, image, plain_whole):
    tiled = upscale_rgb(plain_generator, image, tile_size=16, tile_overlap=0, runtime=RUNTIME)
    assert np.abs(tiled - plain_whole).max() > 1.0


def test_batched_tiles_give_the_same_result(plain_generator, image, plain_whole, count_predictions):
    tiled = upscale_rgb(plain_generator, image, tile_size=16, tile_batch_size=4, runtime=RUNTIME)
    assert np.abs(tiled - plain_whole).max() <= SEAMLESS
    assert max(shape[0] for part, shape in count_predictions if part == "tail") == 4


def test_auto_tile_size_runs_small_images_whole(plain_generator, image, count_predictions):
    assert choose_tile_size(plain_generator, 70, 90, overlap=12) == 0
    upscale_rgb(plain_generator, image, runtime=RUNTIME)  # tile_size=None
    assert count_predictions == [("whole", (1, 70, 90, 3))]


def test_auto_tile_size_tiles_large_images_seamlessly(
    plain_generator, image, plain_whole, count_predictions, monkeypatch
):
    monkeypatch.setattr(memory, "AUTO_TILE_BUDGET_BYTES", 1024**2)
    assert choose_tile_size(plain_generator, 70, 90, overlap=12) > 0
    tiled = upscale_rgb(plain_generator, image, runtime=RUNTIME)  # tile_size=None
    assert len(count_predictions) > 1
    assert np.abs(tiled - plain_whole).max() <= SEAMLESS


# ------------------------------------------------------------------------------------------
# Two stages: the trunk on large tiles, the upsampling tail on small ones


def test_default_overlap_tiles_the_trunk_and_the_tail_separately(
    plain_generator, image, plain_whole, count_predictions
):
    tiled = upscale_rgb(plain_generator, image, tile_size=16, runtime=RUNTIME)
    assert np.abs(tiled - plain_whole).max() <= SEAMLESS
    assert {part for part, _ in count_predictions} == {"trunk", "tail"}
    trunk_shapes = {shape for part, shape in count_predictions if part == "trunk"}
    tail_shapes = {shape for part, shape in count_predictions if part == "tail"}
    assert len(trunk_shapes) == 1  # near-equal tiles: every trunk window has one shape
    assert len(tail_shapes) == 1  # and every tail window too
    [(_, trunk_height, trunk_width, _)] = trunk_shapes
    tail_radius = 3  # 3x3 conv at 1x (1), 3x3 at 2x (0.5), 5x5 output conv at 2x (1)
    for _, height, width, channels in tail_shapes:
        assert channels == 16  # the trunk's features
        assert height <= 16 + 2 * tail_radius and width <= 16 + 2 * tail_radius
        assert height < trunk_height and width < trunk_width


def test_an_explicit_overlap_tiles_the_whole_model(
    plain_generator, image, plain_whole, count_predictions
):
    tiled = upscale_rgb(plain_generator, image, tile_size=16, tile_overlap=12, runtime=RUNTIME)
    assert np.abs(tiled - plain_whole).max() <= SEAMLESS
    assert {part for part, _ in count_predictions} == {"whole"}


@pytest.mark.parametrize("fixture", ["plain_generator", "skip_generator"])
def test_two_stage_tiling_on_openvino_equals_the_whole_image(fixture, request):
    # The tail of a global-skip generator takes two inputs: the features and the LR image.
    generator = request.getfixturevalue(fixture)
    image = _test_image(30, 41, seed=6)
    whole = upscale_rgb(generator, image, tile_size=0, runtime=RUNTIME)
    tiled = upscale_rgb(generator, image, tile_size=12, runtime="openvino")
    assert np.abs(tiled - whole).max() <= SEAMLESS


@pytest.mark.parametrize(
    "piece, tile, overlap, bound",
    [
        ((0, 70), 16, 12, (0, 70)),  # a whole image axis
        ((0, 10), 4, 3, (0, 10)),
        ((20, 45), 8, 3, (17, 48)),  # a trunk tile's piece inside its context
        ((0, 5), 16, 2, (0, 5)),  # one piece, window clipped to the bound
        ((3, 100), 30, 40, (0, 100)),  # more context than tile
    ],
)
def test_tile_spans_partition_the_piece_into_equal_windows_with_enough_context(
    piece, tile, overlap, bound
):
    spans = tiling.tile_spans(piece, tile, overlap, bound)
    assert len(spans) <= math.ceil((piece[1] - piece[0]) / tile)  # no more than tiles of `tile`
    pieces = [span for span, _ in spans]
    assert pieces[0][0] == piece[0] and pieces[-1][1] == piece[1]
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(stop > start for start, stop in pieces)
    [length] = {stop - start for _, (start, stop) in spans}  # one window length
    assert length <= tile + 2 * overlap
    for (start, stop), (window_start, window_stop) in spans:
        assert bound[0] <= window_start <= max(start - overlap, bound[0])
        assert min(stop + overlap, bound[1]) <= window_stop <= bound[1]


def test_activation_estimate_follows_the_widest_convolution_and_the_runtime():
    generator = build_generator()  # widest: 256 channels at 2x, 1024 floats per LR pixel
    assert activation_bytes_per_pixel(generator) == 4 * (4 * 1024 + 256)
    assert activation_bytes_per_pixel(generator, "openvino") == 4 * (1.25 * 1024 + 256)
    trunk = keras.Model(generator.input, generator.get_layer("trunk_add").output)
    assert activation_bytes_per_pixel(trunk) == 4 * (4 * 64 + 256)
    # The predecessor's layout: a 256-channel convolution at 4x, 4096 floats per LR pixel.
    assert activation_bytes_per_pixel(build_seed_generator(1)) == 4 * (4 * 4096 + 256)
    # OpenVINO reuses its buffers: the paper's network runs a 256x256 image in one pass.
    assert choose_tile_size(generator, 256, 256, 40, "openvino") == 0
    assert choose_tile_size(generator, 256, 256, 40, "tensorflow") > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tile_size": -1}, "tile_size must be None, 0 or a positive integer, got -1"),
        ({"tile_size": 16.0}, "tile_size must be None, 0 or a positive integer, got 16.0"),
        ({"tile_overlap": -2}, "tile_overlap must be >= 0, got -2"),
        ({"tile_batch_size": 0}, "tile_batch_size must be >= 1, got 0"),
    ],
)
def test_upscale_rgb_rejects_invalid_tiling(plain_generator, kwargs, message):
    with pytest.raises(ValueError, match=message):
        upscale_rgb(plain_generator, np.zeros((8, 8, 3), "float32"), runtime=RUNTIME, **kwargs)


@pytest.mark.parametrize("shape", [(8, 8, 4), (0, 20, 3), (8,)])
def test_upscale_rgb_rejects_non_rgb_or_empty_input(plain_generator, shape):
    message = rf"rgb must have shape HxWx3 with H, W > 0, got \({shape[0]},"
    with pytest.raises(ValueError, match=message):
        upscale_rgb(plain_generator, np.zeros(shape, "float32"), tile_size=8, runtime=RUNTIME)


def test_auto_runtime_falls_back_to_tensorflow_when_openvino_fails(monkeypatch):
    def unconvertible(*args):
        raise RuntimeError("No conversion rule found for operations: SomeOp")

    def resolve(runtime):  # as on a CPU-only machine with OpenVINO installed
        return "openvino" if runtime == "auto" else runtime

    monkeypatch.setattr(runtimes, "resolve_runtime", resolve)
    monkeypatch.setattr(predictors, "OpenVINOPredictor", unconvertible)
    generator = build_generator(num_blocks=1, filters=8, global_skip=True)  # fresh: no cache
    image = _test_image(12, 10, seed=5)
    result = upscale_rgb(generator, image, tile_size=0)  # runtime="auto"
    expected = upscale_rgb(generator, image, tile_size=0, runtime=RUNTIME)
    assert np.abs(result - expected).max() <= SEAMLESS
    with pytest.raises(RuntimeError, match="SomeOp"):
        predictor_for(generator, runtime="openvino")  # asked for explicitly: no fallback


def test_tiles_are_sized_for_the_runtime_that_runs_the_model(monkeypatch):
    # OpenVINO cannot run this model: tiles are sized for TensorFlow, which does, not for the
    # OpenVINO that "auto" stands for, whose buffers take a third of the memory.
    def unconvertible(*args):
        raise RuntimeError("No conversion rule found for operations: SomeOp")

    monkeypatch.setattr(runtimes, "resolve_runtime",
                        lambda runtime: "openvino" if runtime == "auto" else runtime)
    monkeypatch.setattr(predictors, "OpenVINOPredictor", unconvertible)
    sized_for = []
    real_choose = memory.choose_tile_size

    def choose(model, height, width, overlap, runtime):
        sized_for.append(runtime)
        return real_choose(model, height, width, overlap, runtime)

    monkeypatch.setattr(memory, "choose_tile_size", choose)
    seed = wrap_signed_range(build_seed_generator(1))  # one stage: not build_generator's layout
    upscale_rgb(seed, _test_image(12, 10, seed=7))  # runtime="auto"
    assert sized_for == ["tensorflow"]


def test_openvino_runs_a_global_skip_generator_like_tensorflow(skip_generator):
    # The bicubic skip is built from convolutions precisely so that OpenVINO can convert it.
    image = _test_image(12, 10, seed=5)
    expected = upscale_rgb(skip_generator, image, tile_size=0, runtime=RUNTIME)
    result = upscale_rgb(skip_generator, image, tile_size=0, runtime="openvino")
    assert np.abs(result - expected).max() <= SEAMLESS


# ------------------------------------------------------------------------------------------
# The compiled prediction function


def test_prediction_function_does_not_retrace_for_new_sizes():
    predict = predictor_for(build_generator(num_blocks=1, filters=8), runtime=RUNTIME)
    assert predict(np.zeros((1, 5, 7, 3), "float32")).shape == (1, 20, 28, 3)
    assert predict(np.zeros((2, 11, 6, 3), "float32")).shape == (2, 44, 24, 3)
    functions = [f for f in vars(predict).values() if hasattr(f, "experimental_get_tracing_count")]
    assert functions, "the TensorFlow predictor should hold a tf.function"
    assert [f.experimental_get_tracing_count() for f in functions] == [1]


def test_prediction_function_is_cached_per_model(plain_generator):
    assert predictor_for(plain_generator, runtime=RUNTIME) is predictor_for(
        plain_generator, runtime=RUNTIME
    )


# ------------------------------------------------------------------------------------------
# super_resolve keeps the kind of image


def test_super_resolve_keeps_rgba_with_upsampled_alpha(plain_generator):
    rng = np.random.default_rng(6)
    rgba = rng.integers(0, 256, (10, 12, 4), dtype=np.uint8)
    rgba[..., 3] = np.linspace(0, 255, 12, dtype=np.uint8)[None, :]  # a horizontal ramp
    lr, sr = super_resolve(rgba, plain_generator, runtime=RUNTIME)
    np.testing.assert_array_equal(lr, rgba)
    assert sr.shape == (40, 48, 4) and sr.dtype == np.uint8
    expected_alpha = tf.image.resize(
        rgba[None, ..., 3:].astype("float32"), (40, 48), method="bicubic"
    ).numpy()[0, ..., 0]
    expected_alpha = np.clip(np.rint(expected_alpha), 0, 255)
    assert np.abs(sr[..., 3].astype(int) - expected_alpha).max() <= 1
    np.testing.assert_array_equal(
        sr[..., :3],
        super_resolve(rgba[..., :3].copy(), plain_generator, runtime=RUNTIME)[1],
    )


def test_super_resolve_keeps_grayscale(plain_generator):
    gray = np.random.default_rng(7).integers(0, 256, (9, 11), dtype=np.uint8)
    lr, sr = super_resolve(gray, plain_generator, runtime=RUNTIME)
    np.testing.assert_array_equal(lr, gray)
    assert sr.shape == (36, 44) and sr.dtype == np.uint8


def test_super_resolve_keeps_16_bit_samples(plain_generator):
    rgb16 = np.random.default_rng(8).integers(0, 65536, (8, 10, 3), dtype=np.uint16)
    lr, sr = super_resolve(rgb16, plain_generator, runtime=RUNTIME)
    np.testing.assert_array_equal(lr, rgb16)
    assert sr.shape == (32, 40, 3) and sr.dtype == np.uint16
    # Not just 8-bit values scaled by 257: the output keeps the precision of the float output.
    assert np.any(sr % 257 != 0)


def test_super_resolve_matches_upscale_rgb_on_rgb(plain_generator):
    rgb = np.random.default_rng(9).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    _, sr = super_resolve(rgb, plain_generator, tile_size=0, runtime=RUNTIME)
    expected = upscale_rgb(plain_generator, rgb.astype("float32"), tile_size=0, runtime=RUNTIME)
    np.testing.assert_array_equal(sr, np.clip(np.rint(expected), 0, 255).astype(np.uint8))
