"""Evaluation command: `python -m super_resolution_gans.evaluate --hr DIR [--modelPath M]`.

PSNR/SSIM on the Y channel with `scale` pixels of border removed (the paper's protocol), next to
bicubic upscaling; see `super_resolution_gans.evaluation`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .evaluation import evaluate
from .fast_inference import RUNTIMES


def build_parser() -> argparse.ArgumentParser:
    """The evaluation command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m super_resolution_gans.evaluate",
        description="PSNR/SSIM (Y channel, border = scale) of a generator vs bicubic upscaling.",
    )
    add = parser.add_argument
    add("--modelPath", "--model", dest="model_path",
        help="generator file, URL or registered name (default: the shipped weights)")
    add("--hr", required=True, type=Path, help="folder of HR photos")
    add("--lr", type=Path, help="folder of paired LR photos (default: bicubic downscaling of HR)")
    add("--tileSize", dest="tile_size", type=int, help="LR tile size (0: whole image)")
    add("--json", type=Path, help="write the report as JSON to this file")
    add("--csv", type=Path, help="write per-image scores as CSV to this file")
    add("--comparisonDir", dest="comparison_dir", type=Path,
        help="write PNG strips (bicubic | ours | original) into this folder")
    add("--compare", nargs="*", default=(), metavar="FILE",
        help="file names to write strips for (default: all, when --comparisonDir is given)")
    add("--degrade", metavar="SPEC",
        help="degrade each LR image before super-resolving it: noise:SIGMA (seeded colour "
             "Gaussian noise, 0-255 scale), jpeg:QUALITY, or several in order, e.g. "
             "noise:5,jpeg:75")
    add("--runtime", choices=RUNTIMES, default="auto", help="inference runtime (see README)")
    add("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the evaluation command; returns the exit code.

    Example:
    >>> main(["--modelPath", "generator.keras", "--hr", "val_photos"])  # doctest: +SKIP
    0
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        report = evaluate(
            args.model_path, args.hr, lr_dir=args.lr, tile_size=args.tile_size,
            comparison_dir=args.comparison_dir, compare=tuple(args.compare),
            progress=not args.quiet, runtime=args.runtime, degrade=args.degrade,
        )
    except (ValueError, OSError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(report.table())
    if args.json is not None:
        temporary = args.json.with_name(f".{args.json.name}.tmp")
        temporary.write_text(report.to_json())
        os.replace(temporary, args.json)
    if args.csv is not None:
        report.write_csv(args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
