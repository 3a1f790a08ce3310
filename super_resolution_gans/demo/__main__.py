"""Web demo command: `python -m super_resolution_gans.demo [--host H] [--port P] [--share]`.

Also installed as `srgan-demo`. Serves on 127.0.0.1:7860 by default; `--share` (off by
default) asks Gradio for a public link. Built on the shared command skeleton
(`commands.run_command`): exit status 0 when stopped with Ctrl-C, 1 when Gradio is not
installed or the server cannot start (one line on stderr), 2 for invalid arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from ..commands import (
    CommandError,
    add_output_flags,
    non_negative_int,
    port_number,
    positive_int,
    run_command,
)
from .app import DEFAULT_CONCURRENCY, DEFAULT_QUEUE_SIZE
from .upscaling import DEFAULT_MAX_PIXELS, MAX_MODEL_BYTES

INSTALL_HINT = 'Gradio is not installed; run: pip install "super_resolution_gans[demo]"'


def build_parser() -> argparse.ArgumentParser:
    """The demo command's argument parser (every flag documented).

    Example:
    >>> build_parser().parse_args([]).port
    7860
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # a flag is matched whole, never by a prefix
        prog="python -m super_resolution_gans.demo",
        description="Serve a web page to super-resolve images and compare them with bicubic.",
        epilog="Exit status: 0 stopped with Ctrl-C, 1 Gradio missing or the server cannot "
               "start, 2 invalid arguments.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", metavar="ADDRESS",
        help="address to listen on (default: 127.0.0.1, this machine only)")
    add("--port", type=port_number, default=7860, metavar="PORT",
        help="port to listen on (default: %(default)s)")
    add("--share", action="store_true",
        help="also publish a temporary public gradio.live link (off by default)")
    add("--max-pixels", type=non_negative_int, default=DEFAULT_MAX_PIXELS, metavar="N",
        help=f"largest upload accepted, in pixels; 0 = no limit (default: {DEFAULT_MAX_PIXELS:,})")
    add("--concurrency", type=positive_int, default=DEFAULT_CONCURRENCY, metavar="N",
        help="requests super-resolved at once; the others wait in the queue (default: "
             "%(default)s; each takes up to about 0.6 GB per megapixel of upload)")
    add("--max-queue", type=positive_int, default=DEFAULT_QUEUE_SIZE, metavar="N",
        help="requests that may wait; more are told the queue is full (default: %(default)s)")
    add_output_flags(parser, quiet_help="no start-up messages from Gradio and no log messages, "
                                        "only warnings and errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the demo server until interrupted; returns the exit status.

    Example:
    >>> main(["--port", "8080"])  # doctest: +SKIP
    0
    """
    return run_command(build_parser(), run, argv)


def run(args: argparse.Namespace) -> int:
    """The command's body: build the page and serve it until Ctrl-C."""
    if importlib.util.find_spec("gradio") is None:
        raise CommandError(INSTALL_HINT)
    from .app import build_demo

    demo = build_demo(max_pixels=args.max_pixels or None, concurrency_limit=args.concurrency,
                      max_queue=args.max_queue)
    try:
        # Gradio refuses larger uploads before writing them to disk (models are the largest).
        demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                    show_error=True, quiet=args.quiet,
                    max_file_size=f"{MAX_MODEL_BYTES // 2**20}mb")
    except KeyboardInterrupt:  # the way to stop a server
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
