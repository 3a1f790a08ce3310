"""The evaluation command: `python -m super_resolution_gans.evaluate --hr-dir DIR [--model-path M]`.

PSNR/SSIM on the Y channel with `scale` pixels of border removed (the paper's protocol) and the
detail ratio, next to bicubic upscaling, optionally on degraded inputs (`--degrade`); see
`super_resolution_gans.evaluation`. Also installed as `srgan-evaluate`. The parser imports no
TensorFlow (see `common`); the body imports `evaluation` when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..commands import (
    CommandError,
    add_model_flags,
    add_output_flags,
    non_negative_int,
    run_command,
)
from ..inference.runtimes import RUNTIMES
from ..io.atomic import atomic_write

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The evaluation command's argument parser (every flag documented).

    Example:
    >>> build_parser().parse_args(["--hr-dir", "photos", "--lr-dir", "small"]).lr_dir.name
    'small'
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # a flag is matched whole: --lr (train's learning rate) is no --lr-dir
        prog="python -m super_resolution_gans.evaluate",
        description="PSNR/SSIM (Y channel, border = scale) of a generator vs bicubic upscaling.",
        epilog="Exit status: 0 success, 1 some image could not be scored (the others are) or "
               "the folder, model or an output is unusable, 2 invalid arguments.",
    )
    add = parser.add_argument
    add_model_flags(parser)
    add("--hr-dir", required=True, type=Path, metavar="DIR", help="folder of HR photos")
    add("--lr-dir", type=Path, metavar="DIR",
        help="folder of paired LR photos, same file names (default: bicubic downscaling of "
             "the HR photos)")
    add("--tile-size", type=non_negative_int, metavar="N",
        help="LR tile side in pixels (seamless); 0 = whole image in one pass; default: chosen "
             "from the image size")
    add("--json", type=Path, metavar="FILE", help="write the report as JSON to this file")
    add("--csv", type=Path, metavar="FILE", help="write per-image scores as CSV to this file")
    add("--comparison-dir", type=Path, metavar="DIR",
        help="write PNG strips (bicubic | ours | original) into this folder")
    add("--compare", nargs="*", default=(), metavar="FILE",
        help="file names to write strips for (default: all, when --comparison-dir is given)")
    add("--degrade", metavar="SPEC",
        help="degrade each LR image before super-resolving it: noise:SIGMA (seeded colour "
             "Gaussian noise, 0-255 scale), jpeg:QUALITY, or several in order, e.g. "
             "noise:5,jpeg:75")
    add("--runtime", choices=RUNTIMES, default="auto",
        help="inference runtime: auto (OpenVINO on CPU-only machines when installed, else "
             "TensorFlow), tensorflow or openvino")
    add_output_flags(parser, quiet_help="no progress bar and no log messages (the table is "
                                        "still printed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the evaluation command; returns the exit code.

    Example:
    >>> main(["--model-path", "generator.keras", "--hr-dir", "val_photos"])  # doctest: +SKIP
    0
    """
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """The command's body: evaluate, print the table, write the JSON / CSV reports."""
    for flag, folder in (("--hr-dir", args.hr_dir), ("--lr-dir", args.lr_dir)):
        if folder is not None and not folder.is_dir():
            raise CommandError(f"{flag} {folder}: no such folder")
    from ..evaluation import evaluate

    report = evaluate(
        args.model_path, args.hr_dir, lr_dir=args.lr_dir, tile_size=args.tile_size,
        comparison_dir=args.comparison_dir, compare=tuple(args.compare),
        progress=not args.quiet, runtime=args.runtime, degrade=args.degrade,
    )
    print(report.table())
    if args.json is not None:
        with atomic_write(args.json, "w") as handle:
            handle.write(report.to_json())
    if args.csv is not None:
        report.write_csv(args.csv)
    if report.failures:  # scored the others; the bad ones are in the table and listed here
        total = len(report.images) + len(report.failures)
        print(f"error: {len(report.failures)} of {total} images failed:", file=sys.stderr)
        for failure in report.failures:
            print(f"{failure.name}: {failure.reason}", file=sys.stderr)
        return 1
    return 0
