"""The skeleton every command line shares: argument types, logging, and errors to exit codes.

A command is a `build_parser()` and a body `run(args) -> int`; `run_command` parses, configures
logging, runs the body and turns the library's typed errors into one line on stderr and exit
status 1 (2 for invalid arguments, from argparse; 130 when interrupted). Errors that carry the
name of the Python argument that refused the input (`ArgumentError`, `SourceError`,
`DownloadError`: their `argument` attribute) get the matching flag as a hint.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping

from ..validation import ArgumentError, check_int

__all__ = [
    "USER_ERRORS",
    "CommandError",
    "non_negative_int",
    "one_line",
    "positive_float",
    "positive_int",
    "run_command",
    "with_hint",
]

USER_ERRORS = (ValueError, OSError)
"""Errors the library raises for unusable inputs, models and outputs (a `DownloadError` is an
`OSError`). Anything else is a bug and keeps its traceback."""


class CommandError(Exception):
    """An error whose one-line message is ready to show (it names what failed)."""


def _int_type(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        try:
            return check_int("value", value, minimum=minimum)
        except ArgumentError:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}") from None

    return parse


non_negative_int = _int_type(0)
"""argparse type: an integer >= 0."""

positive_int = _int_type(1)
"""argparse type: an integer >= 1."""


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
    >>> with_hint("too big", err, {"max_bytes": "Use --maxBytes."})
    'too big Use --maxBytes.'
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
    """Parses `argv`, runs `body(args)` and returns its exit status, or 1 after a user error
    (one line on stderr), 130 after Ctrl-C. `args.quiet`, when the parser has it, lowers the
    log level to warnings.

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
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    try:
        return body(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (CommandError, *USER_ERRORS) as err:
        print(f"error: {with_hint(one_line(err), err, flag_hints or {})}", file=sys.stderr)
        return 1
