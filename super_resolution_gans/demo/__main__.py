"""Web demo command: `python -m super_resolution_gans.demo [--host H] [--port P] [--share]`.

Also installed as `srgan-demo`. Serves on 127.0.0.1:7860 by default; `--share` (off by
default) asks Gradio for a public link. Exit status 1 when Gradio is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from .upscaling import DEFAULT_MAX_PIXELS

INSTALL_HINT = 'Gradio is not installed; run: pip install "super_resolution_gans[demo]"'


def build_parser() -> argparse.ArgumentParser:
    """The demo command's argument parser.

    Example:
    >>> build_parser().parse_args([]).port
    7860
    """
    parser = argparse.ArgumentParser(
        prog="python -m super_resolution_gans.demo",
        description="Serve a web page to super-resolve images and compare them with bicubic.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    parser.add_argument("--share", action="store_true",
                        help="also publish a temporary public gradio.live link (off by default)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                        help=f"largest upload accepted, in pixels; 0 = no limit "
                             f"(default: {DEFAULT_MAX_PIXELS:,})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the demo server until interrupted; returns the exit status.

    Example:
    >>> main(["--port", "8080"])  # doctest: +SKIP
    0
    """
    args = build_parser().parse_args(argv)
    if importlib.util.find_spec("gradio") is None:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from .app import build_demo

    demo = build_demo(max_pixels=args.max_pixels or None)
    try:
        demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                    show_error=True)
    except KeyboardInterrupt:
        return 0
    except OSError as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
