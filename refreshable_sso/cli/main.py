"""Entry point of ``refreshable-sso``.

Each command lives in its own module under ``refreshable_sso.cli`` and exposes
``register(subparsers)``, which adds a sub-parser and sets ``handler`` (a function taking the
parsed ``argparse.Namespace`` and returning the exit code) as its default.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from refreshable_sso.errors import RefreshableSSOError

# Modules (under refreshable_sso.cli) that contribute commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "whoami",
    "emulator",
    "auth",
    "discover",
    "credential_process",
    "export",
    "exec",
    "serve",
    "configure",
    "doctor",
    "console",
    "assignments",
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="refreshable-sso",
        description="AWS IAM Identity Center credentials that keep working in long-running programs.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"refreshable_sso.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; library errors become a one-line message and exit status 1."""
    if argv is None:
        argv = sys.argv[1:]
    if list(argv[:1]) == ["credential-process"]:
        # Answered from a fresh cache entry before the full parser (and boto3) is loaded.
        from refreshable_sso.cli.credential_process import answer_from_cache

        answered = answer_from_cache(argv[1:])
        if answered is not None:
            return answered
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.handler(args)
    except RefreshableSSOError as exc:
        print(f"refreshable-sso: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("refreshable-sso: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
