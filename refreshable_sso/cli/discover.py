"""``refreshable-sso accounts`` and ``refreshable-sso roles``: what a sign-in can reach.

The sign-in is named as for ``login``: ``--profile``, ``--sso-session`` (from ``~/.aws/config``)
or ``--start-url`` with ``--sso-region`` (else ``$AWS_PROFILE``, then ``default``). The cached
token is used (and refreshed) exactly as a session would; nothing here logs in. Rows are
printed as an aligned table with a header; ``--json`` prints one JSON array instead.

Every portal call gets the library's default attempts (``--max-attempts``), so a hung portal
ends the listing in about 20 s; ``roles`` lists accounts concurrently, so the wait is not
multiplied by the number of accounts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from refreshable_sso import _clock
from refreshable_sso.cli._progress import waiting
from refreshable_sso.cli.auth import add_sign_in_arguments, resolve_sign_in

if TYPE_CHECKING:
    from refreshable_sso.tokens.cached import CachedTokenProvider

DEFAULT_MAX_ATTEMPTS = 3  # as _aws.DEFAULT_HTTP: a hung portal fails in about 20 s


def _add_sign_in(parser: argparse.ArgumentParser) -> None:
    add_sign_in_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of rows")
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"attempts per portal call, retrying throttling and timeouts "
        f"(default {DEFAULT_MAX_ATTEMPTS}; raise it for a heavily throttled directory)",
    )


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
    from refreshable_sso.tokens.cached import CachedTokenProvider

    if args.max_attempts < 1:
        from refreshable_sso.errors import ConfigurationError

        raise ConfigurationError(
            f"--max-attempts must be at least 1, got {args.max_attempts}",
            [f"--max-attempts: {args.max_attempts} < 1"],
        )
    sign_in = resolve_sign_in(args)
    provider = CachedTokenProvider(
        sign_in.start_url, sign_in.sso_region, sso_session_name=sign_in.sso_session_name
    )
    return provider, sign_in.sso_region


def _accounts(args: argparse.Namespace) -> int:
    from refreshable_sso import discovery

    provider, region = _provider(args)
    with waiting(f"IAM Identity Center (sso.{region})"), _stating_waits(args.max_attempts):
        rows = list(discovery.list_accounts(provider, region, max_attempts=args.max_attempts))
    return _print(
        rows,
        args.json,
        ("ACCOUNT ID", "NAME", "EMAIL"),
        [(a.account_id, a.account_name, a.email or "") for a in rows],
    )


def _roles(args: argparse.Namespace) -> int:
    from refreshable_sso import discovery

    provider, region = _provider(args)
    with waiting(f"IAM Identity Center (sso.{region})"), _stating_waits(args.max_attempts):
        rows = list(
            discovery.list_roles(
                provider,
                region,
                args.account_ids,
                max_workers=args.max_workers,
                max_attempts=args.max_attempts,
            )
        )
    return _print(
        rows,
        args.json,
        ("ACCOUNT ID", "ROLE", "ACCOUNT NAME"),
        [(r.account_id, r.role_name, r.account_name or "") for r in rows],
    )


@contextmanager
def _stating_waits(max_attempts: int) -> Iterator[None]:
    """A listing that timed out says how long the command waited, and why (attempts x timeout)."""
    from refreshable_sso import _aws
    from refreshable_sso.errors import DiscoveryError

    started = _clock.monotonic()
    try:
        yield
    except DiscoveryError as exc:
        cause = exc.__cause__
        if cause is None or not _aws.is_timeout(cause):
            raise
        http = _aws.DEFAULT_HTTP.model_copy(update={"max_attempts": max_attempts})
        waited = _aws.describe_wait(cause, http, _clock.monotonic() - started)
        raise DiscoveryError(
            f"{exc}; IAM Identity Center gave {waited}. Check the network and the SSO "
            "endpoint (AWS_ENDPOINT_URL_SSO), or try again later"
        ) from cause


def format_table(header: Sequence[str], cells: Iterable[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart, header first; trailing blanks trimmed."""
    table = [list(header), *(list(row) for row in cells)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]


def _print(
    rows: list[Any], as_json: bool, header: Sequence[str], cells: list[tuple[str, ...]]
) -> int:
    """An aligned table with a header, or one JSON array."""
    if as_json:
        json.dump([dataclasses.asdict(row) for row in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for line in format_table(header, cells):
        print(line)
    return 0
