"""Which accounts and roles a sign-in can reach (``sso:ListAccounts``, ``sso:ListAccountRoles``).

Listings are iterators over frozen records, so a caller can start on the first account before
the last page arrives. Roles across many accounts are fetched by a bounded thread pool that
shares one portal client; botocore's retry handler backs off (exponential, with jitter) and
retries when the portal answers 429, with a larger attempt budget than other calls get, so a
throttled fan-out slows down instead of dying on the first throttle. An access token the portal rejects
is renewed once (``force_refresh=True``); if the renewed one is rejected too, a person has to
sign in again (:class:`~refreshable_sso.errors.LoginRequiredError`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.paginate import TokenEncoder

from refreshable_sso.aws import clients as _aws
from refreshable_sso.aws.fanout import ordered_fan_out
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import (
    ConfigurationError,
    DiscoveryError,
    LoginRequiredError,
    UnknownAccountError,
)
from refreshable_sso.tokens.base import TokenProvider

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient

logger = logging.getLogger(__name__)

# A fan-out over hundreds of accounts is exactly the traffic the portal throttles: listings get
# at least this many attempts (botocore's ``standard`` mode: 1 s * 2**n backoff with full jitter
# for throttling errors). ``adaptive`` mode is available through ``http=`` but its client-side
# rate limiter slowed a 250-account listing with 10 % random 429s from ~2 s to over a minute.
LISTING_MIN_ATTEMPTS = 10
DISCOVERY_HTTP = HttpConfig(max_attempts=LISTING_MIN_ATTEMPTS)
PAGE_SIZE = 100  # the portal's maximum for both listings
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_UNAUTHORIZED = "UnauthorizedException"
_NOT_ASSIGNED = frozenset(
    {"ResourceNotFoundException", "ForbiddenException", "AccessDeniedException"}
)


@dataclass(frozen=True)
class AccountInfo:
    """One AWS account the signed-in user has at least one role in."""

    account_id: str
    account_name: str
    email: str | None = None


@dataclass(frozen=True)
class RoleInfo:
    """One role (permission set) the signed-in user can assume in an account.

    ``account_name`` is known when the account came from ``list_accounts`` (listing all
    accounts), and None when the caller named the account id.
    """

    account_id: str
    role_name: str
    account_name: str | None = None


def _listing_http(http: HttpConfig, max_attempts: int | None) -> HttpConfig:
    """The caller's timeouts and retry mode; ``max_attempts`` if given, else at least
    ``LISTING_MIN_ATTEMPTS`` (a session's HTTP settings are sized for single calls)."""
    if max_attempts is not None:
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts must be a positive integer, got {max_attempts!r}",
                [f"max_attempts: {max_attempts!r} is not >= 1"],
            )
        return http.model_copy(update={"max_attempts": max_attempts})
    if http.max_attempts >= LISTING_MIN_ATTEMPTS:
        return http
    return http.model_copy(update={"max_attempts": LISTING_MIN_ATTEMPTS})


