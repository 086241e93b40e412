# PYTHON_ARGCOMPLETE_OK
"""Entry point of ``refreshable-sso``.

Each command lives in its own module under ``refreshable_sso.cli`` and exposes
``register(subparsers)``, which adds a sub-parser and sets ``handler`` (a function taking the
parsed ``argparse.Namespace`` and returning the exit code) as its default. A command module
imports nothing heavy (boto3, botocore, the session, the emulator) at module level: building
the parser must stay cheap, so ``--help``, completion and light commands start fast.

Exit codes: 0 success, 1 error (one message on stderr, no traceback unless ``-vv``),
2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from refreshable_sso import _extras
from refreshable_sso.cli import _output
from refreshable_sso.errors import RefreshableSSOError

# Modules (under refreshable_sso.cli) that contribute commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "whoami",
    "emulator",
    "login",
    "logout",
    "accounts",
    "roles",
    "credential_process",
    "export",
    "exec",
    "serve",
    "configure",
    "doctor",
    "console",
    "assignments",
    "storage",
    "completion",
)
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("refreshable-sso")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: reads the installed metadata only when asked (it costs ~0.1 s to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _add_verbose(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="show more: -v progress details, -vv debug logs and tracebacks",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="refreshable-sso",
        description="AWS IAM Identity Center credentials that keep working in long-running programs.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("--version", action=_VersionAction)
    _add_verbose(parser, default=0)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"refreshable_sso.cli.{name}")
        module.register(subparsers)
    for sub in subparsers.choices.values():
        # -v after the command too; SUPPRESS keeps a -v given before the command
        if "-v" not in sub._option_string_actions:
            _add_verbose(sub, default=argparse.SUPPRESS)
    return parser


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE) and exit."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def _missing_cli_extra() -> list[str]:
    """The modules of the ``cli`` extra that cannot be imported (found, not imported: cheap)."""
    from importlib.util import find_spec

    def importable(name: str) -> bool:
        try:
            return find_spec(name) is not None
        except (ImportError, ValueError):  # a finder may refuse outright (or a broken install)
            return False

    return [name for name in _extras.EXTRAS["cli"] if not importable(name)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; expected failures become one message on stderr and exit status 1.

    Without the ``cli`` extra (a library-only install) every command stops at once with one
    line that says what to install, rather than a traceback halfway through a command.
    """
    if argv is None:
        argv = sys.argv[1:]
    absent = _missing_cli_extra()
    if absent:
        print(
            f"refreshable-sso: the command line needs the 'cli' extra ({', '.join(absent)} "
            f"missing): {_extras.install_hint('cli')}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if list(argv[:1]) == ["credential-process"]:
        # Answered from a fresh cache entry before the full parser (and boto3) is loaded.
        from refreshable_sso.cli.credential_process import answer_from_cache

        answered = answer_from_cache(argv[1:])
        if answered is not None:
            return answered
    parser = build_parser()
    _autocomplete(parser)
    args = parser.parse_args(argv)
    verbosity = int(getattr(args, "verbose", 0) or 0)
    folded = _output.configure_logging(verbosity)
    # A command another program runs (credential_process) must say a failure in one line.
    one_line = bool(getattr(args, "one_line_errors", False))
    try:
        code: int = args.handler(args)
    except RefreshableSSOError as exc:
        _output.report_error(exc, verbosity, folded, one_line=one_line)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("refreshable-sso: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if not _output.is_aws_error(exc):
            raise  # a bug: the traceback is what a report needs
        _output.report_error(exc, verbosity, folded, one_line=one_line)
        return EXIT_ERROR
    finally:
        _output.restore_logging(folded)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
