"""`python -m super_resolution_gans.infer`: the inference command, kept at its old path.

The command lives in `super_resolution_gans.cli.infer`; run with `--help` for every flag.
"""

import sys

from .cli.infer import build_parser, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
