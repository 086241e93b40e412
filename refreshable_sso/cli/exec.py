"""``refreshable-sso exec [--profile P ...] -- CMD ARGS...``: run a command with the role's
credentials.

By default a loopback container-credentials endpoint lives as long as the child, which gets
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``: every AWS SDK
in it then fetches refreshed credentials by itself, for days if need be. ``--env`` hands static
keys instead (for tools that read only ``AWS_ACCESS_KEY_ID``; they stop at expiry).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from refreshable_sso.cli._target import add_target_arguments, build_session, fresh_credentials
from refreshable_sso.serving.child import child_environment, run_child

logger = logging.getLogger("refreshable_sso.cli.exec")


def register(subparsers: Any) -> None:
    """Add the ``exec`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "exec",
        help="run a command with the role's (refreshing) credentials",
        description=(
            "Run CMD with the role's credentials. Default: a credentials endpoint on 127.0.0.1 "
            "serves refreshed credentials for as long as CMD runs (AWS_CONTAINER_CREDENTIALS_"
            "FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN). AWS_PROFILE, static keys and other "
            "credential variables are removed from CMD's environment (listed with -v); "
            "everything else passes through. Exits with CMD's exit status."
        ),
        usage="%(prog)s [options] -- CMD [ARGS...]",
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--env",
        action="store_true",
        help="give static AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN instead",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    parser.set_defaults(handler=run)


def _command(args: argparse.Namespace) -> list[str]:
    from refreshable_sso.errors import ConfigurationError

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise ConfigurationError(
            "exec needs a command to run: refreshable-sso exec --profile NAME -- CMD [ARGS...]",
            ["missing command"],
        )
    return command


def run(args: argparse.Namespace) -> int:
    command = _command(args)
    session = build_session(args)
    served = fresh_credentials(session)  # fail here, with a clear message, not in the child
    region = session.region_name
    if args.env:
        credentials = served.environment()
        return _run(command, credentials, region)
    with session.serve_container_credentials() as server:
        return _run(command, server.env(), region)


def _run(command: list[str], credentials: dict[str, str], region: str | None) -> int:
    env, removed = child_environment(os.environ, credentials, region)
    if removed:
        logger.info(
            "Removed from the child's environment (they would compete with these credentials): %s",
            ", ".join(removed),
        )
    try:
        code: int = run_child(command, env)
    except FileNotFoundError:
        print(f"refreshable-sso: error: command not found: {command[0]}", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"refreshable-sso: error: permission denied: {command[0]}", file=sys.stderr)
        return 126
    return code
