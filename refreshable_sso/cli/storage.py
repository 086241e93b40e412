"""``refreshable-sso storage migrate --to keyring|file``: move one sign-in's refresh token,
access token and client registration between the AWS CLI's plain JSON files and the OS keyring,
both ways, without signing in again (``refreshable_sso.tokens.migrate`` does the work), and
remember the choice in the sso-session section. The sign-in is named as for ``login`` (see
``cli/_sign_in.py``); the library is imported inside the handler only, so ``--help`` stays light.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Literal

from refreshable_sso.cli._sign_in import add_sign_in_arguments, resolve_sign_in


def register(subparsers: Any) -> None:
    """Add the ``storage`` command and its ``migrate`` subcommand."""
    storage_parser: argparse.ArgumentParser = subparsers.add_parser(
        "storage",
        help="where a sign-in's secrets live: move them between files and the OS keyring",
        description=(
            "Manage where a sign-in's refresh token, access token and client secret live: the "
            "AWS CLI's plain JSON files (~/.aws/sso/cache) or the OS keyring."
        ),
    )
    actions = storage_parser.add_subparsers(dest="storage_action", metavar="ACTION")
    actions.required = True
    migrate: argparse.ArgumentParser = actions.add_parser(
        "migrate",
        help="move one sign-in's secrets to the OS keyring or back to files",
        description=(
            "Move one sign-in's token (with its refresh token) and client registration to the "
            "OS keyring, removing the plain-text copies (with --export short-lived, the default, "
            "the AWS CLI's token file keeps the access token alone, as a keyring sign-in "
            "writes it), or back to the AWS CLI's files, removing the keyring entries. Nothing "
            "is lost and no new sign-in is needed; the choice is remembered in the sso-session "
            "section (refreshable_sso_token_storage). Running it again changes nothing."
        ),
    )
    add_sign_in_arguments(migrate)
    migrate.add_argument(
        "--to", required=True, choices=("keyring", "file"), help="where the secrets go"
    )
    migrate.add_argument(
        "--export",
        choices=("short-lived", "none"),
        help=(
            "with --to keyring, what stays in the AWS CLI's token file: the access token alone "
            "(short-lived; default: what is remembered, else short-lived) or nothing (none)"
        ),
    )
    migrate.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    from refreshable_sso.profiles.editor import sso_session_section
    from refreshable_sso.tokens.migrate import migrate_sign_in, remember_token_storage

    target = resolve_sign_in(args)
    chosen = args.export or target.token_export or "short-lived"
    export: Literal["short-lived", "none"] = "none" if chosen == "none" else "short-lived"
    result = migrate_sign_in(
        target.start_url,
        target.sso_region,
        to=args.to,
        sso_session_name=target.sso_session_name,
        export=export,
        scopes=target.scopes,
    )
    who = target.sso_session_name or target.start_url
    where = "the OS keyring" if args.to == "keyring" else "the AWS CLI's files"
    if result.moved:
        print(f"{who}: moved the {' and '.join(result.moved)} to {where}.")
    elif not result.changed:
        print(f"{who}: the secrets already live in {where}; nothing to move.")
    for label in result.removed:
        print(f"  removed {label}")
    if target.sso_session_name is None:
        print(
            f"No sso-session section to remember token storage {args.to!r} in: pass "
            f"token_storage={args.to!r} to every session of this sign-in, or use an sso-session.",
            file=sys.stderr,
        )
        return 0
    path = remember_token_storage(target.sso_session_name, args.to, export)
    if path is not None:
        section = sso_session_section(target.sso_session_name)
        print(f"Remembered token storage {args.to!r} in [{section}] of {path}.")
    return 0
