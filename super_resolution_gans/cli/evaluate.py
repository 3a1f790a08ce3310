"""The evaluation command: `python -m super_resolution_gans.evaluate --hr DIR [--modelPath M]`.

PSNR/SSIM on the Y channel with `scale` pixels of border removed (the paper's protocol) and the
detail ratio, next to bicubic upscaling, optionally on degraded inputs (`--degrade`); see
`super_resolution_gans.evaluation`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..evaluation import evaluate
from ..inference.runtimes import RUNTIMES
from ..io.atomic import atomic_write
from .common import run_command

__all__ = ["build_parser", "main"]


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
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """The command's body: evaluate, print the table, write the JSON / CSV reports."""
    report = evaluate(
        args.model_path, args.hr, lr_dir=args.lr, tile_size=args.tile_size,
        comparison_dir=args.comparison_dir, compare=tuple(args.compare),
        progress=not args.quiet, runtime=args.runtime, degrade=args.degrade,
    )
    print(report.table())
    if args.json is not None:
        with atomic_write(args.json, "w") as handle:
            handle.write(report.to_json())
    if args.csv is not None:
        report.write_csv(args.csv)
    return 0
