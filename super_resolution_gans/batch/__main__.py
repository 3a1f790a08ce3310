"""Batch CLI: `python -m super_resolution_gans.batch --input DIR_OR_URI --output DIR_OR_URI`.

Also installed as `srgan-batch`. Exit status: 0 when every image was written or skipped, 1 when
an image failed (listed on stderr and in the manifest) or the input, output or model is unusable,
2 for invalid command-line arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys

from ..version import package_version
from ..inference.runtimes import PRECISIONS, RUNTIMES
from ..io.decode import DEFAULT_MAX_PIXELS
from ..models.presets import DEFAULT_MODEL

INSTALL_HINT = 'Ray Data is not installed; run: pip install "super_resolution_gans[batch]"'


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The batch command's argument parser.

    Example:
    >>> build_parser().parse_args(["--input", "in", "--output", "out"]).workers
    1
    """
    parser = argparse.ArgumentParser(
        prog="python -m super_resolution_gans.batch",
        description="Super-resolve every image under a folder or URI on Ray Data (resumable).",
        epilog="Exit status: 0 all written or skipped, 1 some image or the setup failed, "
               "2 invalid arguments.",
    )
    add = parser.add_argument
    add("--input", required=True, metavar="DIR_OR_URI",
        help="folder or URI (s3://, gs://, ...) of images, searched recursively")
    add("--output", required=True, metavar="DIR_OR_URI",
        help="where results go, under the same relative paths; existing valid outputs are "
             "skipped")
    add("--model", metavar="MODEL",
        help=f"generator file, http(s) URL or registered name; default: {DEFAULT_MODEL!r}")
    add("--workers", type=_count, default=1, metavar="N",
        help="Ray actors, each loading the model once (default: 1)")
    add("--address", metavar="ADDRESS",
        help="an existing Ray cluster ('auto', 'ray://head:10001'); default: a local Ray")
    add("--cpus", type=_count, metavar="N",
        help="CPUs of the local Ray (default: all); ignored with --address")
    add("--gpus", type=float, metavar="N",
        help="GPUs per worker (default: 1 when the cluster has GPUs, else 0)")
    add("--tile-size", type=_count, metavar="N",
        help="LR tile side in pixels (seamless); 0 = whole image; default: from image size")
    add("--runtime", choices=RUNTIMES, default="auto", help="inference runtime")
    add("--precision", choices=PRECISIONS, default="float32", help="inference precision")
    add("--max-pixels", type=_count, default=DEFAULT_MAX_PIXELS, metavar="N",
        help=f"refuse larger inputs (decompression bombs); 0 = no limit "
             f"(default: {DEFAULT_MAX_PIXELS:,})")
    add("--manifest", metavar="PATH_OR_URI",
        help="manifest file (JSON lines); default: manifest.jsonl in --output")
    add("--quiet", "-q", action="store_true", help="only errors")
    add("--version", action="version", version=f"%(prog)s {package_version()}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the batch command; returns the exit status.

    Example:
    >>> main(["--input", "photos", "--output", "photos_x4", "--workers", "2"])  # doctest: +SKIP
    0
    """
    args = build_parser().parse_args(argv)
    if args.workers < 1:
        print("error: --workers must be 1 or more", file=sys.stderr)
        return 2
    if importlib.util.find_spec("ray") is None:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    from .pipeline import upscale_dataset

    try:
        report = upscale_dataset(
            args.input, args.output, args.model,
            num_workers=args.workers, address=args.address, num_cpus=args.cpus or None,
            num_gpus=args.gpus, tile_size=args.tile_size, runtime=args.runtime,
            precision=args.precision, max_pixels=args.max_pixels or None,
            manifest_uri=args.manifest, progress=not args.quiet,
        )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    for row in report.failed:
        print(f"error: {row['input']}: {row['error']}", file=sys.stderr)
    if report.failed:
        print(f"error: {len(report.failed)} of {len(report.rows)} images failed; see "
              f"{report.manifest}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
