"""The skeleton every command line shares: flags, argument types, output, and errors to exit codes.

A command is a `build_parser()` and a body `run(args) -> int`; `run_command` parses, configures
the output, runs the body and turns the library's typed errors into one line on stderr and exit
status 1 (2 for invalid arguments, from argparse; 130 when interrupted). Errors that carry the
name of the Python argument that refused the input (`ArgumentError`, `SourceError`,
`DownloadError`: their `argument` attribute) get the matching flag as a hint.

Every command has `--quiet` / `-q`, `--verbose` / `-v` and `--version` (`add_output_flags`);
commands that take a model have `--model-path` and `--list-models` (`add_model_flags`), with one
meaning everywhere.

Start-up time: this module and the parsers import no TensorFlow, Keras or Ray, so `--help`,
`--version` and `--list-models` answer at once; the command bodies import the heavy modules
after parsing.

Quiet output: without `--verbose`, the start-up chatter of the libraries underneath stays off the
terminal (`configure_output`, called by `run_command`, never at import): `TF_CPP_MIN_LOG_LEVEL=3`
and `RAY_LOGGER_LEVEL=error` are set in the environment unless the user set them; TensorFlow is
imported with the process's stderr sent to a temporary file, because its C++ start-up lines
("oneDNN custom operations are on", "Could not find cuda drivers", absl's "All log messages
before absl::InitializeLog()") ignore `TF_CPP_MIN_LOG_LEVEL` (the file is replayed if the import
fails); the `absl` and `tensorflow` Python loggers are lowered to errors. With `--verbose`
nothing is hidden and the library logs at debug level.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING

from .io.write import DEFAULT_JPEG_QUALITY
from .validation import ArgumentError, check_int
from .version import package_version

if TYPE_CHECKING:
    from .inference.upscaler import UpscaleOptions

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "MODEL_PATH_HELP",
    "USER_ERRORS",
    "CommandError",
    "add_model_flags",
    "add_output_flags",
    "add_upscale_flags",
    "configure_output",
    "stderr_held_back",
    "jpeg_quality",
    "non_negative_int",
    "one_line",
    "port_number",
    "positive_float",
    "positive_int",
    "run_command",
    "upscale_options",
    "with_hint",
]

USER_ERRORS = (ValueError, OSError)
"""Errors the library raises for unusable inputs, models and outputs (a `DownloadError` is an
`OSError`). Anything else is a bug and keeps its traceback."""


class CommandError(Exception):
    """An error whose one-line message is ready to show (it names what failed)."""


def _int_type(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    bounds = f"{minimum} or more" if maximum is None else f"from {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        try:
            return check_int("value", value, minimum=minimum, maximum=maximum)
        except ArgumentError:
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}") from None

    return parse


non_negative_int = _int_type(0)
"""argparse type: an integer >= 0."""

positive_int = _int_type(1)
"""argparse type: an integer >= 1."""

jpeg_quality = _int_type(1, 100)
"""argparse type: a JPEG / WebP quality, an integer from 1 to 100."""

port_number = _int_type(1, 65535)
"""argparse type: a TCP port, an integer from 1 to 65535."""

MODEL_PATH_HELP = (
    "the generator: a file (.keras, .weights.h5, a SuperResolution-GANs 0.0.x .h5, or an "
    "ESRGAN / Real-ESRGAN PyTorch .pth / .safetensors), an http(s) URL to one, or a registered "
    "name (see --list-models; e.g. realesrgan_x4plus, downloaded and verified on first use); "
    "default: the shipped weights"
)
"""The help of `--model-path`, the same in every command."""


def positive_float(text: str) -> float:
    """argparse type: a number > 0.

    Example:
    >>> positive_float("0.5")
    0.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def add_upscale_flags(
    parser: argparse.ArgumentParser, *, url_inputs: bool, predecessor_aliases: bool = False
) -> None:
    """Adds the flags of `UpscaleOptions` (tiling, runtime, precision, input limits) and
    `--jpeg-quality`; `upscale_options(args)` reads them back. A new option is one field there
    and one flag here, for every command that super-resolves.

    Args:
        parser: the command's parser.
        url_inputs: also `--max-bytes` and `--timeout`, for commands that read http(s) URLs.
        predecessor_aliases: also the camelCase spellings of SuperResolution-GANs 0.0.x's infer.

    Example:
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> add_upscale_flags(parser, url_inputs=False)
    >>> parser.parse_args(["--tile-size", "128"]).tile_size
    128
    """
    from .inference.runtimes import PRECISIONS, RUNTIMES
    from .io.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
    from .io.net import DEFAULT_TIMEOUT

    def add(flag: str, camel: str | None = None, **options) -> None:
        aliases = [camel] if camel and predecessor_aliases else []
        parser.add_argument(flag, *aliases, **options)

    add("--tile-size", "--tileSize", dest="tile_size", type=non_negative_int, metavar="N",
        help="process the image in LR tiles of at most NxN pixels to bound memory "
             "(seamless); 0 = whole image in one pass; default: chosen from the image size")
    add("--tile-overlap", "--tileOverlap", dest="tile_overlap", type=non_negative_int,
        metavar="N", help="LR pixels of context around each tile; default: the network's own "
                          "(its receptive radius, exact; for RRDBNet its measured effective "
                          "field, 80)")
    add("--tile-batch-size", "--tileBatchSize", dest="tile_batch_size", type=positive_int,
        default=1, metavar="N", help="tiles run together in one batch (default: 1)")
    add("--max-pixels", "--maxPixels", dest="max_pixels", type=non_negative_int,
        default=DEFAULT_MAX_PIXELS, metavar="N",
        help="refuse input images with more pixels than this, as possible decompression bombs; "
             f"0 = no limit (default: {DEFAULT_MAX_PIXELS:,})")
    if url_inputs:
        add("--max-bytes", "--maxBytes", dest="max_bytes", type=positive_int,
            default=DEFAULT_MAX_BYTES, metavar="N",
            help="largest image download accepted from a URL, in bytes "
                 f"(default: {DEFAULT_MAX_BYTES:,})")
        add("--timeout", type=positive_float, metavar="SECONDS",
            help="for URL inputs: seconds to wait to connect and for each piece of data "
                 f"(default: {DEFAULT_TIMEOUT[0]:g} to connect, {DEFAULT_TIMEOUT[1]:g} to read)")
    add("--runtime", choices=RUNTIMES, default="auto",
        help="inference runtime: auto (OpenVINO on CPU-only machines when installed, else "
             "TensorFlow), tensorflow or openvino")
    add("--precision", choices=PRECISIONS, default="float32",
        help="float32 (default); float16 on a GPU (falls back to float32 if the output is "
             "non-finite or black); bfloat16 with OpenVINO on CPUs with bf16 units (faster, "
             "may differ by a few grey levels)")
    add("--jpeg-quality", dest="jpeg_quality", type=jpeg_quality, default=DEFAULT_JPEG_QUALITY,
        metavar="Q", help="quality of .jpg / .jpeg (and .webp) outputs, from 1 to 100 "
                          f"(default: {DEFAULT_JPEG_QUALITY})")


