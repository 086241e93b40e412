"""``refreshable-sso credential-process``: role credentials for ``credential_process`` in
``~/.aws/config`` (the AWS CLI, every AWS SDK, Terraform, ...).

Prints exactly one JSON object on stdout (``Version`` 1, ``AccessKeyId``, ``SecretAccessKey``,
``SessionToken``, ``Expiration``) and nothing else. A fresh entry of the shared role-credential
cache is answered by :func:`answer_from_cache` before the full CLI (and boto3) is loaded; the
AWS CLI runs this once per command, so that path is kept to the standard library. Otherwise a
session fetches (one GetRoleCredentials per role across every process, under the cache lock).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from refreshable_sso.cli._target import (
    add_target_arguments,
    build_session,
    cache_target,
    fresh_credentials,
)
from refreshable_sso.credentials.reuse import DEFAULT_MIN_REMAINING
from refreshable_sso.serving.documents import ServedCredentials
from refreshable_sso.serving.warm import cached_credentials

DESCRIPTION = (
    "Print the role's credentials as the JSON that credential_process must print. Use it in a "
    "profile WITHOUT sso_* keys (they would take precedence), e.g.\n\n"
    "  [profile dev-process]\n"
    "  credential_process = refreshable-sso credential-process --profile dev\n\n"
    "where [profile dev] is the SSO profile. Cached credentials with more than --min-remaining "
    "seconds left are reused; never prompts unless --login auto and a terminal is attached."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--min-remaining",
        type=float,
        default=DEFAULT_MIN_REMAINING,
        metavar="SECONDS",
        help=f"reuse cached credentials with more than this left (default {DEFAULT_MIN_REMAINING:g})",
    )


def register(subparsers: Any) -> None:
    """Add the ``credential-process`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "credential-process",
        help="print role credentials for the credential_process setting of ~/.aws/config",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    # the AWS SDKs show our stderr to their user: one line naming the fix (see cli.main)
    parser.set_defaults(handler=run, one_line_errors=True)


class _NotForUs(Exception):
    """The fast path's parser met something it leaves to the full parser (internal)."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotForUs(message)


def answer_from_cache(argv: Sequence[str]) -> int | None:
    """Print fresh cached credentials and return 0, or None to let the full CLI answer.

    Standard library and light project modules only: no boto3, botocore or pydantic.
    """
    parser = _QuietParser(add_help=False)
    add_arguments(parser)
    try:
        args = parser.parse_args(list(argv))
    except (_NotForUs, SystemExit):
        return None
    if args.min_remaining < 0:
        return None
    target = cache_target(args)
    if target is None:
        return None
    # The slow path's fetcher keeps credentials by the advisory window when one is given.
    threshold = args.advisory_timeout if args.advisory_timeout is not None else args.min_remaining
    served = cached_credentials(target, threshold)
    if served is None:
        return None
    _print(served)
    return 0


def _print(served: ServedCredentials) -> None:
    sys.stdout.write(json.dumps(served.credential_process()) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """The full path: a session gets credentials with at least --min-remaining left."""
    from refreshable_sso.errors import ConfigurationError

    if args.min_remaining < 0:
        raise ConfigurationError(
            f"--min-remaining must be >= 0 seconds, got {args.min_remaining:g}",
            ["--min-remaining"],
        )
    windows: dict[str, float] = {}
    if args.advisory_timeout is None and args.min_remaining > 0:
        windows["advisory_timeout"] = args.min_remaining
        if args.mandatory_timeout is None:
            windows["mandatory_timeout"] = min(600.0, args.min_remaining / 2)
    session = build_session(args, **windows)
    _print(fresh_credentials(session))
    return 0
