"""What ``refreshable-sso accounts`` and ``refreshable-sso roles`` share: naming the sign-in,
reading its cached token as a session would, stating the waits, and printing rows as an aligned
table (or one JSON array with ``--json``).

The sign-in is named as for ``login``: ``--profile``, ``--sso-session`` (from ``~/.aws/config``)
or ``--start-url`` with ``--sso-region`` (else ``$AWS_PROFILE``, then ``default``). The cached
token is used (and refreshed) exactly as a session would; nothing here logs in.

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
from refreshable_sso.cli._sign_in import add_sign_in_arguments, resolve_sign_in

if TYPE_CHECKING:
    from refreshable_sso.tokens.cached import CachedTokenProvider

DEFAULT_MAX_ATTEMPTS = 3  # as _aws.DEFAULT_HTTP: a hung portal fails in about 20 s


def add_listing_arguments(parser: argparse.ArgumentParser) -> None:
    """The sign-in options, ``--json`` and ``--max-attempts`` of a listing command."""
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


def token_provider(args: argparse.Namespace) -> tuple[CachedTokenProvider, str]:
    """The cached-token reader of the sign-in ``args`` name, and its SSO region."""
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


@contextmanager
def stating_waits(max_attempts: int) -> Iterator[None]:
    """A listing that timed out says how long the command waited, and why (attempts x timeout)."""
    from refreshable_sso.aws import clients as _aws
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


def print_rows(
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
