"""`python -m super_resolution_gans.train`: the training command, kept at its old path.

The command lives in `super_resolution_gans.cli.train`; run with `--help` for every flag.
"""

import sys

from .cli.train import build_parser, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