def upscale_options(args: argparse.Namespace, **fields) -> UpscaleOptions:
    """The `UpscaleOptions` of flags added by `add_upscale_flags`, plus `fields`; progress bars
    unless `--quiet`.

    Example:
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> add_upscale_flags(parser, url_inputs=False)
    >>> add_output_flags(parser)
    >>> upscale_options(parser.parse_args(["--runtime", "tensorflow"])).runtime  # doctest: +SKIP
    'tensorflow'
    """
    from .inference.upscaler import UpscaleOptions

    options = {
        "tile_size": args.tile_size, "tile_overlap": args.tile_overlap,
        "tile_batch_size": args.tile_batch_size, "runtime": args.runtime,
        "precision": args.precision, "max_pixels": args.max_pixels or None,
        "progress": not args.quiet,
    }
    if hasattr(args, "max_bytes"):
        options["max_bytes"] = args.max_bytes
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    return UpscaleOptions(**{**options, **fields})


def add_output_flags(
    parser: argparse.ArgumentParser,
    *,
    quiet_help: str = "no progress bars and no log messages, only warnings and errors",
) -> None:
    """Adds `--quiet` / `-q` and `--verbose` / `-v` (exclusive) and `--version` to `parser`.

    Example:
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> add_output_flags(parser)
    >>> args = parser.parse_args(["-v"])
    >>> args.quiet, args.verbose
    (False, True)
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", "-q", action="store_true", help=quiet_help)
    group.add_argument("--verbose", "-v", action="store_true",
                       help="also show debug messages, and the start-up messages of the "
                            "libraries underneath (TensorFlow, Ray) that are hidden by default")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s (super_resolution_gans {package_version()})",
                        help="show the version of super_resolution_gans and exit")


class _ListModels(argparse.Action):
    """`--list-models`: prints the registry of pretrained weights and exits, like `--version`
    (so it needs no other flag)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        with stderr_held_back():  # the registry's models import TensorFlow
            from .io.weights import pretrained_table
        print(pretrained_table())
        parser.exit()


def add_model_flags(parser: argparse.ArgumentParser, *aliases: str) -> None:
    """Adds `--model-path` (`dest="model_path"`, plus any `aliases`) and `--list-models`.

    Example:
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> add_model_flags(parser)
    >>> parser.parse_args(["--model-path", "realsr_x4"]).model_path
    'realsr_x4'
    """
    parser.add_argument("--model-path", *aliases, dest="model_path", metavar="MODEL",
                        help=MODEL_PATH_HELP)
    parser.add_argument("--list-models", action=_ListModels,
                        help="list the registered models (name, architecture, scale, licence, "
                             "size, shipped or download, purpose) and exit; needs no other flag")


