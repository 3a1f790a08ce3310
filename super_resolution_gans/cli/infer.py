"""Super-resolution CLI: `python -m super_resolution_gans.infer --input-path IN --output-path OUT`.

Also installed as `srgan-infer`. `--input-path` is an image file, an http(s) URL or a folder;
for a folder every image in it (not in subfolders) is super-resolved into the `--output-path`
folder under the same file name, with the model loaded once. Existing outputs are replaced;
outputs are written atomically, so a failure never leaves a partial file. Exit status: 0 on
success, 1 when an input, the model or an output is unusable (one line on stderr per problem,
naming it), 2 for invalid command-line arguments. The predecessor's camelCase flags
(`--inputPath`, `--outputPath`, `--modelPath`, `--tileSize`, ...) are kept as aliases.

The parser imports no TensorFlow (see `common`); the run functions import the inference
modules when they run.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..commands import (
    USER_ERRORS,
    CommandError,
    add_model_flags,
    add_output_flags,
    add_upscale_flags,
    one_line,
    run_command,
    upscale_options,
    with_hint,
)
from ..io import net
from ..io.decode import read_image
from ..io.files import IMAGE_EXTENSIONS, list_images
from ..io.net import DownloadError
from ..io.sniff import is_jpeg_source
from ..io.write import WRITE_FORMATS, write_image
from ..validation import SourceError

if TYPE_CHECKING:
    from ..inference.upscaler import UpscaleOptions, Upscaler

logger = logging.getLogger("super_resolution_gans.infer")

# The flag of each library argument whose limit can refuse an input.
FLAG_HINTS = {
    "max_pixels": "Use --max-pixels N to change the limit (0 = none).",
    "max_bytes": "Use --max-bytes N to accept larger downloads.",
    "timeout": "Use --timeout SECONDS to wait longer.",
    "denoise_strength": "Use --denoise-strength with realesr_general_x4v3, from 0 to 1.",
}

# Errors whose message already names the input or model they are about.
_NAMED_ERRORS = (SourceError, DownloadError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    """The inference command's argument parser (every flag documented; kebab-case, with the
    predecessor's camelCase names as aliases).

    Example:
    >>> build_parser().parse_args(["--input-path", "a.png", "--output-path", "b.png"]).input_path
    'a.png'
    >>> build_parser().parse_args(["--inputPath", "a.png", "--outputPath", "b.png"]).output_path
    'b.png'
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # a flag is matched whole, never by a prefix
        prog="python -m super_resolution_gans.infer",
        description="Super-resolve an image file, an http(s) URL, or every image in a folder.",
        epilog="Exit status: 0 success, 1 unusable input/model/output, 2 invalid arguments.",
    )
    add = parser.add_argument
    add("--input-path", "--inputPath", dest="input_path", required=True, metavar="IN",
        help="an image file, an http(s) URL to an image, or a folder of images (its "
             f"{', '.join(IMAGE_EXTENSIONS)} files; subfolders and hidden files are skipped; "
             "outputs of formats that cannot be written get .png appended)")
    add("--output-path", "--outputPath", dest="output_path", required=True, metavar="OUT",
        help="the output image file (its extension picks the format), or for a folder input "
             "the output folder (created if missing; files keep their names). Existing files "
             "are replaced")
    add_model_flags(parser, "--modelPath")
    add("--denoise-strength", dest="denoise_strength", type=float, metavar="S",
        help="for realesr_general_x4v3: 1 denoises strongly (the model itself), 0 keeps noise "
             "and grain (its -wdn partner), values between blend the two")
    add_upscale_flags(parser, url_inputs=True, predecessor_aliases=True)
    add_output_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the inference command; returns the exit status.

    Example:
    >>> main(["--input-path", "photo.png", "--output-path", "photo_x4.png"])  # doctest: +SKIP
    0
    """
    return run_command(build_parser(), run, argv, flag_hints=FLAG_HINTS)


def run(args: argparse.Namespace) -> int:
    """Runs the parsed command: a folder, or a single file or URL."""
    if not net.is_url(args.input_path) and Path(args.input_path).expanduser().is_dir():
        return run_folder(args)
    run_single(args)
    return 0


def run_single(args: argparse.Namespace) -> None:
    """Super-resolves one file or URL into `args.output_path`.

    The output path is checked first, then the image is read (so a bad input fails before the
    model loads), then the model is loaded and run; nothing is written unless all succeeded.
    """
    output = _checked_output_file(args.output_path)
    source = args.input_path
    options = upscale_options(args)
    lr = _with_name(source, lambda: read_image(source, **options.read_options))
    # The array read keeps no trace of its encoding: the source tells whether it was a JPEG.
    options = dataclasses.replace(options, jpeg_input=is_jpeg_source(source))
    upscaler = _upscaler(args, options)
    _lr, sr = upscaler.upscale(lr)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_image(sr, output, quality=args.jpeg_quality)
    logger.info("wrote %s (%dx%d) with %s", output, sr.shape[1], sr.shape[0],
                upscaler.model_for(lr)[0])


def run_folder(args: argparse.Namespace) -> int:
    """Super-resolves every image of the folder `args.input_path` into `args.output_path`.

    A bad image does not stop the others; each is reported on stderr as `<file>: <reason>`.

    Returns:
        0 when every image was written, 1 otherwise.
    """
    folder = Path(args.input_path).expanduser()
    output = Path(args.output_path).expanduser()
    if output.exists() and not output.is_dir():
        raise ValueError(f"--output-path {output}: is a file; give a folder for a folder input")
    if output.resolve() == folder.resolve():
        raise ValueError(
            f"--output-path {output}: is the input folder; the results would replace the "
            "original images, give another folder"
        )
    files = list_images(folder)
    if not files:
        raise ValueError(
            f"--input-path {folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in this folder"
        )
    upscaler = _upscaler(args, upscale_options(args))
    failures: list[str] = []
    with tqdm(files, desc="images", unit="image", disable=args.quiet) as bar:
        for path in bar:
            try:
                _lr, sr = upscaler.upscale(path)
                if logger.isEnabledFor(logging.DEBUG):  # model_for reads the file's header
                    logger.debug("%s: %s", path.name, upscaler.model_for(path)[0])
                output.mkdir(parents=True, exist_ok=True)
                write_image(sr, output / _output_name(path), quality=args.jpeg_quality)
            except USER_ERRORS as err:
                reason = err.reason if isinstance(err, SourceError) else one_line(err)
                failures.append(f"{path.name}: {with_hint(reason, err, FLAG_HINTS)}")
    if failures:
        print(f"error: {len(failures)} of {len(files)} images failed:", file=sys.stderr)
        for line in failures:
            print(line, file=sys.stderr)
        return 1
    logger.info("wrote %d images to %s", len(files), output)
    return 0


def _checked_output_file(value: str) -> Path:
    if net.is_url(value):
        raise ValueError(f"--output-path {value}: cannot write to a URL; give a file path")
    path = Path(value).expanduser()
    if path.is_dir():
        raise ValueError(
            f"--output-path {value}: is a folder; give an image file path such as "
            f"{path / 'output.png'}"
        )
    if path.suffix.lower() not in WRITE_FORMATS:
        raise ValueError(
            f"--output-path {value}: unknown image extension {path.suffix or '(none)'!r}; use one "
            f"of {', '.join(WRITE_FORMATS)}"
        )
    return path


def _output_name(path: Path) -> str:
    """The output file name of an input in folder mode: the same, or with .png appended where
    the writer cannot write the input's format (GIF)."""
    return path.name if path.suffix.lower() in WRITE_FORMATS else f"{path.name}.png"


def _upscaler(args: argparse.Namespace, options: UpscaleOptions) -> Upscaler:
    """The Upscaler of the named model, or with none named, of the shipped weights chosen by
    each input (see `Upscaler`)."""
    from ..inference.upscaler import Upscaler
    from ..io.model_io import load_generator
    from ..models.presets import DEFAULT_MODEL

    model_path = args.model_path
    if model_path is None and args.denoise_strength is None:
        try:
            return Upscaler(None, options)
        except FileNotFoundError as err:
            raise CommandError(f"{one_line(err)} Use --model-path to choose one.") from err
    model = _with_name(model_path or DEFAULT_MODEL, lambda: load_generator(
        model_path, progress=options.progress, denoise_strength=args.denoise_strength))
    return Upscaler(model, options)


def _with_name(name: str, action: Callable[[], Any]) -> Any:
    """Runs `action`; an error that does not name what it is about gets `name` as a prefix."""
    try:
        return action()
    except _NAMED_ERRORS:
        raise
    except USER_ERRORS as err:
        raise CommandError(f"{name}: {one_line(err)}") from err


if __name__ == "__main__":
    sys.exit(main())
