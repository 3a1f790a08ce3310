"""The SRResNet generator (Ledig et al., CVPR 2017) as a registered model whose config is its
architecture.

Pixel contract: every generator built here takes float RGB in [0, 255] of any height and width
and returns float RGB in (about) [0, 255], `scale` times larger. The normalisation the paper uses
(LR in [0, 1], output in [-1, 1]) happens inside the graph with `Rescaling` layers.

`SRResNet` is a functional `keras.Model` subclass in the keras-hub manner: the constructor
stores every argument and `get_config()` returns them, so a saved `.keras` file records the
architecture, and loading, BatchNorm folding and two-stage tiling read it from the model
(`architecture`, `batchnorm_pairs`, `trunk_output`) rather than from layer names.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from ..validation import check_int
from .folding import folded_conv, subpixel_kernel
from .layers import PACKAGE, PixelShuffle, ResizeByFactor
from .network import SuperResolutionNetwork, TrunkSplit, receptive_radius

__all__ = [
    "ARCHITECTURE_KEYS",
    "SRResNet",
    "SUPPORTED_SCALES",
    "build_generator",
    "build_generator_with_policy",
]

SUPPORTED_SCALES = (2, 4, 8)
ARCHITECTURE_KEYS = ("scale", "num_blocks", "filters", "global_skip")
"""The arguments that decide a trained generator's weights (see `SRResNet.architecture`)."""


class _GraphBuilder:
    """Builds the SRResNet layer graph under one dtype policy, recording which BatchNorm
    follows which convolution."""

    def __init__(self, policy: keras.DTypePolicy, momentum: float | None):
        self.policy = policy
        self.momentum = momentum  # None: no BatchNorm layers (the inference layout)
        self.batchnorm_pairs: list[tuple[str, str]] = []

    def conv(self, x, filters: int, kernel_size: int, name: str, **options):
        layer = keras.layers.Conv2D(
            filters, kernel_size, padding="same", name=name, dtype=self.policy, **options
        )
        return layer(x)

    def prelu(self, x, name: str):
        """PReLU with one slope per channel, shared over height and width (any size)."""
        return keras.layers.PReLU(shared_axes=[1, 2], name=name, dtype=self.policy)(x)

    def add(self, inputs, name: str):
        return keras.layers.Add(name=name, dtype=self.policy)(inputs)

    def conv_bn(self, x, filters: int, kernel_size: int, name: str):
        """Conv2D `name`, then BatchNormalization named with "conv" -> "bn" (unless none)."""
        x = self.conv(x, filters, kernel_size, name)
        if self.momentum is None:
            return x
        bn_name = name.replace("conv", "bn")
        self.batchnorm_pairs.append((name, bn_name))
        layer = keras.layers.BatchNormalization(
            momentum=self.momentum, name=bn_name, dtype=self.policy
        )
        return layer(x)

    def residual_block(self, x, filters: int, index: int):
        """conv-BN-PReLU-conv-BN plus the identity skip (Ledig et al., Fig. 4)."""
        skip = x
        x = self.conv_bn(x, filters, 3, f"res{index}_conv1")
        x = self.prelu(x, f"res{index}_prelu")
        x = self.conv_bn(x, filters, 3, f"res{index}_conv2")
        return self.add([skip, x], f"res{index}_add")


def _upsample_and_output(builder: _GraphBuilder, x, scale: int, filters: int,
                         global_skip: bool, subpixel_output: bool):
    """The tail after the trunk: log2(scale) conv + shuffle + PReLU blocks, the output conv."""
    blocks = int(math.log2(scale))
    output_initializer = "zeros" if global_skip else "glorot_uniform"
    for index in range(1, blocks + 1):
        x = builder.conv(x, 4 * filters, 3, f"upsample{index}_conv")
        shuffle = PixelShuffle(2, name=f"upsample{index}_shuffle", dtype=builder.policy)
        if subpixel_output and index == blocks:
            # PReLU commutes with the shuffle; a 9x9 conv after a x2 shuffle reads at most 2
            # pre-shuffle pixels either side, and the shuffle then interleaves its 4 phases.
            x = builder.prelu(x, f"upsample{index}_prelu")
            x = builder.conv(x, 4 * 3, 5, "output_conv", kernel_initializer=output_initializer)
            x = shuffle(x)
        else:
            x = builder.prelu(shuffle(x), f"upsample{index}_prelu")
    if not subpixel_output:
        x = builder.conv(x, 3, 9, "output_conv", kernel_initializer=output_initializer)
    return x


