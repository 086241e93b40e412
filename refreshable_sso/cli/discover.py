"""``refreshable-sso accounts`` and ``refreshable-sso roles``: what a sign-in can reach.

The sign-in is named as for ``login``: ``--profile``, ``--sso-session`` (from ``~/.aws/config``)
or ``--start-url`` with ``--sso-region``. The cached token is used (and refreshed) exactly as a
session would; nothing here logs in. Rows are printed as they arrive; ``--json`` prints one
JSON array at the end instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from refreshable_sso import discovery
from refreshable_sso.cli.auth import add_sign_in_arguments, resolve_sign_in
from refreshable_sso.tokens.cached import CachedTokenProvider


def _add_sign_in(parser: argparse.ArgumentParser) -> None:
    add_sign_in_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of rows")


def register(subparsers: Any) -> None:
    """Add the ``accounts`` and ``roles`` commands."""
    accounts: argparse.ArgumentParser = subparsers.add_parser(
        "accounts",
        help="list the AWS accounts this sign-in can reach",
        description="List the accounts in which the signed-in user has at least one role.",
    )
    _add_sign_in(accounts)
    accounts.set_defaults(handler=_accounts)

    roles: argparse.ArgumentParser = subparsers.add_parser(
        "roles",
        help="list the roles this sign-in can assume (in one, several or all accounts)",
        description=(
            "List the roles (permission sets) the signed-in user can assume. Without "
            "--account-id, every reachable account is listed, several at a time."
        ),
    )
    _add_sign_in(roles)
    roles.add_argument(
        "--account-id",
        dest="account_ids",
        action="append",
        metavar="ID",
        help="a 12-digit account id (repeat for several; default: every account)",
    )
    roles.add_argument(
        "--max-workers",
        type=int,
        default=8,
        metavar="N",
        help="accounts listed concurrently (default 8)",
    )
    roles.set_defaults(handler=_roles)


def _provider(args: argparse.Namespace) -> tuple[CachedTokenProvider, str]:
    sign_in = resolve_sign_in(args)
    provider = CachedTokenProvider(
        sign_in.start_url, sign_in.sso_region, sso_session_name=sign_in.sso_session_name
    )
    return provider, sign_in.sso_region


def _accounts(args: argparse.Namespace) -> int:
    provider, region = _provider(args)
    rows = discovery.list_accounts(provider, region)
    return _print(rows, args.json, lambda a: f"{a.account_id}  {a.account_name}  {a.email or ''}")


def _roles(args: argparse.Namespace) -> int:
    provider, region = _provider(args)
    rows = discovery.list_roles(provider, region, args.account_ids, max_workers=args.max_workers)
    return _print(
        rows,
        args.json,
        lambda r: (
            f"{r.account_id}  {r.role_name}" + (f"  {r.account_name}" if r.account_name else "")
        ),
    )


def _print(rows: Iterator[Any], as_json: bool, line: Callable[[Any], str]) -> int:
    """Rows as they arrive (a listing of hundreds of accounts streams), or one JSON array."""
    if as_json:
        json.dump([dataclasses.asdict(row) for row in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        print(line(row), flush=True)
    return 0
