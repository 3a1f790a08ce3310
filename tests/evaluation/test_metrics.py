"""PSNR / SSIM on the Y channel: agreement with scikit-image and the protocol's details."""

import numpy as np
import pytest
import tensorflow as tf

from super_resolution_gans.evaluation.metrics import psnr_y, rgb_to_y, ssim_y

skimage_metrics = pytest.importorskip("skimage.metrics")


def _images(seed=0, shape=(2, 40, 48, 3)):
    """A smooth-ish ground truth in [0, 255] (integers) and a noisy float prediction."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 200, shape[2])[None, None, :, None]
    hr = np.clip(ramp + rng.normal(0, 20, shape), 0, 255).round().astype(np.float32)
    sr = (hr + rng.normal(0, 8, shape)).astype(np.float32)  # float, some values outside [0, 255]
    return hr, sr


def _reference_y(rgb):
    """MATLAB rgb2ycbcr luma in float64, [0, 255] scale."""
    rgb = np.asarray(rgb, np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def _reference(hr, sr, border):
    """scikit-image PSNR / SSIM on the cropped Y channel of the 8-bit-quantised prediction."""
    sr = np.clip(sr, 0, 255).round()
    crop = np.s_[border : -border or None, border : -border or None]
    psnr, ssim = [], []
    for true, pred in zip(hr, sr, strict=True):
        y_true, y_pred = _reference_y(true)[crop], _reference_y(pred)[crop]
        psnr.append(skimage_metrics.peak_signal_noise_ratio(y_true, y_pred, data_range=255))
        ssim.append(
            skimage_metrics.structural_similarity(
                y_true,
                y_pred,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
                data_range=255,
            )
        )
    return np.array(psnr), np.array(ssim)


def test_rgb_to_y_matches_bt601_formula():
    rgb = np.random.default_rng(1).uniform(0, 255, (2, 5, 6, 3)).astype(np.float32)
    y = rgb_to_y(rgb)
    assert y.shape == (2, 5, 6, 1)
    np.testing.assert_allclose(y.numpy()[..., 0], _reference_y(rgb), atol=1e-3)
    corners = rgb_to_y(np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)).numpy()
    np.testing.assert_allclose(corners[0, :, 0], [16.0, 235.0], atol=1e-4)


@pytest.mark.parametrize("border", [0, 4])
def test_psnr_and_ssim_match_scikit_image(border):
    hr, sr = _images()
    want_psnr, want_ssim = _reference(hr, sr, border)
    psnr, ssim = psnr_y(hr, sr, border=border), ssim_y(hr, sr, border=border)
    assert psnr.shape == (2,) and ssim.shape == (2,)
    np.testing.assert_allclose(psnr.numpy(), want_psnr, atol=1e-4)
    np.testing.assert_allclose(ssim.numpy(), want_ssim, atol=1e-4)


def test_prediction_is_clipped_and_rounded_to_8_bits():
    hr, _ = _images()
    hr[:, :8] = 0.0
    sr = hr + 0.4  # rounds back to hr
    sr[:, :8] = -30.0  # clips back to 0
    assert np.all(np.isinf(psnr_y(hr, sr).numpy()))
    np.testing.assert_allclose(ssim_y(hr, sr).numpy(), 1.0, atol=1e-6)


def test_identical_images_give_infinite_psnr_and_unit_ssim():
    hr, _ = _images()
    assert np.all(np.isposinf(psnr_y(hr, hr).numpy()))
    np.testing.assert_allclose(ssim_y(hr, hr).numpy(), 1.0, atol=1e-6)


def test_border_crop_ignores_differences_at_the_edges():
    hr, _ = _images()
    sr = hr.copy()
    sr[:, :4] = 255.0 - sr[:, :4]  # differ only in the top 4 rows
    assert np.all(np.isinf(psnr_y(hr, sr, border=4).numpy()))
    assert np.all(np.isfinite(psnr_y(hr, sr, border=3).numpy()))
    assert np.all(ssim_y(hr, sr, border=0).numpy() < 0.99)


def test_single_image_and_integer_input():
    hr, sr = _images()
    single = psnr_y(hr[0].astype(np.uint8), np.clip(sr[0], 0, 255).round().astype(np.uint8))
    assert single.shape == ()
    np.testing.assert_allclose(single.numpy(), psnr_y(hr, sr).numpy()[0], rtol=1e-5)
    assert ssim_y(hr[0], sr[0]).shape == ()


def test_graph_mode_with_dynamic_shapes():
    hr, sr = _images()
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)

    @tf.function(input_signature=[spec, spec])
    def both(y_true, y_pred):
        return psnr_y(y_true, y_pred), ssim_y(y_true, y_pred)

    psnr, ssim = both(hr, sr)
    np.testing.assert_allclose(psnr.numpy(), psnr_y(hr, sr).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ssim.numpy(), ssim_y(hr, sr).numpy(), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="too small"):
        both(hr[:, :12, :12], sr[:, :12, :12])


def test_invalid_inputs_raise_value_error():
    hr, sr = _images()
    with pytest.raises(ValueError, match=r"\(2, 40, 48, 3\).*\(2, 40, 40, 3\)"):
        psnr_y(hr, sr[:, :, :40])
    with pytest.raises(ValueError, match="border=20"):
        psnr_y(hr, sr, border=20)
    with pytest.raises(ValueError, match="border=15"):
        ssim_y(hr, sr, border=15)  # leaves 10 rows, less than the 11x11 window
    with pytest.raises(ValueError, match="border"):
        psnr_y(hr, sr, border=-1)
    with pytest.raises(ValueError, match="3 channels"):
        rgb_to_y(hr[..., :1])


def test_detail_ratio_is_one_for_the_original_and_low_for_blur():
    from super_resolution_gans.evaluation.metrics import detail_ratio

    rng = np.random.default_rng(1)
    hr = rng.uniform(0, 255, (2, 64, 64, 3)).round()
    np.testing.assert_allclose(detail_ratio(hr, hr).numpy(), 1.0, atol=1e-4)
    lr = tf.image.resize(hr, (16, 16), "bicubic", antialias=True)
    bicubic = tf.image.resize(lr, (64, 64), "bicubic")
    assert np.all(detail_ratio(hr, bicubic).numpy() < 0.1)
    sharper = hr + (hr - bicubic.numpy())  # amplified detail: more energy than the original
    assert np.all(detail_ratio(hr, np.clip(sharper, 0, 255)).numpy() > 1.0)
    with pytest.raises(ValueError, match="scale"):
        detail_ratio(hr, hr, scale=0)
