"""The Ray Data actor that super-resolves batches of image paths with one loaded generator."""

from __future__ import annotations

import os
import time
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from ..io.decode import DEFAULT_MAX_PIXELS
from . import storage

# Errors the library raises for unusable images and outputs; anything else is a bug.
_IMAGE_ERRORS = (ValueError, OSError)


class BatchWorker:
    """Callable class for `Dataset.map_batches`: loads the generator once per worker.

    Each batch holds a `path` column of image paths relative to `input_uri`. Every image is
    super-resolved to the same relative path under `output_uri`, unless a valid output is already
    there (then it is skipped). A bad image gives an `error` row instead of stopping the run.

    Args:
        input_uri: folder or URI the paths are relative to.
        output_uri: folder or URI the results go to.
        model: a model file, URL or registered name; None for the shipped weights.
        threads: CPU threads TensorFlow may use in this worker (None: TensorFlow's default).
        max_pixels: decompression-bomb limit per input image (None: no limit).
        **predict_options: other `UpscaleOptions` fields (`tile_size`, `tile_overlap`,
            `runtime`, `precision`).

    Example:
    >>> upscaler = BatchWorker("photos", "photos_x4")  # doctest: +SKIP
    >>> upscaler({"path": np.array(["a.png"])})["status"]  # doctest: +SKIP
    array(['ok'], dtype='<U2')
    """

    def __init__(
        self,
        input_uri: str,
        output_uri: str,
        model: str | os.PathLike | None = None,
        *,
        threads: int | None = None,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        **predict_options: Any,
    ) -> None:
        if threads:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        from ..inference import Upscaler

        self.input_uri = input_uri
        self.output_uri = output_uri
        self.model = model
        self.threads = threads
        self.max_pixels = max_pixels
        self.predict_options = predict_options
        self._input_fs, self._input_root = storage.resolve(input_uri)
        self._output_fs, self._output_root = storage.resolve(output_uri)
        self._upscaler = Upscaler(model, max_pixels=max_pixels, **predict_options)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [self.process(str(path)) for path in batch["path"]]
        return {key: np.array([row[key] for row in rows]) for key in rows[0]}

    def process(self, relative: str) -> dict[str, Any]:
        """Super-resolves one image; returns its manifest row."""
        source = _join(self._input_root, relative)
        target = _join(self._output_root, relative)
        row = {"input": _join(self.input_uri, relative), "output": _join(self.output_uri, relative)}
        start = time.perf_counter()
        if storage.is_valid_image(self._output_fs, target):
            return {**row, "status": "skipped", "error": "", "seconds": 0.0}
        try:
            self._upscale(source, target)
        except _IMAGE_ERRORS as err:
            message = " ".join(str(err).split()) or type(err).__name__
            return {**row, "status": "error", "error": message, "seconds": _since(start)}
        return {**row, "status": "ok", "error": "", "seconds": _since(start)}

    def _upscale(self, source: str, target: str) -> None:
        local = storage.is_local(self._input_fs)  # a path gives errors that name the file
        image = source if local else storage.read_bytes(self._input_fs, source)
        _lr, sr = self._upscaler.upscale(image)
        storage.write_output(self._output_fs, target, sr)


def _join(root: str, relative: str) -> str:
    return str(PurePosixPath(root) / relative) if "://" not in root else f"{root.rstrip('/')}/{relative}"


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 4)
