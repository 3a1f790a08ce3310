"""The Ray Data actor that super-resolves batches of image paths with one loaded generator."""

from __future__ import annotations

import os
import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.write import DEFAULT_JPEG_QUALITY
from ..validation import SourceError
from . import storage

if TYPE_CHECKING:
    from ..inference.upscaler import UpscaleOptions

# Errors the library raises for unusable images and outputs; anything else is a bug.
_IMAGE_ERRORS = (ValueError, OSError)


class BatchWorker:
    """Callable class for `Dataset.map_batches`: loads the generator once per worker.

    Each batch holds a `path` column of image paths relative to `input_uri`. Every image is
    super-resolved to the same relative path under `output_uri`, unless a valid output is already
    there (then it is skipped). A bad image gives an `error` row (naming no output) instead of
    stopping the run. With `manifest_uri`, each image's row is appended to that journal, durably,
    before the next image is taken; a written image's row once the image is complete on disk
    and before it is renamed into place, so a killed run leaves no output without its row.

    Args:
        input_uri: folder or URI the paths are relative to.
        output_uri: folder or URI the results go to.
        model: a model file, URL or registered name; None for the shipped weights.
        manifest_uri: the manifest journal (`storage.append_row`); None for no journal.
        threads: CPU threads TensorFlow and OpenVINO may use in this worker (None: all).
        options: how images are super-resolved (`UpscaleOptions`; the defaults when None).
        jpeg_quality: quality of JPEG outputs.

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
        manifest_uri: str | None = None,
        threads: int | None = None,
        options: UpscaleOptions | None = None,
        jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    ) -> None:
        if threads:
            import tensorflow as tf

            # Its share of the CPUs: `threads` for one op, and one op at a time (a generator
            # is a chain of convolutions), so the workers together use the CPUs Ray gave them.
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        from ..inference import Upscaler

        self.input_uri = input_uri
        self.output_uri = output_uri
        self.model = model
        self.manifest_uri = manifest_uri
        self.threads = threads
        self.jpeg_quality = jpeg_quality
        self._input_fs, self._input_root = storage.resolve(input_uri)
        self._output_fs, self._output_root = storage.resolve(output_uri)
        self._manifest = None if manifest_uri is None else storage.resolve(manifest_uri)
        self._upscaler = Upscaler(model, options, threads=threads or None)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [self.process(str(path)) for path in batch["path"]]
        return {key: np.array([row[key] for row in rows]) for key in rows[0]}

    def process(self, relative: str) -> dict[str, Any]:
        """Super-resolves one image; returns its manifest row, journaled before this returns.
        A written image's row is journaled once the image is complete on disk and before it
        is renamed into place, so a killed run leaves no output without its row."""
        source = _join(self._input_root, relative)
        target = _join(self._output_root, relative)
        row = {"input": _join(self.input_uri, relative), "output": _join(self.output_uri, relative)}
        start = time.perf_counter()
        if storage.is_valid_image(self._output_fs, target):
            return self._journal({**row, "status": "skipped", "error": "", "seconds": 0.0})
        done = {**row, "status": "ok", "error": "", "seconds": 0.0}

        def journal_done() -> None:
            done["seconds"] = _since(start)
            self._journal(done)

        try:
            sr = self._upscale(source)
            storage.write_output(self._output_fs, target, sr, quality=self.jpeg_quality,
                                 before_publish=journal_done)
        except _IMAGE_ERRORS as err:
            return self._journal({**row, "output": "", "status": "error",
                                  "error": _message(err, row["input"]), "seconds": _since(start)})
        return done

    def _upscale(self, source: str) -> np.ndarray:
        local = storage.is_local(self._input_fs)  # a path gives errors that name the file
        image = source if local else storage.read_bytes(self._input_fs, source)
        _lr, sr = self._upscaler.upscale(image)
        return sr

    def _journal(self, row: dict[str, Any]) -> dict[str, Any]:
        if self._manifest is not None:
            storage.append_row(*self._manifest, row)
        return row


def _message(err: Exception, source: str) -> str:
    """The error on one line, naming the input file (an input read as bytes is otherwise named
    by its size only)."""
    if isinstance(err, SourceError):
        text = f"'{source}' {err.reason}"
    else:
        text = str(err) or type(err).__name__
    return " ".join(text.split())


def _join(root: str, relative: str) -> str:
    if "://" in root:
        return f"{root.rstrip('/')}/{relative}"
    return str(PurePosixPath(root) / relative)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 4)
