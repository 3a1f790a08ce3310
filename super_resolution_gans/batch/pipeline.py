"""`upscale_dataset`: super-resolve a folder or bucket of images on Ray Data."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from ..io.write import DEFAULT_JPEG_QUALITY
from ..validation import check_int
from . import storage
from .worker import BatchWorker

if TYPE_CHECKING:
    from ..inference.upscaler import UpscaleOptions

logger = logging.getLogger(__name__)

STATUSES = ("ok", "skipped", "error")
"""Manifest statuses: written now, already valid from an earlier run, failed (see `error`)."""


@dataclasses.dataclass(frozen=True)
class BatchReport:
    """What a batch run did.

    Attributes:
        rows: one manifest row per input image, sorted by input: `input`, `output` (empty when
            failed), `status` (one of `STATUSES`), `error` (empty unless failed: the file and the
            reason) and `seconds`.
        manifest: where the manifest (JSON lines of `rows`, then `summary`) was written.
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

    @property
    def summary(self) -> dict[str, Any]:
        """The manifest's last line: inputs, the count of each status, and the run's seconds.

        Example:
        >>> BatchReport([{"status": "ok"}, {"status": "error"}], "m.jsonl", 2.5).summary
        {'inputs': 2, 'ok': 1, 'skipped': 0, 'error': 1, 'seconds': 2.5}
        """
        counts = {status: self.count(status) for status in STATUSES}
        return {"inputs": len(self.rows), **counts, "seconds": round(self.seconds, 3)}


def upscale_dataset(
    input_uri: str | os.PathLike,
    output_uri: str | os.PathLike,
    model: str | os.PathLike | None = None,
    *,
    num_workers: int = 1,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: float | None = None,
    options: UpscaleOptions | None = None,
    jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    manifest_uri: str | os.PathLike | None = None,
    progress: bool = False,
) -> BatchReport:
    """Super-resolves every image under `input_uri` into `output_uri` with Ray Data.

    Images are found recursively (by extension, hidden files skipped) and written under the same
    relative path and name. Each of `num_workers` Ray actors loads the generator once and runs
    the library's fast path with seamless tiling. A bad image is reported in the manifest
    (status `error`) and does not stop the others.

    Runs survive being killed, even by SIGKILL: outputs are written atomically, and each image's
    manifest row is appended to the manifest and flushed to disk as soon as the image is done,
    before its worker takes the next one, so every output on disk has its row. Rerunning skips
    every image whose output exists and decodes (and removes temporary files an interrupted
    write left); at the end the manifest is rewritten, atomically, as one row per input and a
    last line `{"summary": {...}}`.

    Ray: with `address` the run joins that cluster; otherwise it uses the Ray already started
    in this process, or starts a local one (`num_cpus` CPUs, no dashboard) and
    shuts it down afterwards. Each worker asks for `num_gpus` GPUs: by default 1 when the
    cluster has GPUs, else none.

    Args:
        input_uri: a folder, or a URI pyarrow understands (`s3://bucket/photos`, `gs://...`).
        output_uri: the output folder or URI; must not be the input folder nor inside it.
        model: a generator file, http(s) URL or registered name (`list_pretrained()`); None for
            the shipped weights. Workers load it themselves, so a file must be readable there.
        num_workers: Ray actors, each with its own copy of the generator.
        address: an existing Ray cluster (`"auto"`, `"ray://head:10001"`); None for local Ray.
        num_cpus: CPUs of the local Ray (ignored with `address`; default: the CPUs this process
            may run on); each worker gets its share, and TensorFlow in it that many threads.
        num_gpus: GPUs per worker; None to decide from the cluster's resources.
        options: how each image is super-resolved (`UpscaleOptions`: tiling, runtime,
            precision, the decompression-bomb limit `max_pixels`); the defaults when None.
        jpeg_quality: quality of JPEG outputs, 1 to 100.
        manifest_uri: where to write the manifest (on a local disk, or on an object store,
            where the rows of a run in progress are objects under `<manifest>.rows/`); default
            `manifest.jsonl` in `output_uri`.
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
    from ..inference.upscaler import UpscaleOptions  # TensorFlow: not at import

    check_int("jpeg_quality", jpeg_quality, minimum=1, maximum=100)
    options = options if options is not None else UpscaleOptions()
    start = time.perf_counter()
    input_uri, output_uri = os.fspath(input_uri), os.fspath(output_uri)
    files = _checked_inputs(input_uri, output_uri)
    _check_model(model)
    manifest = os.fspath(manifest_uri) if manifest_uri else _manifest_default(output_uri)
    manifest_fs, manifest_path = storage.resolve(manifest)
    _remove_partial_files(files, output_uri, manifest_fs, manifest_path)
    storage.prepare_manifest(manifest_fs, manifest_path)

    import ray

    started = not ray.is_initialized()
    if started:
        _init_ray(address, num_cpus)
    try:
        journal = manifest if "://" in manifest else manifest_path  # the same for every worker
        rows = _run(files, input_uri, output_uri, journal, model, num_workers, num_gpus,
                    progress, {"options": options, "jpeg_quality": jpeg_quality})
    finally:
        if started:
            ray.shutdown()
    report = BatchReport(rows=rows, manifest=manifest, seconds=time.perf_counter() - start)
    storage.write_manifest(manifest_fs, manifest_path, rows, report.summary)
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


def _remove_partial_files(
    files: list[str], output_uri: str, manifest_fs: Any, manifest_path: str
) -> None:
    """Removes what an interrupted run's atomic writes left half done (never visible outputs)."""
    removed = storage.remove_partial_outputs(*storage.resolve(output_uri), files)
    folder, _, name = manifest_path.rpartition("/")
    removed += storage.remove_partial_outputs(manifest_fs, folder or "/", [name])
    if removed:
        logger.info("removed %d temporary files of an interrupted run", len(removed))


def _init_ray(address: str | None, num_cpus: int | None) -> None:
    import ray

    if address is not None:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus or _usable_cpus(), include_dashboard=False,
                 log_to_driver=False)


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; `os.cpu_count()` counts the
    machine's, which oversubscribes a container or a `taskset`)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _cpus_per_worker(num_workers: int) -> int:
    """Each worker's share of the cluster's CPUs, at most what one node has (an actor runs on
    one node; asking for more than any node has would never be scheduled)."""
    import ray

    total = int(ray.cluster_resources().get("CPU", 1))
    per_node = [int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node["Alive"]]
    largest = max(per_node, default=total) or total
    return max(1, min(total // num_workers, largest))


def _run(
    files: list[str],
    input_uri: str,
    output_uri: str,
    manifest: str,
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
    cpus = _cpus_per_worker(num_workers)
    dataset = ray.data.from_items([{"path": path} for path in files])
    results = dataset.map_batches(
        BatchWorker,
        fn_constructor_args=(input_uri, output_uri, None if model is None else os.fspath(model)),
        fn_constructor_kwargs={"manifest_uri": manifest, "threads": cpus, **options},
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
