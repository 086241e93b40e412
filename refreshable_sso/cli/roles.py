"""``refreshable-sso roles``: the roles a sign-in can assume, in one, several or every account
(listed concurrently; see ``cli/_listing.py``)."""

from __future__ import annotations

import argparse
from typing import Any

from refreshable_sso.cli._listing import (
    add_listing_arguments,
    print_rows,
    stating_waits,
    token_provider,
)
from refreshable_sso.cli._progress import waiting


def register(subparsers: Any) -> None:
    """Add the ``roles`` command."""
    roles: argparse.ArgumentParser = subparsers.add_parser(
        "roles",
        help="list the roles this sign-in can assume (in one, several or all accounts)",
        description=(
            "List the roles (permission sets) the signed-in user can assume. Without "
            "--account-id, every reachable account is listed, several at a time."
        ),
    )
    add_listing_arguments(roles)
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


def _roles(args: argparse.Namespace) -> int:
    from refreshable_sso import discovery

    provider, region = token_provider(args)
    with waiting(f"IAM Identity Center (sso.{region})"), stating_waits(args.max_attempts):
        rows = list(
            discovery.list_roles(
                provider,
                region,
                args.account_ids,
                max_workers=args.max_workers,
                max_attempts=args.max_attempts,
            )
        )
    return print_rows(
        rows,
        args.json,
        ("ACCOUNT ID", "ROLE", "ACCOUNT NAME"),
        [(r.account_id, r.role_name, r.account_name or "") for r in rows],
    )
