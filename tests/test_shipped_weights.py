"""The weights shipped in the package: they load safely and beat bicubic on a held-out photo."""

from __future__ import annotations

import numpy as np
import skimage.data
import tensorflow as tf

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
