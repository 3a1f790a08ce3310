"""`upscale_dataset`: super-resolve a folder or bucket of images on Ray Data."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Any

from ..io.decode import DEFAULT_MAX_PIXELS
from . import storage
from .worker import BatchWorker

logger = logging.getLogger(__name__)

STATUSES = ("ok", "skipped", "error")
"""Manifest statuses: written now, already valid from an earlier run, failed (see `error`)."""


@dataclasses.dataclass(frozen=True)
class BatchReport:
    """What a batch run did.

    Attributes:
        rows: one manifest row per input image, sorted by input: `input`, `output`, `status`
            (one of `STATUSES`), `error` (empty unless failed) and `seconds`.
        manifest: where the manifest (JSON lines of `rows`) was written.
        seconds: wall-clock time of the whole run, Ray startup included.
    """

    rows: list[dict[str, Any]]
    manifest: str
    seconds: float

    def count(self, status: str) -> int:
        """How many images ended with `status`."""
        return sum(row["status"] == status for row in self.rows)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The rows of the images that failed."""
        return [row for row in self.rows if row["status"] == "error"]


def upscale_dataset(
    input_uri: str | os.PathLike,
    output_uri: str | os.PathLike,
    model: str | os.PathLike | None = None,
    *,
    num_workers: int = 1,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: float | None = None,
    tile_size: int | None = None,
    tile_overlap: int | None = None,
    runtime: str = "auto",
    precision: str = "float32",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    manifest_uri: str | os.PathLike | None = None,
    progress: bool = False,
) -> BatchReport:
    """Super-resolves every image under `input_uri` into `output_uri` with Ray Data.

    Images are found recursively (by extension, hidden files skipped) and written under the same
    relative path and name. Each of `num_workers` Ray actors loads the generator once and runs
    the library's fast path with seamless tiling. Runs are resumable: an image whose output
    already exists and decodes is skipped. Outputs and the manifest are written atomically. A
    bad image is reported in the manifest (status `error`) and does not stop the others.

    Ray: with `address` the run joins that cluster; otherwise it uses the Ray already started
    in this process, or starts a local one (`num_cpus` CPUs, default all, no dashboard) and
    shuts it down afterwards. Each worker asks for `num_gpus` GPUs: by default 1 when the
    cluster has GPUs, else none.

    Args:
        input_uri: a folder, or a URI pyarrow understands (`s3://bucket/photos`, `gs://...`).
        output_uri: the output folder or URI; must not be the input folder nor inside it.
        model: a generator file, http(s) URL or registered name (`list_pretrained()`); None for
            the shipped weights. Workers load it themselves, so a file must be readable there.
        num_workers: Ray actors, each with its own copy of the generator.
        address: an existing Ray cluster (`"auto"`, `"ray://head:10001"`); None for local Ray.
        num_cpus: CPUs of the local Ray (ignored with `address`); each worker gets its share.
        num_gpus: GPUs per worker; None to decide from the cluster's resources.
        tile_size, tile_overlap, runtime, precision: see `upscale_rgb`.
        max_pixels: decompression-bomb limit per input image; None for no limit.
        manifest_uri: where to write the manifest; default `manifest.jsonl` in `output_uri`.
        progress: show Ray Data's progress bars.

    Returns:
        A `BatchReport` with one row per image.

    Raises:
        FileNotFoundError: the input folder or the model does not exist.
        ValueError: no images in the input, the output inside the input, a bad model file or
            argument.

    Example:
    >>> report = upscale_dataset("photos/", "photos_x4/", num_workers=2)  # doctest: +SKIP
    >>> report.count("ok"), report.failed  # doctest: +SKIP
    (200, [])
    """
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f"num_workers must be a positive integer, got {num_workers!r}")
    start = time.perf_counter()
    input_uri, output_uri = os.fspath(input_uri), os.fspath(output_uri)
    files = _checked_inputs(input_uri, output_uri)
    _check_model(model)
    manifest = os.fspath(manifest_uri) if manifest_uri else _manifest_default(output_uri)

    import ray

    started = not ray.is_initialized()
    if started:
        _init_ray(address, num_cpus)
    try:
        rows = _run(files, input_uri, output_uri, model, num_workers, num_gpus, progress, {
            "tile_size": tile_size,
            "tile_overlap": tile_overlap,
            "runtime": runtime,
            "precision": precision,
            "max_pixels": max_pixels,
        })
    finally:
        if started:
            ray.shutdown()
    storage.write_manifest(*storage.resolve(manifest), rows)
    report = BatchReport(rows=rows, manifest=manifest, seconds=time.perf_counter() - start)
    logger.info(
        "%d written, %d skipped, %d failed; manifest %s",
        report.count("ok"), report.count("skipped"), report.count("error"), manifest,
    )
    return report


def _checked_inputs(input_uri: str, output_uri: str) -> list[str]:
    input_fs, input_root = storage.resolve(input_uri)
    _output_fs, output_root = storage.resolve(output_uri)
    if (output_root + "/").startswith(input_root.rstrip("/") + "/"):
        raise ValueError(
            f"output {output_uri!r}: is the input folder or inside it; give another folder"
        )
    files = storage.list_images(input_fs, input_root)
    if not files:
        raise ValueError(f"input {input_uri!r}: no image files in this folder")
    return files


def _check_model(model: str | os.PathLike | None) -> None:
    """Loads the model once here so a bad one fails with a clear error before Ray starts."""
    from ..io.model_io import load_generator

    load_generator(model, progress=False)


def _manifest_default(output_uri: str) -> str:
    return f"{output_uri.rstrip('/')}/{storage.MANIFEST_NAME}"


def _init_ray(address: str | None, num_cpus: int | None) -> None:
    import ray

    if address is not None:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False)


def _run(
    files: list[str],
    input_uri: str,
    output_uri: str,
    model: str | os.PathLike | None,
    num_workers: int,
    num_gpus: float | None,
    progress: bool,
    options: dict[str, Any],
) -> list[dict[str, Any]]:
    import ray

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    resources = ray.cluster_resources()
    gpus = (1.0 if resources.get("GPU", 0) > 0 else 0.0) if num_gpus is None else num_gpus
    cpus = max(1, int(resources.get("CPU", 1)) // num_workers)
    dataset = ray.data.from_items([{"path": path} for path in files])
    results = dataset.map_batches(
        BatchWorker,
        fn_constructor_args=(input_uri, output_uri, None if model is None else os.fspath(model)),
        fn_constructor_kwargs={"threads": cpus, **options},
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=num_workers),
        num_cpus=cpus,
        num_gpus=gpus,
    )
    rows = [_plain(row) for row in results.iter_rows()]
    return sorted(rows, key=lambda row: row["input"])


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A manifest row with numpy scalars turned into Python values (JSON-serialisable)."""
    return {key: value.item() if hasattr(value, "item") else value for key, value in row.items()}
