"""Super-resolution CLI: `python -m super_resolution_gans.infer --inputPath IN --outputPath OUT`.

Also installed as `srgan-infer`. `--inputPath` is an image file, an http(s) URL or a folder;
for a folder every image in it (not in subfolders) is super-resolved into the `--outputPath`
folder under the same file name, with the model loaded once. Existing outputs are replaced;
outputs are written atomically, so a failure never leaves a partial file. Exit status: 0 on
success, 1 when an input, the model or an output is unusable (one line on stderr per problem,
naming it), 2 for invalid command-line arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import __version__, net
from .fast_inference import PRECISIONS, RUNTIMES
from .image_io import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    list_images,
    read_image,
    write_image,
)
from .inference import super_resolve
from .model_io import load_generator
from .weights import DEFAULT_MODEL

logger = logging.getLogger("super_resolution_gans.infer")

"""Extensions read in folder mode and accepted for output files (case-insensitive)."""

# Errors the library raises for unusable inputs, models and outputs (DownloadError is an
# OSError). Anything else is a bug and keeps its traceback.
_USER_ERRORS = (ValueError, OSError)


# Library messages that name a Python argument get the matching flag as a hint.
_FLAG_HINTS = (
    ("max_pixels", "Use --maxPixels N to change the limit (0 = none)."),
    ("-byte cap", "Use --maxBytes N to accept larger downloads."),
    ("timed out after", "Use --timeout SECONDS to wait longer."),
)


class _Failure(Exception):
    """An error whose one-line message is ready to show (it names the input)."""


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The inference command's argument parser (every flag documented).

    Example:
    >>> build_parser().parse_args(["--inputPath", "a.png", "--outputPath", "b.png"]).input_path
    'a.png'
    """
    parser = argparse.ArgumentParser(
        prog="python -m super_resolution_gans.infer",
        description="Super-resolve an image file, an http(s) URL, or every image in a folder.",
        epilog="Exit status: 0 success, 1 unusable input/model/output, 2 invalid arguments.",
    )
    add = parser.add_argument
    add("--inputPath", "--input-path", dest="input_path", required=True, metavar="IN",
        help="an image file, an http(s) URL to an image, or a folder of images (its "
             f"{', '.join(IMAGE_EXTENSIONS)} files; subfolders and hidden files are skipped)")
    add("--outputPath", "--output-path", dest="output_path", required=True, metavar="OUT",
        help="the output image file (its extension picks the format), or for a folder input "
             "the output folder (created if missing; files keep their names). Existing files "
             "are replaced")
    add("--modelPath", "--model-path", dest="model_path", metavar="MODEL",
        help="a generator file (.keras, .weights.h5, or a SuperResolution-GANs 0.0.x .h5), an "
             f"http(s) URL to one, or a registered name; default: the shipped {DEFAULT_MODEL!r}")
    add("--tileSize", "--tile-size", dest="tile_size", type=_non_negative_int, metavar="N",
        help="process the image in LR tiles of at most NxN pixels to bound memory "
             "(seamless); 0 = whole image in one pass; default: chosen from the image size")
    add("--tileOverlap", "--tile-overlap", dest="tile_overlap", type=_non_negative_int,
        metavar="N", help="LR pixels of context around each tile; default: the network's "
                          "receptive radius, which makes tiles seamless (and tiles the "
                          "library's generators in two stages, trunk and upsampling)")
    add("--tileBatchSize", "--tile-batch-size", dest="tile_batch_size", type=_positive_int,
        default=1, metavar="N", help="tiles run together in one batch (default: 1)")
    add("--maxPixels", "--max-pixels", dest="max_pixels", type=_non_negative_int,
        default=DEFAULT_MAX_PIXELS, metavar="N",
        help="refuse input images with more pixels than this, as possible decompression bombs; "
             f"0 = no limit (default: {DEFAULT_MAX_PIXELS:,})")
    add("--maxBytes", "--max-bytes", dest="max_bytes", type=_positive_int,
        default=DEFAULT_MAX_BYTES, metavar="N",
        help="largest image download accepted from a URL, in bytes "
             f"(default: {DEFAULT_MAX_BYTES:,})")
    add("--timeout", type=_positive_float, metavar="SECONDS",
        help="for URL inputs: seconds to wait to connect and for each piece of data (default: "
             f"{net.DEFAULT_TIMEOUT[0]:g} to connect, {net.DEFAULT_TIMEOUT[1]:g} to read)")
    add("--runtime", choices=RUNTIMES, default="auto",
        help="inference runtime: auto (OpenVINO on CPU-only machines when installed, else "
             "TensorFlow), tensorflow or openvino")
    add("--precision", choices=PRECISIONS, default="float32",
        help="float32 (default); float16 on a GPU (falls back to float32 if the output is "
             "non-finite or black); bfloat16 with OpenVINO on CPUs with bf16 units (faster, "
             "may differ by a few grey levels)")
    add("--quiet", "-q", action="store_true",
        help="no progress bars and no log messages, only errors")
    add("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the inference command; returns the exit status.

    Example:
    >>> main(["--inputPath", "photo.png", "--outputPath", "photo_x4.png"])  # doctest: +SKIP
    0
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        if not net.is_url(args.input_path) and Path(args.input_path).expanduser().is_dir():
            return run_folder(args)
        run_single(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (_Failure, *_USER_ERRORS) as err:
        print(f"error: {_with_hint(_one_line(err))}", file=sys.stderr)
        return 1
    return 0


def run_single(args: argparse.Namespace) -> None:
    """Super-resolves one file or URL into `args.output_path`.

    The output path is checked first, then the image is read (so a bad input fails before the
    model loads), then the model is loaded and run; nothing is written unless all succeeded.
    """
    output = _checked_output_file(args.output_path)
    source = args.input_path
    lr = _with_name(source, lambda: read_image(source, **_read_options(args)))
    generator = _load_model(args.model_path, progress=not args.quiet)
    _lr, sr = super_resolve(lr, generator, **_prediction_options(args))
    output.parent.mkdir(parents=True, exist_ok=True)
    write_image(sr, output)
    logger.info("wrote %s (%dx%d)", output, sr.shape[1], sr.shape[0])


def run_folder(args: argparse.Namespace) -> int:
    """Super-resolves every image of the folder `args.input_path` into `args.output_path`.

    A bad image does not stop the others; each is reported on stderr as `<file>: <reason>`.

    Returns:
        0 when every image was written, 1 otherwise.
    """
    folder = Path(args.input_path).expanduser()
    output = Path(args.output_path).expanduser()
    if output.exists() and not output.is_dir():
        raise ValueError(f"--outputPath {output}: is a file; give a folder for a folder input")
    if output.resolve() == folder.resolve():
        raise ValueError(
            f"--outputPath {output}: is the input folder; the results would replace the "
            "original images, give another folder"
        )
    files = list_images(folder)
    if not files:
        raise ValueError(
            f"--inputPath {folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in this folder"
        )
    generator = _load_model(args.model_path, progress=not args.quiet)
    failures: list[str] = []
    with tqdm(files, desc="images", unit="image", disable=args.quiet) as bar:
        for path in bar:
            try:
                lr = read_image(path, **_read_options(args))
                _lr, sr = super_resolve(lr, generator, **_prediction_options(args))
                output.mkdir(parents=True, exist_ok=True)
                write_image(sr, output / path.name)
            except _USER_ERRORS as err:
                failures.append(f"{path.name}: {_with_hint(_without_name(_one_line(err), path))}")
    if failures:
        print(f"error: {len(failures)} of {len(files)} images failed:", file=sys.stderr)
        for line in failures:
            print(line, file=sys.stderr)
        return 1
    logger.info("wrote %d images to %s", len(files), output)
    return 0


def _checked_output_file(value: str) -> Path:
    if net.is_url(value):
        raise ValueError(f"--outputPath {value}: cannot write to a URL; give a file path")
    path = Path(value).expanduser()
    if path.is_dir():
        raise ValueError(
            f"--outputPath {value}: is a folder; give an image file path such as "
            f"{path / 'output.png'}"
        )
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(
            f"--outputPath {value}: unknown image extension {path.suffix or '(none)'!r}; use one "
            f"of {', '.join(IMAGE_EXTENSIONS)}"
        )
    return path


def _load_model(model_path: str | None, *, progress: bool) -> Any:
    name = model_path or DEFAULT_MODEL
    try:
        return _with_name(name, lambda: load_generator(model_path, progress=progress))
    except FileNotFoundError as err:
        if model_path is not None:
            raise
        raise _Failure(f"{_one_line(err)} Use --modelPath to choose one.") from err


def _with_name(name: str, action: Callable[[], Any]) -> Any:
    """Runs `action`; an error whose message does not name `name` gets it as a prefix."""
    try:
        return action()
    except _USER_ERRORS as err:
        message = _one_line(err)
        if name in message:
            raise
        raise _Failure(f"{name}: {message}") from err


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "max_pixels": args.max_pixels or None,
        "max_bytes": args.max_bytes,
    }
    if args.timeout is not None:
        options["timeout"] = args.timeout
    return options


def _prediction_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "tile_size": args.tile_size,
        "tile_overlap": args.tile_overlap,
        "tile_batch_size": args.tile_batch_size,
        "progress": not args.quiet,
        "runtime": args.runtime,
        "precision": args.precision,
    }


def _one_line(err: BaseException) -> str:
    text = " ".join(part.strip() for part in str(err).splitlines() if part.strip())
    return text or type(err).__name__


def _with_hint(message: str) -> str:
    hints = [hint for needle, hint in _FLAG_HINTS if needle in message]
    return " ".join([message, *hints])


def _without_name(message: str, path: Path) -> str:
    """Drops a leading `'path' ` from a library message, which the caller already shows."""
    for prefix in (f"'{path}' ", f"{path}: ", f"{path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


if __name__ == "__main__":
    sys.exit(main())