class _Portal:
    """One SSO portal client and the current access token, renewed at most once per listing."""

    def __init__(
        self,
        token_provider: TokenProvider,
        sso_region: str,
        endpoint_url: str | None,
        http: HttpConfig,
    ) -> None:
        self._provider = token_provider
        self._client: SSOClient = _aws.sso_client(sso_region, endpoint_url=endpoint_url, http=http)
        self._lock = threading.Lock()
        self._token = token_provider.get_token()
        self._refreshed = False

    def _access_token(self) -> str:
        with self._lock:
            return self._token.access_token.get_secret_value()

    def _renew(self, rejected: str, exc: ClientError) -> None:
        """The portal rejected ``rejected``: force one refresh (shared by every worker)."""
        with self._lock:
            if self._token.access_token.get_secret_value() != rejected:
                return  # another worker already renewed it
            if self._refreshed:
                raise LoginRequiredError(
                    "the portal rejected the access token even after it was refreshed",
                    start_url=self._token.start_url,
                ) from exc
            logger.info("SSO portal rejected the access token; refreshing it once")
            self._token = self._provider.get_token(force_refresh=True)
            self._refreshed = True

    def pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated listing, resuming after an access-token renewal."""
        paginator = self._client.get_paginator(operation)  # type: ignore[call-overload]
        resume: str | None = None
        while True:
            token = self._access_token()
            config: dict[str, Any] = {"PageSize": PAGE_SIZE}
            if resume is not None:
                config["StartingToken"] = TokenEncoder().encode({"nextToken": resume})
            try:
                for page in paginator.paginate(
                    accessToken=token, PaginationConfig=config, **params
                ):
                    yield page
                    resume = page.get("nextToken")
                return
            except ClientError as exc:
                if _aws.error_code(exc) != _UNAUTHORIZED:
                    raise
                self._renew(token, exc)


def _account_ids(account_id: str | Iterable[str]) -> list[str]:
    ids = [account_id] if isinstance(account_id, str) else list(account_id)
    bad = [a for a in ids if not isinstance(a, str) or not _ACCOUNT_ID.match(a)]
    if bad:
        raise ConfigurationError(
            f"account_id must be a 12-digit AWS account id, got {', '.join(map(repr, bad))}",
            [f"account_id: {a!r} is not 12 digits" for a in bad],
        )
    return ids


def _failure(what: str, exc: Exception) -> DiscoveryError:
    code = _aws.error_code(exc)
    status = _aws.status_code(exc)
    detail = f" (HTTP {status}, {code})" if code else ""
    hint = (
        "; the portal kept throttling after every retry: lower max_workers or try again later"
        if code == "TooManyRequestsException"
        else ""
    )
    return DiscoveryError(f"Could not {what}{detail}: {exc}{hint}")


def list_accounts(
    token_provider: TokenProvider,
    sso_region: str,
    *,
    sso_endpoint_url: str | None = None,
    http: HttpConfig = DISCOVERY_HTTP,
    max_attempts: int | None = None,
) -> Iterator[AccountInfo]:
    """Every account the signed-in user can reach, page by page (``sso:ListAccounts``).

    ``http`` gives timeouts and retry mode; each call gets ``max_attempts`` attempts, by default
    the larger of ``http.max_attempts`` and ``LISTING_MIN_ATTEMPTS``.
    """
    portal = _Portal(
        token_provider, sso_region, sso_endpoint_url, _listing_http(http, max_attempts)
    )
    return _accounts(portal)


def _accounts(portal: _Portal) -> Iterator[AccountInfo]:
    try:
        for page in portal.pages("list_accounts"):
            for item in page.get("accountList", []):
                yield AccountInfo(
                    account_id=item["accountId"],
                    account_name=item.get("accountName", ""),
                    email=item.get("emailAddress"),
                )
    except (ClientError, BotoCoreError) as exc:
        raise _failure("list the accounts of this sign-in", exc) from exc


def list_roles(
    token_provider: TokenProvider,
    sso_region: str,
    account_id: str | Iterable[str] | None = None,
    *,
    max_workers: int = 8,
    sso_endpoint_url: str | None = None,
    http: HttpConfig = DISCOVERY_HTTP,
    max_attempts: int | None = None,
) -> Iterator[RoleInfo]:
    """The roles of one account, of several, or (``account_id=None``) of every account.

    Accounts are listed concurrently by at most ``max_workers`` threads; results come out in
    account order. A named account the user has no role in raises
    :class:`~refreshable_sso.errors.UnknownAccountError`. ``http`` and ``max_attempts`` as for
    :func:`list_accounts`.
    """
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(
            f"max_workers must be a positive integer, got {max_workers!r}",
            [f"max_workers: {max_workers!r} is not >= 1"],
        )
    named = None if account_id is None else _account_ids(account_id)
    portal = _Portal(
        token_provider, sso_region, sso_endpoint_url, _listing_http(http, max_attempts)
    )
    return _roles(portal, named, max_workers)


def _roles(portal: _Portal, named: list[str] | None, max_workers: int) -> Iterator[RoleInfo]:
    accounts: Iterable[AccountInfo | str] = _accounts(portal) if named is None else named
    if max_workers == 1 or (named is not None and len(named) == 1):
        for account in accounts:
            yield from _account_roles(portal, account)
        return
    # A bounded window in flight; results handed out in account order.
    yield from ordered_fan_out(
        lambda account: _account_roles(portal, account),
        accounts,
        max_workers,
        thread_name_prefix="sso-discovery",
    )


def _account_roles(portal: _Portal, account: AccountInfo | str) -> list[RoleInfo]:
    named = isinstance(account, str)
    account_id = account if isinstance(account, str) else account.account_id
    account_name = None if isinstance(account, str) else account.account_name
    try:
        roles = [
            RoleInfo(
                account_id=item.get("accountId", account_id),
                role_name=item["roleName"],
                account_name=account_name,
            )
            for page in portal.pages("list_account_roles", accountId=account_id)
            for item in page.get("roleList", [])
        ]
    except ClientError as exc:
        if _aws.error_code(exc) in _NOT_ASSIGNED:
            if named:
                raise UnknownAccountError(account_id, str(exc)) from exc
            # Listed a moment ago, gone now (assignment removed): nothing to report.
            logger.warning("account %s vanished while listing its roles: %s", account_id, exc)
            return []
        raise _failure(f"list the roles of account {account_id}", exc) from exc
    except BotoCoreError as exc:
        raise _failure(f"list the roles of account {account_id}", exc) from exc
    if named and not roles:
        raise UnknownAccountError(account_id, "no role in it is assigned to you")
    return roles


__all__ = [
    "DISCOVERY_HTTP",
    "LISTING_MIN_ATTEMPTS",
    "AccountInfo",
    "RoleInfo",
    "list_accounts",
    "list_roles",
]
