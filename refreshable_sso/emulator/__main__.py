"""``python -m refreshable_sso.emulator``: the same as ``refreshable-sso emulator``."""

from __future__ import annotations

import argparse
import logging
import sys

from refreshable_sso.cli.emulator import add_arguments, run
from refreshable_sso.errors import RefreshableSSOError


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m refreshable_sso.emulator",
        description="Run a local IAM Identity Center emulator in the foreground.",
    )
    add_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except RefreshableSSOError as exc:
        print(f"emulator: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
