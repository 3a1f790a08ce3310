"""`python -m super_resolution_gans.evaluate`: the evaluation command, kept at its old path.

The command lives in `super_resolution_gans.cli.evaluate`; run with `--help` for every flag.
"""

import sys

from .cli.evaluate import build_parser, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
