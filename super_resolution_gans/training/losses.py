"""Content losses: the frozen VGG19 feature extractor (VGG54 / VGG22) and pixel MSE.

Both take images in the library's pixel range (float RGB in [0, 255]).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import tensorflow as tf

from ..models.layers import PACKAGE
from .config import VGG22, VGG54  # noqa: F401 (VGG22: for the doctests below)

VGG_FEATURE_SCALE = 1.0 / 12.75  # Ledig et al.: VGG features rescaled so losses match MSE's scale
VGG19_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
_IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


class VGGWeightsError(OSError, RuntimeError):
    """The VGG19 ImageNet weights are neither cached nor downloadable (offline, firewalled).

    An `OSError` (a file that cannot be had), so the command lines show it as one line; also a
    `RuntimeError`, which it was first.

    Attributes:
        reason: why the download failed, on one line.
        cache: the folder where Keras looks for a copy of `VGG19_NOTOP_FILE`.
    """

    def __init__(self, message: str, *, reason: str, cache: Path):
        super().__init__(message)
        self.reason = reason
        self.cache = cache


@keras.saving.register_keras_serializable(package=PACKAGE)
class VGGPreprocess(keras.layers.Layer):
    """`keras.applications.vgg19.preprocess_input` as a layer: RGB [0, 255] to mean-centred BGR.

    Example:
    >>> import numpy as np
    >>> VGGPreprocess()(np.full((1, 2, 2, 3), 255.0, "float32"))[0, 0, 0].numpy().round(3)
    array([151.061, 138.221, 131.32 ], dtype=float32)
    """

    def call(self, inputs):
        bgr = inputs[..., ::-1]
        return bgr - tf.constant(_IMAGENET_BGR_MEAN, dtype=inputs.dtype)


def build_vgg_feature_extractor(
    layer: str = VGG54, weights: str | os.PathLike | None = "imagenet"
) -> keras.Model:
    """Builds a frozen VGG19 cut at `layer`, for images of any size in [0, 255].

    VGG54 (`block5_conv4`, the paper's SRGAN loss) and VGG22 (`block2_conv2`) are the usual
    choices; any `keras.applications.VGG19` layer name works. VGG's own preprocessing is applied
    inside the model.

    Args:
        layer: the VGG19 layer whose activations (after ReLU) are the features.
        weights: "imagenet" (downloaded once by Keras into ~/.keras/models), None for random
            weights (tests), or a path to a local copy of the no-top ImageNet weights file.

    Raises:
        FileNotFoundError: `weights` is a path that does not exist.
        VGGWeightsError: the ImageNet weights cannot be downloaded; the message says which file
            is missing, where Keras looks for it and how to pass a local copy.

    Example:
    >>> import numpy as np
    >>> extractor = build_vgg_feature_extractor(VGG22, weights=None)
    >>> extractor(np.zeros((1, 32, 48, 3), "float32")).shape
    TensorShape([1, 16, 24, 128])
    """
    if weights not in ("imagenet", None):
        weights = Path(weights)
        if not weights.is_file():
            raise FileNotFoundError(f"VGG19 weights file {str(weights)!r} does not exist")
    try:
        vgg = keras.applications.VGG19(
            include_top=False,
            weights=str(weights) if isinstance(weights, Path) else weights,
            input_shape=(None, None, 3),
        )
    except Exception as err:  # get_file raises a bare Exception when it cannot download.
        if weights != "imagenet":
            raise
        cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
        reason = " ".join(str(err).split()) or type(err).__name__
        raise VGGWeightsError(
            f"cannot download the VGG19 ImageNet weights ({reason}). Place {VGG19_NOTOP_FILE} "
            f"in {cache}/ or pass its path (build_vgg_feature_extractor(weights='/path/to/"
            f"{VGG19_NOTOP_FILE}'), or --vgg-weights PATH on the command line)",
            reason=reason, cache=cache,
        ) from err
    try:
        features = vgg.get_layer(layer).output
    except ValueError as err:
        names = [lay.name for lay in vgg.layers if "conv" in lay.name]
        raise ValueError(f"layer {layer!r} is not a VGG19 layer; choose from {names}") from err
    truncated = keras.Model(vgg.input, features, name=f"vgg19_{layer}")
    truncated.trainable = False

    inputs = keras.Input((None, None, 3), name="image")
    outputs = truncated(VGGPreprocess(name="vgg_preprocess")(inputs), training=False)
    extractor = keras.Model(inputs, outputs, name=f"vgg_features_{layer}")
    extractor.trainable = False
    return extractor


def vgg_content_loss(
    extractor: keras.Model, hr: tf.Tensor, sr: tf.Tensor, feature_scale: float = VGG_FEATURE_SCALE
) -> tf.Tensor:
    """Mean squared distance of VGG features scaled by `feature_scale` (per-replica mean).

    Example:
    >>> import numpy as np
    >>> extractor = build_vgg_feature_extractor(VGG22, weights=None)
    >>> float(vgg_content_loss(extractor, np.zeros((1, 16, 16, 3)), np.zeros((1, 16, 16, 3))))
    0.0
    """
    hr_features = tf.cast(extractor(hr, training=False), tf.float32)
    sr_features = tf.cast(extractor(sr, training=False), tf.float32)
    return tf.reduce_mean(tf.square((sr_features - hr_features) * feature_scale))


def pixel_mse(hr: tf.Tensor, sr: tf.Tensor) -> tf.Tensor:
    """Pixel MSE measured in the paper's [-1, 1] range, for images given in [0, 255].

    Example:
    >>> import numpy as np
    >>> float(pixel_mse(np.zeros((1, 2, 2, 3)), np.full((1, 2, 2, 3), 127.5)))
    1.0
    """
    return tf.reduce_mean(tf.square(_signed_difference(hr, sr)))


def pixel_mae(hr: tf.Tensor, sr: tf.Tensor) -> tf.Tensor:
    """Pixel mean absolute error in the [-1, 1] range, for images given in [0, 255].

    Example:
    >>> import numpy as np
    >>> float(pixel_mae(np.zeros((1, 2, 2, 3)), np.full((1, 2, 2, 3), 127.5)))
    1.0
    """
    return tf.reduce_mean(tf.abs(_signed_difference(hr, sr)))


def _signed_difference(hr: tf.Tensor, sr: tf.Tensor) -> tf.Tensor:
    """`sr - hr` on the paper's [-1, 1] scale (images given in [0, 255]), in float32."""
    return (tf.cast(sr, tf.float32) - tf.cast(hr, tf.float32)) / 127.5


PIXEL_LOSSES = {"mse": pixel_mse, "l1": pixel_mae}
