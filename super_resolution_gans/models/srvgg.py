"""SRVGGNetCompact, Real-ESRGAN's compact network (`realesr-general-x4v3`,
`realesr-animevideov3`), as a registered model whose config is its architecture.

Layout (Real-ESRGAN's `realesrgan/archs/srvgg_arch.py`, whose layer names it keeps): a 3x3
conv and activation (`body_0`, `body_1`), `num_conv` pairs of 3x3 conv and activation, a 3x3
conv to `3 * scale**2` channels, a pixel shuffle, plus the nearest-neighbour upsampling of the
input. Every convolution runs at LR resolution, so the network is fast and its receptive radius
is small (`num_conv + 2` pixels): tiles are exact.

Pixel contract: float RGB in [0, 255] in and out, any height and width.
"""

from __future__ import annotations

from typing import Any

import keras

from ..validation import check_int
from .layers import PACKAGE, PixelShuffle
from .network import SuperResolutionNetwork

__all__ = ["SRVGGNetCompact"]

ACTIVATIONS = ("prelu", "leakyrelu", "relu")


@keras.saving.register_keras_serializable(package=PACKAGE)
class SRVGGNetCompact(SuperResolutionNetwork):
    """Real-ESRGAN's compact VGG-style network (see the module docstring for the layout).

    Args:
        scale: upscaling factor (2 or more).
        num_feat: feature maps of every convolution (64 in the published models).
        num_conv: convolutions between the first and the last (32 for realesr-general-x4v3,
            16 for realesr-animevideov3).
        act_type: "prelu" (one slope per channel, as published), "leakyrelu" (slope 0.1) or
            "relu".
        dtype: the dtype policy of its layers; the output is float32 whatever the policy.
        **kwargs: `keras.Model` arguments (`name`, `trainable`).

    Example:
    >>> import numpy as np
    >>> net = SRVGGNetCompact(num_feat=8, num_conv=2)
    >>> net(np.zeros((1, 5, 7, 3), "float32")).shape, net.receptive_radius
    (TensorShape([1, 20, 28, 3]), 4)
    """

    CONFIG_KEYS = ("scale", "num_feat", "num_conv", "act_type")

    def __init__(
        self,
        scale: int = 4,
        num_feat: int = 64,
        num_conv: int = 16,
        act_type: str = "prelu",
        *,
        dtype: Any = None,
        **kwargs: Any,
    ):
        check_int("scale", scale, minimum=2)
        check_int("num_feat", num_feat, minimum=1)
        check_int("num_conv", num_conv, minimum=0)
        if act_type not in ACTIVATIONS:
            raise ValueError(f"act_type must be one of {ACTIVATIONS}, got {act_type!r}")
        policy = self.dtype_policy_for(dtype)

        def activation(x, name: str):
            if act_type == "prelu":
                return keras.layers.PReLU(shared_axes=[1, 2], name=name, dtype=policy)(x)
            if act_type == "leakyrelu":
                return keras.layers.LeakyReLU(negative_slope=0.1, name=name, dtype=policy)(x)
            return keras.layers.ReLU(name=name, dtype=policy)(x)

        def conv(x, filters: int, index: int):
            return keras.layers.Conv2D(
                filters, 3, padding="same", name=f"body_{index}", dtype=policy)(x)

        inputs = keras.Input((None, None, 3), name="lr_image")
        image = keras.layers.Rescaling(1.0 / 255.0, name="to_unit_range", dtype=policy)(inputs)
        x = activation(conv(image, num_feat, 0), "body_1")
        for pair in range(1, num_conv + 1):
            x = activation(conv(x, num_feat, 2 * pair), f"body_{2 * pair + 1}")
        x = conv(x, 3 * scale**2, 2 * num_conv + 2)
        x = PixelShuffle(scale, name="pixel_shuffle", dtype=policy)(x)
        base = keras.layers.UpSampling2D(scale, interpolation="nearest", name="nearest_upsample",
                                         dtype=policy)(image)
        x = keras.layers.Add(name="add_base", dtype=policy)([x, base])
        outputs = keras.layers.Rescaling(255.0, name="to_pixels", dtype="float32")(x)
        kwargs.setdefault("name", "srvggnet_compact")
        super().__init__(inputs, outputs, **kwargs)
        self._keep_config(policy, scale=scale, num_feat=num_feat, num_conv=num_conv,
                          act_type=act_type)

    @property
    def receptive_radius(self) -> int:
        """`num_conv + 2`: one LR pixel per 3x3 convolution; nearest upsampling adds none."""
        return self.num_conv + 2