@contextlib.contextmanager
def _stderr_fd_to(file: IO[bytes]) -> Iterator[None]:
    """Points file descriptor 2 (what C++ libraries write to) at `file`, then back."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(file.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def stderr_held_back() -> Iterator[None]:
    """Sends everything written to stderr meanwhile (TensorFlow's C++ start-up lines) to a
    temporary file, which is replayed on stderr if the block fails.

    Example:
    >>> with stderr_held_back():
    ...     import json
    """
    with tempfile.TemporaryFile() as captured:
        try:
            with _stderr_fd_to(captured):
                yield
        except BaseException:
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise


@contextlib.contextmanager
def stderr_without(*markers: str) -> Iterator[None]:
    """Passes everything written to stderr meanwhile, by this process and the processes it
    starts, on to stderr as it comes, except the lines that contain one of `markers` (a
    library's known, harmless C++ log line that no log level hides without hiding errors).

    Progress bars (text without a newline) pass at once; only text that may begin a C++ log
    line (`[` first) waits for its newline, so a marker is recognised in lines that begin with
    `[` or arrive whole. If stderr itself fails (a closed pipe), the rest is dropped.

    Example:
    >>> with stderr_without("harmless"):
    ...     _ = os.write(2, b"kept\\n[1] a harmless line\\n")
    """
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    terminal = os.dup(2)
    forwarder = threading.Thread(
        target=_forward_lines, args=(read_end, terminal, [m.encode() for m in markers]),
        name="stderr-filter", daemon=True,
    )
    forwarder.start()
    try:
        os.dup2(write_end, 2)
        os.close(write_end)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)  # this process's last write end of the pipe closes
        # The pipe ends when the processes started meanwhile (a local Ray) have exited too;
        # one that lives on keeps the forwarder, and the descriptor it writes to, open.
        forwarder.join(timeout=5)
        if not forwarder.is_alive():
            os.close(terminal)


def _forward_lines(read_end: int, terminal: int, markers: list[bytes]) -> None:
    pending = b""
    writable = True

    def forward(data: bytes) -> None:
        nonlocal writable
        view = memoryview(data)
        while writable and view:
            try:
                view = view[os.write(terminal, view):]
            except InterruptedError:
                continue
            except OSError:  # stderr is gone (a closed pipe): keep draining, drop the rest
                writable = False

    try:
        while chunk := os.read(read_end, 65536):
            # Lines end at a newline, or at a carriage return (a progress bar redrawn).
            *lines, pending = _LINE_ENDS.split(pending + chunk)
            kept = b"".join(line for line in lines
                            if not any(marker in line for marker in markers))
            if pending and not pending.startswith(b"["):
                kept, pending = kept + pending, b""
            forward(kept)
        forward(pending)
    finally:
        os.close(read_end)


# After a newline, or after a carriage return that is not the first half of a CRLF.
_LINE_ENDS = re.compile(rb"(?<=\n)|(?<=\r)(?!\n)")


def configure_output(*, quiet: bool = False, verbose: bool = False) -> None:
    """Sets up logging for a command and, unless `verbose`, keeps the start-up chatter of
    TensorFlow and Ray off the terminal (see the module docstring). Call it from a command's
    `main()` only (`run_command` does), before the command's work imports TensorFlow.
    """
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger("super_resolution_gans").setLevel(
        logging.DEBUG if verbose else logging.NOTSET)
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RAY_LOGGER_LEVEL", "error")
    if "tensorflow" not in sys.modules and importlib.util.find_spec("tensorflow") is not None:
        with stderr_held_back():
            import tensorflow  # noqa: F401 (its start-up lines go nowhere)
    for logger, module in (("absl", "absl.logging"), ("tensorflow", "tensorflow")):
        if module in sys.modules:  # never create the absl logger before absl.logging does
            logging.getLogger(logger).setLevel(logging.ERROR)


def one_line(err: BaseException) -> str:
    """The error's message on one line (its type name when it has none).

    Example:
    >>> one_line(ValueError("first\\nsecond"))
    'first second'
    """
    text = " ".join(part.strip() for part in str(err).splitlines() if part.strip())
    return text or type(err).__name__


def with_hint(message: str, err: BaseException, flag_hints: Mapping[str, str]) -> str:
    """`message`, plus the hint for the argument that refused the input, if it has a flag.

    Example:
    >>> err = ArgumentError("max_bytes", "too big")
    >>> with_hint("too big", err, {"max_bytes": "Use --max-bytes."})
    'too big Use --max-bytes.'
    """
    hint = flag_hints.get(getattr(err, "argument", None) or "")
    return f"{message} {hint}" if hint else message


def run_command(
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], int],
    argv: list[str] | None = None,
    *,
    flag_hints: Mapping[str, str] | None = None,
) -> int:
    """Parses `argv`, sets up the output (`configure_output` with `args.quiet` and
    `args.verbose`, when the parser has them), runs `body(args)` and returns its exit status,
    or 1 after a user error (one line on stderr), 130 after Ctrl-C.

    Example:
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> def fail(args):
    ...     raise ValueError("photo.png: not an image")
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as stderr:
    ...     code = run_command(parser, fail, [])
    >>> code, stderr.getvalue()
    (1, 'error: photo.png: not an image\\n')
    """
    args = parser.parse_args(argv)
    configure_output(quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False))
    try:
        return body(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (CommandError, *USER_ERRORS) as err:
        print(f"error: {with_hint(one_line(err), err, flag_hints or {})}", file=sys.stderr)
        return 1
