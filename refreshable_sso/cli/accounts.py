"""``refreshable-sso accounts``: the AWS accounts a sign-in can reach (see ``cli/_listing.py``)."""

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
    """Add the ``accounts`` command."""
    accounts: argparse.ArgumentParser = subparsers.add_parser(
        "accounts",
        help="list the AWS accounts this sign-in can reach",
        description="List the accounts in which the signed-in user has at least one role.",
    )
    add_listing_arguments(accounts)
    accounts.set_defaults(handler=_accounts)


def _accounts(args: argparse.Namespace) -> int:
    from refreshable_sso import discovery

    provider, region = token_provider(args)
    with waiting(f"IAM Identity Center (sso.{region})"), stating_waits(args.max_attempts):
        rows = list(discovery.list_accounts(provider, region, max_attempts=args.max_attempts))
    return print_rows(
        rows,
        args.json,
        ("ACCOUNT ID", "NAME", "EMAIL"),
        [(a.account_id, a.account_name, a.email or "") for a in rows],
    )
