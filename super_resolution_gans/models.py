"""Model builders: the SRResNet generator, the SRGAN discriminator and the predecessor's layout.

Pixel contract: every generator built here takes float RGB in [0, 255] of any height and width
and returns float RGB in (about) [0, 255], `scale` times larger. The normalisation the paper uses
(LR in [0, 1], output in [-1, 1]) happens inside the graph with `Rescaling` layers.
"""

from __future__ import annotations

import math

import keras

from .layers import PixelShuffle, ResizeByFactor

SUPPORTED_SCALES = (2, 4, 8)


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _prelu(name: str) -> keras.layers.PReLU:
    """PReLU with one slope per channel, shared over height and width (works for any size)."""
    return keras.layers.PReLU(shared_axes=[1, 2], name=name)


def _conv_bn(x, filters: int, kernel_size: int, name: str, momentum: float | None):
    """Conv2D named `name`, then BatchNormalization named `name` with "conv" -> "bn", unless
    `momentum` is None (the folded inference layout, see `inference_generator`)."""
    x = keras.layers.Conv2D(filters, kernel_size, padding="same", name=name)(x)
    if momentum is None:
        return x
    return keras.layers.BatchNormalization(momentum=momentum, name=name.replace("conv", "bn"))(x)


def _residual_block(x, filters: int, index: int, momentum: float | None):
    """conv-BN-PReLU-conv-BN plus the identity skip (Ledig et al., Fig. 4)."""
    prefix = f"res{index}"
    skip = x
    x = _conv_bn(x, filters, 3, f"{prefix}_conv1", momentum)
    x = _prelu(f"{prefix}_prelu")(x)
    x = _conv_bn(x, filters, 3, f"{prefix}_conv2", momentum)
    return keras.layers.Add(name=f"{prefix}_add")([skip, x])


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
) -> keras.Model:
    """Builds the SRResNet generator of Ledig et al. (CVPR 2017).

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
            layout whose convolutions hold the folded BatchNorm (see `inference_generator`).
        subpixel_output: True (with `batchnorm=False`) builds the inference layout in which
            the 9x9 output conv runs before the last pixel shuffle as a 5x5 conv with 4 x 3
            outputs; `inference_generator` fills it with weights that compute the same function
            as the paper layout (that conv ran 3.7 times faster in OpenVINO on our CPU).
        name: name of the Keras model.

    Returns:
        A `keras.Model` mapping `(batch, h, w, 3)` in [0, 255] to `(batch, h*scale, w*scale, 3)`.

    Example:
    >>> import numpy as np
    >>> generator = build_generator(num_blocks=2, filters=16)
    >>> generator(np.zeros((1, 12, 20, 3), "float32")).shape
    TensorShape([1, 48, 80, 3])
    """
    if scale not in SUPPORTED_SCALES:
        raise ValueError(f"scale must be one of {SUPPORTED_SCALES}, got {scale!r}")
    _check_positive_int("num_blocks", num_blocks)
    _check_positive_int("filters", filters)
    if subpixel_output and batchnorm:
        raise ValueError("subpixel_output=True is an inference layout: it needs batchnorm=False")

    inputs = keras.Input((None, None, 3), name="lr_image")
    x = keras.layers.Rescaling(1.0 / 255.0, name="to_unit_range")(inputs)
    x = keras.layers.Conv2D(filters, 9, padding="same", name="stem_conv")(x)
    x = _prelu("stem_prelu")(x)
    trunk_skip = x
    momentum = batchnorm_momentum if batchnorm else None
    for index in range(1, num_blocks + 1):
        x = _residual_block(x, filters, index, momentum)
    x = _conv_bn(x, filters, 3, "trunk_conv", momentum)
    x = keras.layers.Add(name="trunk_add")([trunk_skip, x])
    upsample_blocks = int(math.log2(scale))
    output_initializer = "zeros" if global_skip else "glorot_uniform"
    for index in range(1, upsample_blocks + 1):
        x = keras.layers.Conv2D(4 * filters, 3, padding="same", name=f"upsample{index}_conv")(x)
        if subpixel_output and index == upsample_blocks:
            # PReLU commutes with the shuffle; a 9x9 conv after a x2 shuffle reads at most 2
            # pre-shuffle pixels either side, and the shuffle then interleaves its 4 phases.
            x = _prelu(f"upsample{index}_prelu")(x)
            x = keras.layers.Conv2D(
                4 * 3, 5, padding="same", kernel_initializer=output_initializer, name="output_conv"
            )(x)
            x = PixelShuffle(2, name=f"upsample{index}_shuffle")(x)
        else:
            x = PixelShuffle(2, name=f"upsample{index}_shuffle")(x)
            x = _prelu(f"upsample{index}_prelu")(x)
    if not subpixel_output:
        x = keras.layers.Conv2D(
            3, 9, padding="same", kernel_initializer=output_initializer, name="output_conv"
        )(x)
    if global_skip:
        lr_signed = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_signed_range")(
            inputs
        )
        upsampled = ResizeByFactor(scale, "bicubic", name="bicubic_upsample")(lr_signed)
        x = keras.layers.Add(name="global_skip_add")([upsampled, x])
    else:
        x = keras.layers.Activation("tanh", name="output_tanh")(x)
    # float32 output even under a mixed-precision policy: losses and images stay exact.
    outputs = keras.layers.Rescaling(127.5, offset=127.5, name="to_pixels", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_discriminator(hr_size: int = 96, filters: int = 64, *, name: str = "srgan_discriminator"):
    """Builds the SRGAN discriminator (Ledig et al., Fig. 4).

    Eight 3x3 convolutions (n64s1, n64s2, n128s1, n128s2, n256s1, n256s2, n512s1, n512s2 for
    `filters=64`), BatchNorm after all but the first, LeakyReLU(0.2), Dense 1024, LeakyReLU,
    Dense 1. The final sigmoid of the paper is folded into the loss
    (`BinaryCrossentropy(from_logits=True)`), so the model returns logits, in float32.

    Args:
        hr_size: height and width of the HR crops it judges (the paper uses 96).
        filters: filters of the first convolution; doubled every two convolutions.
        name: name of the Keras model.

    Returns:
        A `keras.Model` mapping `(batch, hr_size, hr_size, 3)` in [0, 255] to `(batch, 1)` logits.

    Example:
    >>> import numpy as np
    >>> discriminator = build_discriminator(hr_size=16, filters=8)
    >>> discriminator(np.zeros((2, 16, 16, 3), "float32")).shape
    TensorShape([2, 1])
    """
    _check_positive_int("hr_size", hr_size)
    _check_positive_int("filters", filters)
    if hr_size % 16:
        raise ValueError(f"hr_size must be a multiple of 16 (four stride-2 convs), got {hr_size}")

    inputs = keras.Input((hr_size, hr_size, 3), name="hr_image")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_signed_range")(inputs)
    x = keras.layers.Conv2D(filters, 3, padding="same", name="conv1")(x)
    x = keras.layers.LeakyReLU(0.2, name="conv1_lrelu")(x)
    plan = [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]
    for index, (multiplier, stride) in enumerate(plan, start=2):
        x = keras.layers.Conv2D(
            filters * multiplier, 3, strides=stride, padding="same", name=f"conv{index}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"conv{index}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv{index}_lrelu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(1024, name="dense")(x)
    x = keras.layers.LeakyReLU(0.2, name="dense_lrelu")(x)
    outputs = keras.layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_seed_generator(
    num_blocks: int = 16,
    *,
    batchnorm_momentum: float = 0.8,
    batchnorm_epsilon: float = 1e-3,
    name: str = "seed_generator",
) -> keras.Model:
    """Builds the predecessor package's generator layout, on inputs of any size.

    The layout of SuperResolution-GANs 0.0.x's `model.h5` (see the README): ReLU instead of
    PReLU, activation before BatchNorm, nearest UpSampling2D + Conv2D(256) instead of pixel
    shuffle, tanh output, inputs and outputs in [-1, 1]. The layers are created in the same
    order as the Keras 2 original, so its weight files load by order. Wrap it with
    `wrap_signed_range` to get the library's [0, 255] contract; `load_generator` does both.

    Args:
        num_blocks: number of residual blocks (16 in the published file).
        batchnorm_momentum: the file's BatchNorm momentum.
        batchnorm_epsilon: the file's BatchNorm epsilon.
        name: name of the Keras model.

    Example:
    >>> import numpy as np
    >>> build_seed_generator(2)(np.zeros((1, 10, 14, 3), "float32")).shape
    TensorShape([1, 40, 56, 3])
    """
    _check_positive_int("num_blocks", num_blocks)

    def batchnorm():
        return keras.layers.BatchNormalization(
            momentum=batchnorm_momentum, epsilon=batchnorm_epsilon
        )

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(64, 9, padding="same", activation="relu")(inputs)
    trunk_skip = x
    for _ in range(num_blocks):
        skip = x
        x = keras.layers.Conv2D(64, 3, padding="same")(x)
        x = keras.layers.Activation("relu")(x)
        x = batchnorm()(x)
        x = keras.layers.Conv2D(64, 3, padding="same")(x)
        x = batchnorm()(x)
        x = keras.layers.Add()([x, skip])
    x = keras.layers.Conv2D(64, 3, padding="same")(x)
    x = batchnorm()(x)
    x = keras.layers.Add()([x, trunk_skip])
    for _ in range(2):
        x = keras.layers.UpSampling2D(2)(x)
        x = keras.layers.Conv2D(256, 3, padding="same")(x)
        x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv2D(3, 9, padding="same")(x)
    outputs = keras.layers.Activation("tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def wrap_signed_range(model: keras.Model, *, name: str | None = None) -> keras.Model:
    """Wraps a model working in [-1, 1] so that it takes and returns pixels in [0, 255].

    Args:
        model: a generator whose inputs and outputs are RGB in [-1, 1].
        name: name of the wrapper (defaults to the wrapped model's name).

    Example:
    >>> import numpy as np
    >>> wrapped = wrap_signed_range(build_seed_generator(1))
    >>> wrapped(np.full((1, 8, 8, 3), 255.0, "float32")).shape
    TensorShape([1, 32, 32, 3])
    """
    inputs = keras.Input((None, None, 3), name="lr_image")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_signed_range")(inputs)
    x = model(x)
    outputs = keras.layers.Rescaling(127.5, offset=127.5, name="to_pixels", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name or model.name)


def output_scale(model: keras.Model) -> int:
    """The model's upscaling factor, from its output shape on an 8x8 input.

    Example:
    >>> output_scale(build_generator(scale=2, num_blocks=1, filters=8))
    2
    """
    return int(model.compute_output_shape((1, 8, 8, 3))[1]) // 8


def build_generator_with_policy(policy: str, **build_args) -> keras.Model:
    """`build_generator(**build_args)` under the dtype policy `policy` ("float32",
    "mixed_float16", ...), whatever the global policy is; the global policy is left as it was.

    Example:
    >>> build_generator_with_policy("float32", num_blocks=1, filters=8).dtype_policy.name
    'float32'
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        return build_generator(**build_args)
    finally:
        keras.config.set_dtype_policy(previous)
