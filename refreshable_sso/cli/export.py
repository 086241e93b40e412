"""``refreshable-sso export``: the role's credentials as environment variables (or JSON) for
tools that only read ``AWS_ACCESS_KEY_ID`` and friends.

These are static: they stop working at ``AWS_CREDENTIAL_EXPIRATION``. For a program that runs
longer, ``refreshable-sso exec`` hands it a refreshing endpoint instead.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from refreshable_sso.cli._target import add_target_arguments, build_session, fresh_credentials
from refreshable_sso.serving.shells import FORMATS, render, render_json


def register(subparsers: Any) -> None:
    """Add the ``export`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="print the role's credentials as shell/env-file variables or JSON",
        description=(
            "Print AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
            "AWS_CREDENTIAL_EXPIRATION (and AWS_REGION/AWS_DEFAULT_REGION when the profile has "
            'a region), quoted for the chosen format. Example: eval "$(refreshable-sso export '
            '--profile dev)". The values are secrets: do not write them to shared files.'
        ),
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env: export X=v (sh, bash, zsh); dotenv: X=v; fish: set -gx X v; "
        'powershell: $Env:X = "v"; json: the credential_process JSON (default env)',
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    session = build_session(args)
    served = fresh_credentials(session)
    if args.format == "json":
        sys.stdout.write(render_json(served.credential_process()))
    else:
        sys.stdout.write(render(served.environment(session.region_name), args.format))
    return 0
