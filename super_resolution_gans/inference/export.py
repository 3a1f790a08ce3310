"""Exporting generators for other runtimes, with dynamic height and width.

`export_generator(model, path, format=...)` writes the inference copy of a generator
(`models.network.inference_copy`: for SRResNet, BatchNorm folded and the output convolution
before the last shuffle; RRDBNet and SRVGGNetCompact as they are) as a
TensorFlow SavedModel (a folder), a TFLite / LiteRT flatbuffer (`.tflite`), an ONNX model
(`.onnx`, needs `tf2onnx`) or an OpenVINO IR (`.xml` + `.bin`, needs `openvino`). Every format
takes float32 NHWC RGB in [0, 255] of any height and width and returns the super-resolved image
in [0, 255] (clip and round it yourself). The files appear only when complete: the export is
written beside `path` and renamed into place (`io.atomic.atomic_path`).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from ..io.atomic import atomic_path
from ..models.network import inference_copy
from ..validation import ArgumentError

EXPORT_FORMATS = {
    "saved_model": ("tf_saved_model", ""),
    "tflite": ("litert", ".tflite"),
    "onnx": ("onnx", ".onnx"),
    "openvino": ("openvino", ".xml"),
}


def export_generator(model: keras.Model, path: str | os.PathLike, format: str) -> Path:
    """Exports a generator for another runtime (see the module docstring).

    Args:
        model: a generator following the library's contract.
        path: destination: a folder for "saved_model", else a file ending in `.tflite`,
            `.onnx` or `.xml` (OpenVINO also writes the `.bin` beside it).
        format: "saved_model", "tflite", "onnx" or "openvino".

    Returns:
        The path written.

    Example:
    >>> export_generator(load_generator(), "srresnet_x4.onnx", format="onnx")  # doctest: +SKIP
    PosixPath('srresnet_x4.onnx')
    """
    if format not in EXPORT_FORMATS:
        raise ArgumentError(
            "format", f"format must be one of {sorted(EXPORT_FORMATS)}, got {format!r}"
        )
    keras_format, suffix = EXPORT_FORMATS[format]
    path = Path(path)
    if suffix and path.suffix.lower() != suffix:
        raise ArgumentError("path", f"a {format} export must end in {suffix}, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such folder for the export")
    inference_model = inference_copy(model)
    inference_model(np.zeros((1, 8, 8, 3), np.float32))  # some exporters need a traced call
    companions = (".bin",) if format == "openvino" else ()  # OpenVINO's weights beside the .xml
    with atomic_path(path, directory=not suffix, companions=companions) as staged:
        try:
            inference_model.export(str(staged), format=keras_format, verbose=False)
        except ImportError as err:
            extra = {"onnx": "tf2onnx onnx", "openvino": "openvino"}.get(format, str(err))
            raise ImportError(f"exporting to {format} needs: pip install {extra}") from err
    return path
