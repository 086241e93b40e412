"""``refreshable-sso completion bash|zsh|fish``: print a shell completion script (argcomplete)."""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def register(subparsers: Any) -> None:
    """Add the ``completion`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description=(
            "Print the completion script for SHELL. Load it for this shell with "
            '`eval "$(refreshable-sso completion bash)"` (bash, zsh) or '
            "`refreshable-sso completion fish | source` (fish), or save it where your shell "
            "reads completions."
        ),
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the script; the completion itself runs ``refreshable-sso`` with _ARGCOMPLETE set."""
    from argcomplete.shell_integration import shellcode

    print(shellcode(["refreshable-sso"], shell=args.shell), end="")
    return 0
