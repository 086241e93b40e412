"""aws-sso-lib's functions, with its signatures and return shapes, on our machinery.

For scripts written against aws-sso-lib: change the import, keep the calls. Each function
only translates arguments and results and delegates: sessions are
:class:`~refreshable_sso.SSORefreshableSession`, sign-in is our device-code provider, listings
are :mod:`refreshable_sso.discovery`, and ``sso_cache``/``credential_cache`` dicts go to the
mapping stores (:mod:`refreshable_sso.mappingstore`), with the same keys and values
aws-sso-lib and botocore use. A sign-in into an ``sso_cache`` dict keeps the OIDC client
registration in that dict too (as aws-sso-lib does) and writes nothing to disk. ``list_assignments`` is :func:`refreshable_sso.admin.list_assignments`.
This ``login`` is aws-sso-lib's; :func:`refreshable_sso.login` keeps its own signature.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import IO, Any

from refreshable_sso import discovery
from refreshable_sso.admin.assignments import Assignment, list_assignments
from refreshable_sso.errors import CacheFileError, LoginRequiredError, TokenProviderError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.base import SSOToken, format_cache_time
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.options import LoginOptions
from refreshable_sso.tokens.login.signin import DEFAULT_MIN_VALID

CacheMapping = MutableMapping[str, Any]
UserAuthHandler = Callable[..., Any]
#: What aws-sso-lib names an account it was given (not listed) by id.
UNKNOWN_ACCOUNT_NAME = "UNKNOWN"


def _account_id(value: str | int) -> str:
    return f"{value:012d}" if isinstance(value, int) else str(value)


def _seconds(window: timedelta | float | Callable[[], timedelta | float] | None) -> float:
    if callable(window):
        window = window()
    if window is None:
        return DEFAULT_MIN_VALID
    return window.total_seconds() if isinstance(window, timedelta) else float(window)


def _token_dict(token: SSOToken) -> dict[str, Any]:
    """The CreateToken-shaped dict aws-sso-lib's ``login`` returns (no refresh secrets)."""
    return {
        "startUrl": token.start_url,
        "region": token.region,
        "accessToken": token.access_token.get_secret_value(),
        "expiresAt": format_cache_time(token.expires_at),
    }


def _notifier(message: str | bool | None, outfile: IO[str] | bool | None) -> Callable[[str], None]:
    if message is False or outfile is False:
        return lambda text: None
    stream: IO[str] = sys.stderr if outfile is None or outfile is True else outfile
    return lambda text: print(text, file=stream, flush=True)


def _prompt(handler: UserAuthHandler | None) -> Callable[[str, str, str, datetime], None] | None:
    if handler is None:
        return None

    def prompt(uri: str, code: str, uri_complete: str, expires_at: datetime) -> None:
        handler(
            verificationUri=uri,
            userCode=code,
            verificationUriComplete=uri_complete,
            expiresAt=expires_at,
        )

    return prompt


def login(
    start_url: str,
    sso_region: str,
    *,
    force_refresh: bool = False,
    expiry_window: timedelta | float | Callable[[], timedelta | float] | None = None,
    disable_browser: bool | None = None,
    message: str | bool | None = None,
    outfile: IO[str] | bool | None = None,
    user_auth_handler: UserAuthHandler | None = None,
    sso_cache: CacheMapping | None = None,
) -> dict[str, Any]:
    """aws-sso-lib's ``login``: the cached token if valid for ``expiry_window`` (refreshed when
    it can be), else a device-code sign-in. ``disable_browser=None`` honours
    ``AWS_SSO_DISABLE_BROWSER``; ``message=False`` prints nothing; ``user_auth_handler`` gets
    ``verificationUri``, ``userCode``, ``verificationUriComplete`` and ``expiresAt``."""
    window = _seconds(expiry_window)
    if not force_refresh:
        cached = CachedTokenProvider(
            start_url, sso_region, refresh_window=window, token_cache=sso_cache
        )
        try:
            token = cached.get_token()
            if not token.expires_within(window):
                return _token_dict(token)
        except (LoginRequiredError, TokenProviderError, CacheFileError):
            pass
    options = LoginOptions(
        open_browser=not disable_browser,  # None: UserPrompt checks AWS_SSO_DISABLE_BROWSER
        message=message if isinstance(message, str) else None,
        prompt_callback=_prompt(user_auth_handler),
        notifier=_notifier(message, outfile),
        token_cache=sso_cache,  # the token and the client registration, as aws-sso-lib keeps them
    )
    return _token_dict(DeviceCodeProvider(start_url, sso_region, options=options).login())


_login = login


def get_boto3_session(
    start_url: str,
    sso_region: str,
    account_id: str | int,
    role_name: str,
    *,
    region: str,
    login: bool = False,
    sso_cache: CacheMapping | None = None,
    credential_cache: CacheMapping | None = None,
) -> SSORefreshableSession:
    """aws-sso-lib's ``get_boto3_session``, returning an :class:`SSORefreshableSession`
    (a ``boto3.Session`` whose role credentials refresh)."""
    if login:
        _login(start_url, sso_region, sso_cache=sso_cache)
    return SSORefreshableSession(
        start_url=start_url,
        sso_region=sso_region,
        account_id=_account_id(account_id),
        role_name=role_name,
        region_name=region,
        login="never",
        token_cache=sso_cache,
        credential_cache=credential_cache,
    )


def _provider(
    start_url: str, sso_region: str, login: bool, sso_cache: CacheMapping | None
) -> CachedTokenProvider:
    if login:
        _login(start_url, sso_region, sso_cache=sso_cache)
    return CachedTokenProvider(start_url, sso_region, token_cache=sso_cache)


def list_available_accounts(
    start_url: str,
    sso_region: str,
    *,
    login: bool = False,
    sso_cache: CacheMapping | None = None,
) -> Iterator[tuple[str, str]]:
    """``(account_id, account_name)`` for every account the sign-in reaches."""
    provider = _provider(start_url, sso_region, login, sso_cache)
    for account in discovery.list_accounts(provider, sso_region):
        yield account.account_id, account.account_name


def list_available_roles(
    start_url: str,
    sso_region: str,
    account_id: str | int | Iterable[str | int] | None = None,
    *,
    login: bool = False,
    sso_cache: CacheMapping | None = None,
) -> Iterator[tuple[str, str, str]]:
    """``(account_id, account_name, role_name)``; accounts given by id are named "UNKNOWN"."""
    provider = _provider(start_url, sso_region, login, sso_cache)
    named = (
        None
        if not account_id
        else [_account_id(account_id)]
        if isinstance(account_id, (str, int))
        else [_account_id(a) for a in account_id]
    )
    for role in discovery.list_roles(provider, sso_region, named):
        yield role.account_id, role.account_name or UNKNOWN_ACCOUNT_NAME, role.role_name


__all__ = [
    "Assignment",
    "get_boto3_session",
    "list_assignments",
    "list_available_accounts",
    "list_available_roles",
    "login",
]