@keras.saving.register_keras_serializable(package=PACKAGE)
class SRResNet(SuperResolutionNetwork):
    """The SRResNet generator of Ledig et al. (CVPR 2017); `build_generator` makes one.

    Layout: 9x9 conv + PReLU; `num_blocks` residual blocks (conv-BN-PReLU-conv-BN + skip);
    conv-BN + long skip; log2(scale) upsampling blocks (conv to 4*filters, pixel shuffle x2,
    PReLU); 9x9 conv to RGB, then tanh. With the defaults it has about 1.55M parameters.

    With `global_skip=True` the tanh is replaced by the addition of the bicubic upsampling of
    the input, and the last convolution starts at zero: the untrained network is exactly bicubic
    and training learns only the missing detail, which converges far faster on a CPU budget.

    Args:
        scale: upscaling factor, 2, 4 or 8.
        num_blocks: number of residual blocks (the paper uses 16).
        filters: feature maps in the residual trunk (the paper uses 64).
        global_skip: add the bicubic upsampling of the input to the output (not in the paper).
        batchnorm_momentum: moving-average momentum of the BatchNorm layers.
        batchnorm: False builds the same network without BatchNorm layers, the inference
            layout whose convolutions hold the folded BatchNorm (see `inference_copy`).
        subpixel_output: True (with `batchnorm=False`) builds the inference layout in which
            the 9x9 output conv runs before the last pixel shuffle as a 5x5 conv with 4 x 3
            outputs; `inference_copy` fills it with weights that compute the same function
            as the paper layout (faster on CPUs, see BENCHMARKS.md).
        dtype: the dtype policy of its layers (default: the global policy); the output is
            float32 whatever the policy.
        **kwargs: `keras.Model` arguments (`name`, `trainable`).

    It maps `(batch, h, w, 3)` in [0, 255] to `(batch, h*scale, w*scale, 3)`.

    Example:
    >>> generator = SRResNet(num_blocks=2, filters=16)
    >>> generator.architecture
    {'scale': 4, 'num_blocks': 2, 'filters': 16, 'global_skip': False}
    >>> SRResNet.from_config(generator.get_config()).count_params() == generator.count_params()
    True
    """

    CONFIG_KEYS = ("scale", "num_blocks", "filters", "global_skip", "batchnorm_momentum",
                   "batchnorm", "subpixel_output")
    TRUNK_OUTPUT = "trunk_add"
    """The layer whose output is the trunk's features (the two-stage tiling cuts there)."""

    def __init__(
        self,
        scale: int = 4,
        num_blocks: int = 16,
        filters: int = 64,
        *,
        global_skip: bool = False,
        batchnorm_momentum: float = 0.9,
        batchnorm: bool = True,
        subpixel_output: bool = False,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if scale not in SUPPORTED_SCALES:
            raise ValueError(f"scale must be one of {SUPPORTED_SCALES}, got {scale!r}")
        check_int("num_blocks", num_blocks, minimum=1)
        check_int("filters", filters, minimum=1)
        if subpixel_output and batchnorm:
            raise ValueError(
                "subpixel_output=True is an inference layout: it needs batchnorm=False"
            )
        policy = self.dtype_policy_for(dtype)
        builder = _GraphBuilder(policy, batchnorm_momentum if batchnorm else None)
        inputs = keras.Input((None, None, 3), name="lr_image")
        x = keras.layers.Rescaling(1.0 / 255.0, name="to_unit_range", dtype=policy)(inputs)
        x = builder.prelu(builder.conv(x, filters, 9, "stem_conv"), "stem_prelu")
        trunk_skip = x
        for index in range(1, num_blocks + 1):
            x = builder.residual_block(x, filters, index)
        x = builder.add([trunk_skip, builder.conv_bn(x, filters, 3, "trunk_conv")],
                        self.TRUNK_OUTPUT)
        x = _upsample_and_output(builder, x, scale, filters, global_skip, subpixel_output)
        if global_skip:
            lr_signed = keras.layers.Rescaling(
                1.0 / 127.5, offset=-1.0, name="to_signed_range", dtype=policy)(inputs)
            upsampled = ResizeByFactor(scale, "bicubic", name="bicubic_upsample",
                                       dtype=policy)(lr_signed)
            x = builder.add([upsampled, x], "global_skip_add")
        else:
            x = keras.layers.Activation("tanh", name="output_tanh", dtype=policy)(x)
        # float32 output even under a mixed-precision policy: losses and images stay exact.
        outputs = keras.layers.Rescaling(127.5, offset=127.5, name="to_pixels", dtype="float32")(x)
        kwargs.setdefault("name", "srresnet")
        super().__init__(inputs, outputs, **kwargs)
        self._keep_config(
            policy, scale=scale, num_blocks=num_blocks, filters=filters,
            global_skip=bool(global_skip), batchnorm_momentum=batchnorm_momentum,
            batchnorm=bool(batchnorm), subpixel_output=bool(subpixel_output),
            batchnorm_pairs=tuple(builder.batchnorm_pairs),
        )

    @property
    def architecture(self) -> dict[str, Any]:
        """The arguments that decide the weights' shapes and meaning (`ARCHITECTURE_KEYS`)."""
        return {key: getattr(self, key) for key in ARCHITECTURE_KEYS}

    @property
    def is_inference_layout(self) -> bool:
        """True for the folded layout `inference_copy` makes (no BatchNorm, subpixel)."""
        return not self.batchnorm and self.subpixel_output

    @property
    def last_prelu(self) -> str:
        """Name of the PReLU of the last upsampling block."""
        return f"upsample{int(math.log2(self.scale))}_prelu"

    def inference_copy(self) -> SRResNet:
        """The same function computed faster (equal up to float rounding), by two rewrites:

        - BatchNorm folded into the preceding convolution (`folding.folded_conv`): a conv
          followed by inference-mode BatchNorm is a conv with kernel `W * s` and bias
          `(b - mean) * s + beta`, `s = gamma / sqrt(var + eps)`.
        - The 9x9 output conv moved before the last x2 pixel shuffle (`subpixel_output`,
          `folding.subpixel_kernel`): one conv with 12 outputs at half resolution instead of 3
          at full resolution, which CPU kernels vectorise poorly.
        A copy made by this method is returned unchanged.

        Example:
        >>> generator = SRResNet(num_blocks=2, filters=16)
        >>> fast = generator.inference_copy()
        >>> any(isinstance(layer, keras.layers.BatchNormalization) for layer in fast.layers)
        False
        >>> image = np.random.default_rng(0).uniform(0, 255, (1, 9, 13, 3)).astype("float32")
        >>> bool(np.abs(fast(image) - generator(image, training=False)).max() < 0.01)
        True
        """
        if self.is_inference_layout:
            return self
        config = {**self.get_config(), "batchnorm": False, "subpixel_output": True}
        fast = SRResNet.from_config({**config, "name": f"{self.name}_inference"})
        batchnorms = dict(self.batchnorm_pairs)
        for layer in fast.layers:
            if not layer.weights:
                continue
            weights = [np.asarray(w, np.float64) for w in self.get_layer(layer.name).get_weights()]
            if layer.name == "output_conv":
                kernel, bias = weights
                weights = [subpixel_kernel(kernel), np.tile(bias, 4)]
            elif layer.name == self.last_prelu:
                weights = [np.tile(weights[0], (1, 1, 4))]  # channel (phase, c) has c's slope
            elif layer.name in batchnorms:
                weights = folded_conv(weights, self.get_layer(batchnorms[layer.name]))
            layer.set_weights([w.astype(np.float32) for w in weights])
        return fast

    def trunk_split(self) -> TrunkSplit:
        """The trunk (through `trunk_add`, at LR resolution) and the upsampling tail, which
        also takes the LR image when the network has a global skip. Exact overlaps, from the
        layers of each part."""
        features = self.get_layer(self.TRUNK_OUTPUT).output
        tail_inputs = [features, self.input] if self.global_skip else features
        trunk = keras.Model(self.input, features, name=f"{self.name}_trunk")
        tail = keras.Model(tail_inputs, self.output, name=f"{self.name}_tail")
        return TrunkSplit(trunk, tail, receptive_radius(trunk), receptive_radius(tail))


def build_generator(
    scale: int = 4,
    num_blocks: int = 16,
    filters: int = 64,
    *,
    global_skip: bool = False,
    batchnorm_momentum: float = 0.9,
    batchnorm: bool = True,
    subpixel_output: bool = False,
    name: str = "srresnet",
) -> SRResNet:
    """Builds the SRResNet generator of Ledig et al. (CVPR 2017): an `SRResNet`, whose
    docstring describes the layout and every argument (the same as here; `name` is the Keras
    model's name).

    Returns:
        An `SRResNet` (a functional `keras.Model` whose config is these arguments) mapping
        `(batch, h, w, 3)` in [0, 255] to `(batch, h*scale, w*scale, 3)`.

    Example:
    >>> import numpy as np
    >>> generator = build_generator(num_blocks=2, filters=16)
    >>> generator(np.zeros((1, 12, 20, 3), "float32")).shape
    TensorShape([1, 48, 80, 3])
    """
    return SRResNet(
        scale,
        num_blocks,
        filters,
        global_skip=global_skip,
        batchnorm_momentum=batchnorm_momentum,
        batchnorm=batchnorm,
        subpixel_output=subpixel_output,
        name=name,
    )


def build_generator_with_policy(policy: str, **build_args) -> keras.Model:
    """`build_generator(**build_args)` under the dtype policy `policy` ("float32",
    "mixed_float16", ...), whatever the global policy is; the global policy is left as it was.

    Example:
    >>> build_generator_with_policy("float32", num_blocks=1, filters=8).dtype_policy.name
    'float32'
    """
    return SRResNet(**build_args, dtype=policy)
