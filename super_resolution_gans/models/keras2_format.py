"""Reads the predecessor's Keras 2 `.h5` generator files as data and rebuilds them for any size.

SuperResolution-GANs 0.0.x published a Keras 2.3.1 full-model `.h5` (fixed 64x64 input, inputs
and outputs in [-1, 1]); `save_weights` files of the same layout exist too. Neither is loaded
with `keras.models.load_model`: the file's JSON config is read with h5py only to recognise the
layout (and to refuse stored Python code such as `Lambda` layers), the layout is rebuilt with
`build_seed_generator` on `(None, None, 3)` inputs, and the weights are loaded by order after
checking that every weight shape matches. Nothing stored in the file is ever executed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import keras

from ..validation import SourceError
from .seed import build_seed_generator, wrap_signed_range

_SEED_LAYER_CLASSES = {
    "InputLayer",
    "Conv2D",
    "Activation",
    "BatchNormalization",
    "Add",
    "UpSampling2D",
}
_CODE_LAYER_CLASSES = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


@dataclass(frozen=True)
class Keras2File:
    """What a Keras 2 `.h5` file holds, read without running anything from it.

    Attributes:
        path: the file.
        has_model_config: True for a full-model file, False for a weights-only file.
        keras_version: the Keras version that wrote it ("" when not recorded).
        layer_classes: the layer class names of the model config (empty for weights-only files).
        weight_shapes: shapes of every weight, in the file's layer order.
    """

    path: Path
    has_model_config: bool
    keras_version: str
    layer_classes: tuple[str, ...]
    weight_shapes: tuple[tuple[int, ...], ...]


def is_keras2_h5(path: str | os.PathLike) -> bool:
    """Tells whether `path` is an HDF5 file in the Keras 2 layout (full model or weights).

    Example:
    >>> is_keras2_h5("model.h5")  # doctest: +SKIP
    True
    """
    try:
        with h5py.File(path, "r") as handle:
            weights = handle["model_weights"] if "model_weights" in handle else handle
            return "layer_names" in weights.attrs
    except OSError:
        return False


def read_keras2_file(path: str | os.PathLike) -> Keras2File:
    """Reads the layout information of a Keras 2 `.h5` file as plain data.

    Raises:
        ValueError: the file is not HDF5 or not in the Keras 2 layout.

    Example:
    >>> read_keras2_file("model.h5").has_model_config  # doctest: +SKIP
    True
    """
    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as err:
        raise SourceError(f"{path}", f"not a readable HDF5 model file ({err})",
                          separator=": ") from err
    with handle:
        config = handle.attrs.get("model_config")
        layer_classes: tuple[str, ...] = ()
        if config is not None:
            if isinstance(config, bytes):
                config = config.decode("utf-8")
            try:
                layers = json.loads(config)["config"]["layers"]
                layer_classes = tuple(layer["class_name"] for layer in layers)
            except (ValueError, KeyError, TypeError) as err:
                raise SourceError(f"{path}", "the model config in this file is malformed",
                                  separator=": ") from err
        weights = handle["model_weights"] if "model_weights" in handle else handle
        if "layer_names" not in weights.attrs:
            raise SourceError(f"{path}", "not a Keras 2 .h5 model or weights file", separator=": ")
        shapes = []
        try:
            for layer_name in weights.attrs["layer_names"]:
                group = weights[_text(layer_name)]
                for weight_name in group.attrs.get("weight_names", []):
                    shapes.append(tuple(group[_text(weight_name)].shape))
        except (KeyError, AttributeError, TypeError) as err:
            raise SourceError(f"{path}", f"malformed Keras 2 file (missing weights {err})",
                              separator=": ") from err
        version = handle.attrs.get("keras_version", b"")
    return Keras2File(
        path=path,
        has_model_config=config is not None,
        keras_version=_text(version),
        layer_classes=layer_classes,
        weight_shapes=tuple(shapes),
    )


def load_keras2_seed_generator(path: str | os.PathLike) -> keras.Model:
    """Loads a predecessor `.h5` generator (full model or weights only) for any image size.

    The returned model follows the library's contract: RGB in [0, 255] in and out.

    Raises:
        ValueError: the file holds stored code (a `Lambda` layer) or a layout other than the
            predecessor's generator; the message says what was found.

    Example:
    >>> generator = load_keras2_seed_generator("model.h5")  # doctest: +SKIP
    >>> generator(np.zeros((1, 40, 56, 3), "float32")).shape  # doctest: +SKIP
    TensorShape([1, 160, 224, 3])
    """
    info = read_keras2_file(path)
    code_layers = sorted(set(info.layer_classes) & _CODE_LAYER_CLASSES)
    if code_layers:
        raise SourceError(
            f"{info.path}",
            f"contains {', '.join(code_layers)} layers (Python code stored in the "
            "file); refusing to run code from a model file",
            separator=": ",
        )
    unknown = sorted(set(info.layer_classes) - _SEED_LAYER_CLASSES)
    if unknown:
        raise SourceError(
            f"{info.path}",
            f"unknown model layout (layers {', '.join(unknown)} are not part of the "
            "SuperResolution-GANs generator)",
            separator=": ",
        )
    num_blocks = _count_residual_blocks(info)
    core = build_seed_generator(num_blocks)
    expected = tuple(tuple(weight.shape) for weight in core.weights)
    if expected != info.weight_shapes:
        raise SourceError(
            f"{info.path}",
            f"unknown model layout ({len(info.weight_shapes)} weights that do not "
            "match the SuperResolution-GANs generator)",
            separator=": ",
        )
    core.load_weights(info.path)
    return wrap_signed_range(core, name="seed_generator")


def _count_residual_blocks(info: Keras2File) -> int:
    """Residual blocks from the layout: Add layers - 1, or (BatchNorm weight groups - 1) / 2."""
    if info.has_model_config:
        blocks = info.layer_classes.count("Add") - 1
    else:
        # Conv2D contributes 2 weights (kernel, bias), BatchNormalization 4: count the latter.
        batchnorms = sum(1 for shape in info.weight_shapes if len(shape) == 1) - _conv_count(info)
        blocks = (batchnorms // 4 - 1) // 2
    if blocks < 1:
        raise SourceError(f"{info.path}", "unknown model layout (no residual blocks found)",
                          separator=": ")
    return blocks


def _conv_count(info: Keras2File) -> int:
    return sum(1 for shape in info.weight_shapes if len(shape) == 4)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
