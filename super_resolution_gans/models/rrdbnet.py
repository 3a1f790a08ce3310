"""RRDBNet, the generator of ESRGAN (Wang et al., ECCV-W 2018) and Real-ESRGAN (Wang et al.,
ICCV-W 2021), as a registered model whose config is its architecture.

Layout (BasicSR's `RRDBNet`, whose layer names it keeps with `.` as `_`): a 3x3 conv
(`conv_first`); `num_block` residual-in-residual dense blocks, each three dense blocks of five
3x3 convs with `num_grow_ch` growth channels and LeakyReLU(0.2), every residual scaled by 0.2;
a 3x3 conv (`conv_body`) plus the long skip; then per factor 2 of the output, nearest x2
upsampling, a 3x3 conv and LeakyReLU(0.2); a 3x3 conv with LeakyReLU (`conv_hr`) and a 3x3
conv to RGB (`conv_last`). No output activation. For scale 2 and 1 the input is reflect-padded
to a multiple of 2 or 4 and pixel-unshuffled first (as the published x2 weights need), and the
output is cropped back.

Pixel contract: float RGB in [0, 255] in and out (the networks were trained on [0, 1]; the
scaling is in the graph), any height and width.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from ..validation import check_int
from .layers import (
    PACKAGE,
    CropToScale,
    PadToMultiple,
    PixelUnshuffle,
    ResizeByFactor,
    ScaledResidual,
)
from .network import SuperResolutionNetwork, TrunkSplit, receptive_radius

__all__ = ["RRDBNet"]

RRDB_SCALES = (1, 2, 4, 8)

EFFECTIVE_RADIUS = 78
"""Default tile overlap of RRDBNet in trunk pixels (plus the tail's 2 LR pixels: 80 for x4): the
measured effective receptive field of the RealESRGAN_x4plus weights. With 80 LR pixels of
overlap, tiled outputs stayed within one grey level of the whole-image output on four
scikit-image photos (0.1 to 1.2% of pixels off by one); with 72, two levels on one photo; with
Real-ESRGAN's own tile_pad of 10, up to 70 (BENCHMARKS.md, `benchmarks/rrdb_tile_overlap.py`)."""


@keras.saving.register_keras_serializable(package=PACKAGE)
class RRDBNet(SuperResolutionNetwork):
    """ESRGAN's and Real-ESRGAN's generator (see the module docstring for the layout).

    Args:
        scale: upscaling factor: 4 or 8 (upsampling steps), 2 or 1 (pixel-unshuffle in front,
            then the x4 body).
        num_feat: feature maps of the trunk (64 in every published model).
        num_block: residual-in-residual dense blocks (23; 6 for the anime model).
        num_grow_ch: growth channels of the dense blocks (32).
        dtype: the dtype policy of its layers (default: the global policy); the output is
            float32 whatever the policy.
        **kwargs: `keras.Model` arguments (`name`, `trainable`).

    It maps `(batch, h, w, 3)` in [0, 255] to `(batch, h*scale, w*scale, 3)`. With the defaults
    (RealESRGAN_x4plus) it has 16,697,987 parameters.

    Example:
    >>> import numpy as np
    >>> net = RRDBNet(num_feat=8, num_block=1, num_grow_ch=4)
    >>> net(np.zeros((1, 6, 5, 3), "float32")).shape
    TensorShape([1, 24, 20, 3])
    >>> RRDBNet(scale=2, num_feat=8, num_block=1, num_grow_ch=4)(np.zeros((1, 5, 3, 3))).shape
    TensorShape([1, 10, 6, 3])
    """

    CONFIG_KEYS = ("scale", "num_feat", "num_block", "num_grow_ch")

    def __init__(
        self,
        scale: int = 4,
        num_feat: int = 64,
        num_block: int = 23,
        num_grow_ch: int = 32,
        *,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if scale not in RRDB_SCALES:
            raise ValueError(f"scale must be one of {RRDB_SCALES}, got {scale!r}")
        check_int("num_feat", num_feat, minimum=1)
        check_int("num_block", num_block, minimum=1)
        check_int("num_grow_ch", num_grow_ch, minimum=1)
        policy = self.dtype_policy_for(dtype)
        unshuffle = {1: 4, 2: 2}.get(scale, 1)

        def conv(x, filters: int, name: str):
            return keras.layers.Conv2D(filters, 3, padding="same", name=name, dtype=policy)(x)

        def lrelu(x, name: str):
            return keras.layers.LeakyReLU(negative_slope=0.2, name=name, dtype=policy)(x)

        def scaled_add(residual, skip, name: str):
            return ScaledResidual(0.2, name=name, dtype=policy)([residual, skip])

        inputs = keras.Input((None, None, 3), name="lr_image")
        x = keras.layers.Rescaling(1.0 / 255.0, name="to_unit_range", dtype=policy)(inputs)
        if unshuffle > 1:
            x = PadToMultiple(unshuffle, name="pad_to_multiple", dtype=policy)(x)
            x = PixelUnshuffle(unshuffle, name="pixel_unshuffle", dtype=policy)(x)
        feat = conv(x, num_feat, "conv_first")
        x = feat
        for block in range(num_block):
            rrdb_input = x
            for dense in range(1, 4):
                prefix = f"body_{block}_rdb{dense}"
                dense_input = x
                features = [x]
                for index in range(1, 5):
                    joined = features[0] if index == 1 else keras.layers.Concatenate(
                        name=f"{prefix}_cat{index}", dtype=policy)(features)
                    features.append(lrelu(conv(joined, num_grow_ch, f"{prefix}_conv{index}"),
                                          f"{prefix}_lrelu{index}"))
                joined = keras.layers.Concatenate(name=f"{prefix}_cat5", dtype=policy)(features)
                x = scaled_add(conv(joined, num_feat, f"{prefix}_conv5"), dense_input,
                               f"{prefix}_add")
            x = scaled_add(x, rrdb_input, f"body_{block}_add")
        x = keras.layers.Add(name="trunk_add", dtype=policy)([feat, conv(x, num_feat, "conv_body")])
        for step in range(1, int(math.log2(max(scale, 4))) + 1):
            # ResizeByFactor keeps the channel count static, so TFLite runs the conv after it.
            x = ResizeByFactor(2, "nearest", name=f"upsample{step}", dtype=policy)(x)
            x = lrelu(conv(x, num_feat, f"conv_up{step}"), f"conv_up{step}_lrelu")
        x = conv(lrelu(conv(x, num_feat, "conv_hr"), "conv_hr_lrelu"), 3, "conv_last")
        if unshuffle > 1:
            x = CropToScale(scale, name="crop_to_input", dtype=policy)([x, inputs])
        outputs = keras.layers.Rescaling(255.0, name="to_pixels", dtype="float32")(x)
        kwargs.setdefault("name", "rrdbnet")
        super().__init__(inputs, outputs, **kwargs)
        self._keep_config(policy, scale=scale, num_feat=num_feat, num_block=num_block,
                          num_grow_ch=num_grow_ch, unshuffle=unshuffle)

    @property
    def receptive_radius(self) -> int:
        """The theoretical radius: every 3x3 conv of the trunk adds one trunk pixel (the
        unshuffle factor in LR pixels), the tail about 1.25 LR pixels. 349 for x4 with 23
        blocks, almost all of it too faint to move an output pixel (see `tile_overlap`)."""
        trunk_convs = 2 + 15 * self.num_block
        tail = sum(0.5**step for step in range(1, int(math.log2(max(self.scale, 4))) + 1))
        return math.ceil(trunk_convs * self.unshuffle + tail + 0.25 + 0.25 - 1e-9)

    @property
    def tile_overlap(self) -> int:
        """The default tile overlap in LR pixels: `EFFECTIVE_RADIUS` trunk pixels (the measured
        effective receptive field) plus the tail's radius, or the receptive radius when that is
        smaller (few blocks)."""
        return min(self.receptive_radius, EFFECTIVE_RADIUS * self.unshuffle + 2)

    def trunk_split(self) -> TrunkSplit | None:
        """Trunk (through `trunk_add`, at LR resolution) and upsampling tail, for x4 and x8; None
        for x2 and x1, whose trunk runs at a fraction of the LR resolution."""
        if self.unshuffle > 1:
            return None
        features = self.get_layer("trunk_add").output
        trunk = keras.Model(self.input, features, name=f"{self.name}_trunk")
        tail = keras.Model(features, self.output, name=f"{self.name}_tail")
        tail_overlap = receptive_radius(tail)
        return TrunkSplit(trunk, tail, self.tile_overlap - tail_overlap, tail_overlap)
