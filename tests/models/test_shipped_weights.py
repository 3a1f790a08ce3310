"""The weights shipped in the package: they load safely and beat bicubic on a held-out photo."""

from __future__ import annotations

import io

import numpy as np
import skimage.data
import tensorflow as tf
from PIL import Image

from super_resolution_gans import bicubic_downscale, psnr_y, srgan_utils


def test_shipped_default_beats_bicubic_on_a_held_out_photo():
    hr = skimage.data.coffee()[100:292, 200:392].astype(np.float32)  # 192x192, not trained on
    lr = bicubic_downscale(tf.constant(hr[None]), 4).numpy()[0].astype(np.uint8)
    _lr, sr = srgan_utils.SRGAN_predict(lr)  # no model_path: the shipped weights, offline
    assert sr.shape == (192, 192, 3) and sr.dtype == np.uint8
    bicubic = np.clip(np.round(tf.image.resize(lr[None].astype(np.float32), (192, 192),
                                               "bicubic")), 0, 255)
    gain = float(psnr_y(hr[None], sr[None].astype(np.float32), border=4)[0]) - float(
        psnr_y(hr[None], bicubic, border=4)[0])
    assert gain > 0.5, gain


def jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


def test_shipped_realsr_beats_srresnet_on_a_jpeg_60_photo():
    hr = skimage.data.astronaut()[64:320, 128:384].astype(np.float32)  # 256x256, not trained on
    clean = bicubic_downscale(tf.constant(hr[None]), 4).numpy()[0].astype(np.uint8)
    lr = jpeg_round_trip(clean, 60)
    scores = {}
    for name in ("srresnet_x4", "realsr_x4"):  # selectable by registered name
        _lr, sr = srgan_utils.SRGAN_predict(lr, name)
        assert sr.shape == (256, 256, 3) and sr.dtype == np.uint8
        scores[name] = float(psnr_y(hr[None], sr[None].astype(np.float32), border=4)[0])
    assert scores["realsr_x4"] - scores["srresnet_x4"] > 0.2, scores


def test_realsr_is_selectable_by_name_on_the_command_line(tmp_path, capsys):
    from super_resolution_gans.cli.infer import main

    source = tmp_path / "in.jpg"
    Image.fromarray(skimage.data.coffee()[:40, :48]).save(source, quality=60)
    output = tmp_path / "out.png"
    code = main(["--inputPath", str(source), "--outputPath", str(output),
                 "--modelPath", "realsr_x4", "--quiet"])
    assert code == 0, capsys.readouterr().err
    _lr, expected = srgan_utils.SRGAN_predict(str(source), "realsr_x4")
    with Image.open(output) as written:
        np.testing.assert_array_equal(np.asarray(written), expected)
