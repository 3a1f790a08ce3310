"""Batch CLI: `python -m super_resolution_gans.batch --input-path IN --output-path OUT`.

Also installed as `srgan-batch`. Built on the shared command skeleton
(`commands.run_command`). Exit status: 0 when every image was written or skipped, 1 when an
image failed (listed on stderr and in the manifest) or the input, output or model is unusable,
2 for invalid command-line arguments, 130 when interrupted (run the same command again to
resume). Ray's INFO lines, and the notice its core worker logs when Ray Data starts its
actors, stay off the terminal unless `--verbose`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import sys

from ..commands import (
    CommandError,
    add_model_flags,
    add_output_flags,
    add_upscale_flags,
    non_negative_int,
    positive_int,
    run_command,
    stderr_without,
    upscale_options,
)

INSTALL_HINT = 'Ray Data is not installed; run: pip install "super_resolution_gans[batch]"'

# Ray's core worker logs this at error level whenever Ray Data starts its actors (their
# constructor arguments are always in the object store, and the actors restart after a crash);
# it is no error, and no log level hides it without hiding real errors.
RAY_ACTOR_NOTICE = "has constructor arguments in the object store and max_restarts > 0"


def build_parser() -> argparse.ArgumentParser:
    """The batch command's argument parser (every flag documented).

    Example:
    >>> build_parser().parse_args(["--input-path", "in", "--output-path", "out"]).workers
    1
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # a flag is matched whole, never by a prefix
        prog="python -m super_resolution_gans.batch",
        description="Super-resolve every image under a folder or URI on Ray Data (resumable).",
        epilog="Exit status: 0 all written or skipped, 1 some image or the setup failed, "
               "2 invalid arguments, 130 interrupted.",
    )
    add = parser.add_argument
    add("--input-path", dest="input_path", required=True, metavar="DIR_OR_URI",
        help="folder or URI (s3://, gs://, ...) of images, searched recursively")
    add("--output-path", dest="output_path", required=True, metavar="DIR_OR_URI",
        help="where results go, under the same relative paths; existing valid outputs are "
             "skipped")
    add_model_flags(parser)
    add("--workers", type=positive_int, default=1, metavar="N",
        help="Ray actors, each loading the model once (default: 1)")
    add("--address", metavar="ADDRESS",
        help="an existing Ray cluster ('auto', 'ray://head:10001'); default: a local Ray")
    add("--cpus", type=non_negative_int, metavar="N",
        help="CPUs of the local Ray (default: those this process may run on); ignored with "
             "--address")
    add("--gpus", type=float, metavar="N",
        help="GPUs per worker (default: 1 when the cluster has GPUs, else 0)")
    add("--manifest", metavar="PATH_OR_URI",
        help="manifest file (JSON lines); default: manifest.jsonl in --output-path")
    add_upscale_flags(parser, url_inputs=False)
    add_output_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the batch command; returns the exit status.

    Example:
    >>> main(["--input-path", "photos", "--output-path", "x4", "--workers", "2"])  # doctest: +SKIP
    0
    """
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """The command's body: the run on Ray, then one stderr line per failed image."""
    if importlib.util.find_spec("ray") is None:
        raise CommandError(INSTALL_HINT)
    if not args.verbose:
        import ray.data  # noqa: F401 (configures the "ray.data" logger, which we then lower)

        logging.getLogger("ray.data").setLevel(logging.ERROR)
    from .pipeline import upscale_dataset

    options = upscale_options(args, progress=False)  # Ray Data shows the progress
    with contextlib.nullcontext() if args.verbose else stderr_without(RAY_ACTOR_NOTICE):
        report = upscale_dataset(
            args.input_path, args.output_path, args.model_path,
            num_workers=args.workers, address=args.address, num_cpus=args.cpus or None,
            num_gpus=args.gpus, options=options, jpeg_quality=args.jpeg_quality,
            manifest_uri=args.manifest, progress=not args.quiet,
        )
    for row in report.failed:  # the error names the file
        print(f"error: {row['error']}", file=sys.stderr)
    if report.failed:
        print(f"error: {len(report.failed)} of {len(report.rows)} images failed; see "
              f"{report.manifest}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
