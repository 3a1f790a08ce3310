"""Real-world degradations: reproducible for a seed, ranges respected, shapes, fixed steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from super_resolution_gans.data import bicubic_downscale
from super_resolution_gans.data.degradation import (
    DEGRADATION_PRESETS,
    Degradation,
    DegradationOrder,
    get_degradation,
)
from super_resolution_gans.data.degradation_ops import degrade, gaussian_kernel, jpeg_compress
from super_resolution_gans.data.fixed_degradation import (
    apply_fixed_degradation,
    parse_fixed_degradation,
)

# Every step off: what is left is the final resize to the LR size.
OFF = DegradationOrder(
    blur_probability=0.0,
    resize_probabilities=(0.0, 0.0, 1.0),
    noise_probability=0.0,
    jpeg_probability=0.0,
)


def _hr(seed=0, size=48):
    rng = np.random.default_rng(seed)
    ramp = np.add.outer(np.linspace(0, 150, size), np.linspace(0, 90, size))[..., None]
    noisy = ramp + rng.uniform(0, 100, (size, size, 3))
    return tf.constant(np.round(np.clip(noisy, 0, 255)), tf.float32)


def _only(**changes) -> Degradation:
    order = DegradationOrder(**{**OFF.__dict__, **changes})
    return Degradation(first=order, second=None, interpolations=("bicubic",))


def _run(degradation, seed=(0, 1), hr=None, scale=4):
    return degrade(_hr() if hr is None else hr, scale, degradation, tf.constant(seed)).numpy()


@pytest.mark.parametrize("preset", sorted(DEGRADATION_PRESETS))
def test_presets_give_8_bit_lr_images_of_the_lr_size(preset):
    degradation = get_degradation(preset)
    for seed in range(6):
        lr = _run(degradation, seed=(3, seed))
        assert lr.shape == (12, 12, 3) and lr.dtype == np.float32
        assert lr.min() >= 0 and lr.max() <= 255
        np.testing.assert_array_equal(lr, np.round(lr))


def test_the_same_seed_gives_the_same_image_and_other_seeds_others():
    degradation = DEGRADATION_PRESETS["realesrgan"]
    first = _run(degradation, seed=(5, 9))
    np.testing.assert_array_equal(first, _run(degradation, seed=(5, 9)))
    others = [_run(degradation, seed=(5, s)) for s in range(10, 14)]
    assert all(np.abs(other - first).mean() > 0.5 for other in others)


def test_with_every_step_off_the_lr_image_is_the_clean_bicubic_downscale():
    clean = bicubic_downscale(_hr()[None], 4)[0].numpy()
    np.testing.assert_array_equal(_run(_only()), clean)
    always_clean = Degradation(clean_probability=1.0)
    np.testing.assert_array_equal(_run(always_clean), clean)


def test_the_web_preset_only_adds_noise_and_jpeg_to_the_clean_downscale():
    web = DEGRADATION_PRESETS["web"]
    clean = bicubic_downscale(_hr()[None], 4)[0].numpy()
    # No blur and no resizing: with its noise and JPEG off, every draw is the clean downscale.
    quiet = dataclasses.replace(
        web, first=dataclasses.replace(web.first, noise_probability=0.0, jpeg_probability=0.0)
    )
    for seed in range(8):
        np.testing.assert_array_equal(_run(quiet, seed=(7, seed)), clean)
    # Clean pairs (30%) plus pairs drawn without noise or JPEG (0.7 x 0.5 x 0.15 = 5%).
    untouched = [np.array_equal(_run(web, seed=(8, seed)), clean) for seed in range(200)]
    assert 0.22 <= np.mean(untouched) <= 0.50


def test_jpeg_quality_is_drawn_from_its_range():
    clean = bicubic_downscale(_hr()[None], 4)[0]
    lr = _run(_only(jpeg_probability=1.0, jpeg_quality=(40, 40)))
    np.testing.assert_array_equal(lr, jpeg_compress(clean, 40).numpy())
    assert not np.array_equal(lr, jpeg_compress(clean, 90).numpy())


def test_gaussian_noise_has_the_sigma_of_its_range():
    flat = tf.fill((96, 96, 3), 128.0)
    noisy = _run(
        _only(noise_probability=1.0, gaussian_noise_probability=1.0, noise_sigma=(8.0, 8.0),
              gray_noise_probability=0.0),
        hr=flat,
    )
    assert np.std(noisy - 128.0) == pytest.approx(8.0, rel=0.15)
    # Colour noise differs between channels; gray noise is the same in all three.
    assert np.abs(noisy[..., 0] - noisy[..., 1]).mean() > 1
    gray = _run(
        _only(noise_probability=1.0, gaussian_noise_probability=1.0, noise_sigma=(8.0, 8.0),
              gray_noise_probability=1.0),
        hr=flat,
    )
    np.testing.assert_array_equal(gray[..., 0], gray[..., 1])


def test_poisson_noise_grows_with_brightness():
    dark, bright = tf.fill((96, 96, 3), 16.0), tf.fill((96, 96, 3), 196.0)
    poisson = _only(noise_probability=1.0, gaussian_noise_probability=0.0,
                    poisson_scale=(1.0, 1.0), gray_noise_probability=0.0)
    dark_std = np.std(_run(poisson, hr=dark) - 16.0)
    bright_std = np.std(_run(poisson, hr=bright) - 196.0)
    assert dark_std == pytest.approx(4.0, rel=0.2)  # sqrt(16)
    assert bright_std == pytest.approx(14.0, rel=0.2)  # sqrt(196)


def test_blur_smooths_and_kernels_are_normalised():
    kernel = gaussian_kernel(21, 3.0, 1.0, 0.7).numpy()
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(kernel, kernel.T)  # anisotropic and rotated
    sharp = _run(_only())
    blurred = _run(_only(blur_probability=1.0, blur_sigma=(3.0, 3.0)))
    assert np.abs(np.diff(blurred, axis=1)).mean() < 0.8 * np.abs(np.diff(sharp, axis=1)).mean()


def test_a_second_order_changes_the_image_only_when_it_is_drawn():
    second = DegradationOrder(**{**OFF.__dict__, "jpeg_probability": 1.0, "jpeg_quality": (20, 20)})
    never = Degradation(first=OFF, second=second, second_order_probability=0.0,
                        interpolations=("bicubic",))
    always = Degradation(first=OFF, second=second, second_order_probability=1.0,
                         interpolations=("bicubic",))
    clean = bicubic_downscale(_hr()[None], 4)[0]
    np.testing.assert_array_equal(_run(never), clean.numpy())
    np.testing.assert_array_equal(_run(always), jpeg_compress(clean, 20).numpy())


def test_invalid_ranges_are_refused_with_the_field_name():
    with pytest.raises(ValueError, match="jpeg_quality"):
        DegradationOrder(jpeg_quality=(50, 120))
    with pytest.raises(ValueError, match="resize_probabilities"):
        DegradationOrder(resize_probabilities=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="blur_probability"):
        DegradationOrder(blur_probability=1.5)
    with pytest.raises(ValueError, match="noise_sigma"):
        DegradationOrder(noise_sigma=(10.0, 1.0))
    with pytest.raises(ValueError, match="interpolations"):
        Degradation(interpolations=("lanczos",))
    with pytest.raises(ValueError, match="blur_kernel_size"):
        Degradation(blur_kernel_size=20)
    with pytest.raises(ValueError, match="one of"):
        get_degradation("strong")


def test_to_dict_is_json_data():
    import json

    data = json.loads(json.dumps(DEGRADATION_PRESETS["photo"].to_dict()))
    assert data["clean_probability"] == 0.2
    assert data["second"]["jpeg_quality"] == [50, 95]


def test_fixed_degradation_specs_are_parsed_and_applied_in_order():
    assert parse_fixed_degradation("jpeg:60") == (("jpeg", 60.0),)
    steps = parse_fixed_degradation("noise:5, jpeg:75")
    lr = _hr(size=32)
    first = apply_fixed_degradation(lr, steps, seed=(0, 3)).numpy()
    np.testing.assert_array_equal(first, apply_fixed_degradation(lr, steps, seed=(0, 3)).numpy())
    assert not np.array_equal(first, apply_fixed_degradation(lr, steps, seed=(0, 4)).numpy())
    np.testing.assert_array_equal(
        apply_fixed_degradation(lr, parse_fixed_degradation("jpeg:60")).numpy(),
        jpeg_compress(lr, 60).numpy(),
    )


@pytest.mark.parametrize("spec", ["jpeg:0", "jpeg:75.5", "noise:-1", "blur:2", "jpeg", ""])
def test_bad_fixed_degradation_specs_name_the_part(spec):
    with pytest.raises(ValueError, match="is not noise:SIGMA"):
        parse_fixed_degradation(spec)
