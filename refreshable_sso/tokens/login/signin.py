"""``login()`` and ``logout()``: sign a person in or out, sharing the AWS CLI's caches.

``login`` returns the cached token while it is valid (refreshing it if it can), and otherwise
signs in through the browser (authorization code + PKCE) or with a device code, storing the
result where ``aws``, plain boto3 and our sessions all find it. ``logout`` does what
``aws sso logout`` does, for one sign-in only: ``sso:Logout``, then removes that sign-in's
token file and its role-credential cache entries, and nothing that belongs to another
sso-session or start URL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.configloader import load_config
from botocore.exceptions import BotoCoreError, ClientError, ConfigNotFound, ConfigParseError

from refreshable_sso.aws import clients as _aws
from refreshable_sso.aws import redact as _redact
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import (
    CacheFileError,
    LoginRequiredError,
    TokenProviderError,
)
from refreshable_sso.profiles.reader import config_file_path
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.keyring import TokenExport, TokenStorageKind
from refreshable_sso.storage.paths import role_credentials_cache_path
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.login.interactive import resolve_login_flow
from refreshable_sso.tokens.login.options import (
    DEFAULT_LOGIN_TIMEOUT,
    BrowserOpener,
    LoginOptions,
    PromptCallback,
)
from refreshable_sso.tokens.login.policy import LOCK_GRACE, interactive_provider, store_login_lock
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from refreshable_sso.tokens.store import TokenCache

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.signin")

#: ``login()`` signs in again when the cached token has less than this many seconds left
#: and cannot be refreshed.
DEFAULT_MIN_VALID = 900.0


def login(
    start_url: str,
    sso_region: str,
    *,
    sso_session_name: str | None = None,
    force: bool = False,
    use_device_code: bool = False,
    open_browser: bool = True,
    message: str | None = None,
    prompt_callback: PromptCallback | None = None,
    browser_opener: BrowserOpener | None = None,
    timeout: float = DEFAULT_LOGIN_TIMEOUT,
    cancel_event: threading.Event | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    flow: str | None = None,
    min_valid: float = DEFAULT_MIN_VALID,
    oidc_endpoint_url: str | None = None,
    cache_dir: Path | None = None,
    http: HttpConfig = _aws.DEFAULT_HTTP,
    token_storage: TokenStorageKind | None = "file",  # noqa: S107 (a storage kind)
    token_export: TokenExport | None = "short-lived",  # noqa: S107 (a mode name)
    new_session: bool = False,
    sso_endpoint_url: str | None = None,
    options: LoginOptions | None = None,
) -> SSOToken:
    """Make sure the person is signed in; return a valid access token.

    A sign-in inside a live portal session joins it and ends when it ends (IAM Identity
    Center's rule); ``new_session=True`` ends it first with ``sso:Logout`` so the sign-in
    starts a new session with its full duration (this implies ``force``).

    Unless ``force``, the cached token is returned without asking anyone when it has more than
    ``min_valid`` seconds left, or when refreshing it right away works (which shows the
    sign-in session is still alive). Otherwise: a browser
    sign-in (PKCE) where a browser can open, a device code elsewhere (``use_device_code=True``
    or ``flow="device"`` always uses the device code; ``REFRESHABLE_SSO_LOGIN_FLOW`` sets the
    default). ``message``/``prompt_callback``/``browser_opener`` decide how the person is told.
    Raises ``LoginDeniedError``, ``LoginExpiredError``, ``LoginTimeoutError`` or
    ``LoginCancelledError`` when the sign-in does not complete.

    ``token_storage="keyring"`` keeps the token and the client registration in the OS keyring
    (``"file"``, the default: the AWS CLI's files); ``token_export`` then says what reaches the
    AWS CLI's token file: ``"short-lived"`` (default: the access token alone) or ``"none"``.
    A keyring that is missing or locked raises ``KeyringUnavailableError``.

    Args:
        start_url: The AWS access portal URL of IAM Identity Center.
        sso_region: The region where IAM Identity Center is enabled.
        sso_session_name: The ``[sso-session NAME]`` (None: a legacy profile).
        force: Sign in even when the cached token is still good.
        use_device_code: Use the device code even where a browser could open (the same as
            ``flow="device"``).
        min_valid: Seconds the cached token must still be valid to be returned as it is.
        options: How the sign-in runs and where the token goes (:class:`LoginOptions`),
            handed whole to the provider. The keywords below are the same fields one by one;
            give either ``options`` or them.
        open_browser: See ``LoginOptions.open_browser``.
        message: See ``LoginOptions.message``.
        prompt_callback: See ``LoginOptions.prompt_callback``.
        browser_opener: See ``LoginOptions.browser_opener``.
        timeout: See ``LoginOptions.timeout``.
        cancel_event: See ``LoginOptions.cancel_event``.
        scopes: See ``LoginOptions.scopes``.
        flow: See ``LoginOptions.flow``.
        oidc_endpoint_url: See ``LoginOptions.oidc_endpoint_url``.
        cache_dir: See ``LoginOptions.cache_dir``.
        http: See ``LoginOptions.http``.
        token_storage: See ``LoginOptions.token_storage``.
        token_export: See ``LoginOptions.token_export``.
        new_session: See ``LoginOptions.new_session``.
        sso_endpoint_url: See ``LoginOptions.sso_endpoint_url``.
    """
    options = LoginOptions.from_keywords(
        options,
        "login()",
        flow="device" if use_device_code else flow,
        open_browser=open_browser,
        message=message,
        prompt_callback=prompt_callback,
        browser_opener=browser_opener,
        timeout=timeout,
        cancel_event=cancel_event,
        scopes=tuple(scopes),
        oidc_endpoint_url=oidc_endpoint_url,
        cache_dir=cache_dir,
        http=http,
        token_storage=token_storage,
        token_export=token_export,
        new_session=new_session,
        sso_endpoint_url=sso_endpoint_url,
    )
    resolve_login_flow(options.flow)  # a bad REFRESHABLE_SSO_LOGIN_FLOW fails before anything
    force = force or options.new_session
    if not force:
        cached = _valid_cached_token(start_url, sso_region, sso_session_name, min_valid, options)
        if cached is not None:
            logger.info("already signed in; token valid until %s", cached.expires_at.isoformat())
            return cached
    provider = interactive_provider(start_url, sso_region, sso_session_name, options)
    # The login lock sessions with login="auto" use: they wait for this login and pick it up.
    with store_login_lock(
        provider.token_cache, options.timeout + LOCK_GRACE, sso_session_name or start_url
    ):
        if not force:  # another process may have signed in while we waited for the lock
            cached = _valid_cached_token(
                start_url, sso_region, sso_session_name, min_valid, options
            )
            if cached is not None:
                return cached
        return provider.login()


def _valid_cached_token(
    start_url: str,
    sso_region: str,
    sso_session_name: str | None,
    min_valid: float,
    options: LoginOptions,
) -> SSOToken | None:
    provider = _cached_reader(start_url, sso_region, sso_session_name, options, min_valid)
    try:
        token = provider.get_token()
        if not token.expires_within(min_valid):
            return token
        if not token.can_refresh():
            logger.info("signing in: the cached token expires within %.0f s", min_valid)
            return None
        # Refresh now: a refresh that works proves the sign-in session is still alive.
        token = provider.get_token(force_refresh=True)
    except (LoginRequiredError, TokenProviderError, CacheFileError) as exc:
        logger.info("signing in: %s", getattr(exc, "reason", None) or exc)
        return None
    return None if token.expires_within(0) else token


def _cached_reader(
    start_url: str,
    sso_region: str,
    sso_session_name: str | None,
    options: LoginOptions,
    refresh_window: float,
) -> CachedTokenProvider:
    """The AWS-CLI token cache reader (with refresh) where ``options`` keep the token."""
    return CachedTokenProvider(
        start_url,
        sso_region,
        sso_session_name=sso_session_name,
        cache_dir=options.cache_dir,
        refresh_window=max(refresh_window, 0.0),
        oidc_endpoint_url=options.oidc_endpoint_url,
        http=options.http,
        token_cache=options.token_cache,
        token_storage=options.storage(),
    )


@dataclass(frozen=True)
class LogoutResult:
    """What ``logout`` did: whether IAM Identity Center ended the sign-in, which files went."""

    signed_out: bool
    removed: tuple[Path, ...]


def logout(
    start_url: str,
    sso_region: str,
    *,
    sso_session_name: str | None = None,
    roles: Iterable[tuple[str, str]] = (),
    cache_dir: Path | None = None,
    cli_cache_dir: Path | None = None,
    config_file: Path | None = None,
    sso_endpoint_url: str | None = None,
    oidc_endpoint_url: str | None = None,
    http: HttpConfig = _aws.DEFAULT_HTTP,
    token_storage: TokenStorageKind | None = "file",  # noqa: S107 (a storage kind)
    options: LoginOptions | None = None,
) -> LogoutResult:
    """Sign out of one sign-in (sso-session, or start URL for legacy profiles).

    Calls ``sso:Logout`` with the cached token (refreshed first if it has expired but can be
    refreshed), then removes the token file and the role-credential cache entries of that
    sign-in. Those entries are named ``sha1(accountId, roleName, sessionName|startUrl)``, so
    they are found by computing the names for every account/role the token can reach
    (``ListAccounts``/``ListAccountRoles``, asked before ``Logout``), every profile in the AWS
    config file that uses this sign-in, and ``roles``; entries of other sign-ins have other
    names and are never touched. Errors talking to AWS are logged, never raised: the local
    files go regardless. ``token_storage="keyring"``: the keyring entry goes too.

    Args:
        start_url: The AWS access portal URL of IAM Identity Center.
        sso_region: The region where IAM Identity Center is enabled.
        sso_session_name: The ``[sso-session NAME]`` (None: a legacy profile).
        roles: More ``(account_id, role_name)`` pairs whose role-credential entries to remove.
        cli_cache_dir: The AWS CLI's role-credential cache folder (default
            ``~/.aws/cli/cache``).
        config_file: The AWS config file whose profiles name roles (default: as the CLI).
        sso_endpoint_url: The SSO portal endpoint (``Logout``, the listings); None: the
            region's, or ``AWS_ENDPOINT_URL_SSO``.
        options: The same :class:`LoginOptions` the sign-in used: ``cache_dir``,
            ``token_cache``, ``oidc_endpoint_url`` and ``http`` say where the token is and how
            to reach IAM Identity Center (``http`` serves the SSO portal calls too), and
            ``token_storage`` where it lives. Give either ``options`` or the four keywords
            below.
        cache_dir: See ``LoginOptions.cache_dir``.
        oidc_endpoint_url: See ``LoginOptions.oidc_endpoint_url``.
        http: See ``LoginOptions.http``.
        token_storage: See ``LoginOptions.token_storage``.
    """
    options = LoginOptions.from_keywords(
        options,
        "logout()",
        cache_dir=cache_dir,
        oidc_endpoint_url=oidc_endpoint_url,
        http=http,
        token_storage=token_storage,
    )
    http = options.http
    token_cache = TokenCache(
        start_url,
        sso_session_name,
        options.cache_dir,
        mapping=options.token_cache,
        storage=options.storage(),
    )
    token = _token_for_logout(start_url, sso_region, sso_session_name, options)
    candidates: set[tuple[str, str]] = {(str(a), str(r)) for a, r in roles}
    candidates |= _profile_roles(start_url, sso_session_name, config_file)
    signed_out = False
    if token is not None:
        _redact.install()  # botocore's DEBUG logs would otherwise show the bearer token
        client = _aws.sso_client(sso_region, endpoint_url=sso_endpoint_url, http=http)
        candidates |= _reachable_roles(client, token)
        signed_out = _sign_out(client, token)
    removed: list[Path] = []
    if token_cache.delete():
        removed.append(token_cache.path)
    for account_id, role_name in sorted(candidates):
        entry = JsonFileRecord(
            role_credentials_cache_path(
                account_id,
                role_name,
                sso_session_name=sso_session_name,
                start_url=start_url,
                cache_dir=cli_cache_dir,
            )
        )
        if entry.delete():
            removed.append(entry.path)
    logger.info(
        "signed out of %s (server: %s); removed %d cache file(s)",
        sso_session_name or start_url,
        "ended" if signed_out else "not contacted or failed",
        len(removed),
    )
    return LogoutResult(signed_out=signed_out, removed=tuple(removed))


def _token_for_logout(
    start_url: str, sso_region: str, sso_session_name: str | None, options: LoginOptions
) -> SSOToken | None:
    provider = _cached_reader(start_url, sso_region, sso_session_name, options, 0.0)
    try:
        return provider.get_token()
    except (LoginRequiredError, TokenProviderError, CacheFileError) as exc:
        logger.info("no usable token to sign out with: %s", getattr(exc, "reason", None) or exc)
        return None


def _reachable_roles(client: SSOClient, token: SSOToken) -> set[tuple[str, str]]:
    """Every (account, role) the token can reach (their cache entries may exist)."""
    access_token = token.access_token.get_secret_value()
    found: set[tuple[str, str]] = set()
    try:
        for page in client.get_paginator("list_accounts").paginate(accessToken=access_token):
            for account in page.get("accountList", []):
                account_id = account.get("accountId")
                if not account_id:
                    continue
                roles = client.get_paginator("list_account_roles").paginate(
                    accessToken=access_token, accountId=account_id
                )
                for role_page in roles:
                    for role in role_page.get("roleList", []):
                        if role.get("roleName"):
                            found.add((account_id, role["roleName"]))
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            "could not list the accounts and roles of this sign-in (%s); only role credential "
            "entries named by profiles are removed",
            _aws.error_code(exc) or type(exc).__name__,
        )
    return found


def _sign_out(client: SSOClient, token: SSOToken) -> bool:
    try:
        client.logout(accessToken=token.access_token.get_secret_value())
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            "IAM Identity Center did not accept the sign-out (%s); removing local files anyway",
            _aws.error_code(exc) or type(exc).__name__,
        )
        return False
    return True


def _profile_roles(
    start_url: str, sso_session_name: str | None, config_file: Path | None
) -> set[tuple[str, str]]:
    """(account, role) of every profile in the AWS config file that uses this sign-in."""
    path = config_file or config_file_path()
    try:
        config = load_config(str(path))
    except (ConfigNotFound, ConfigParseError) as exc:
        logger.debug("no profiles read from %s: %s", path, exc)
        return set()
    found: set[tuple[str, str]] = set()
    for profile in config.get("profiles", {}).values():
        account_id = str(profile.get("sso_account_id", "")).strip()
        role_name = str(profile.get("sso_role_name", "")).strip()
        if not account_id or not role_name:
            continue
        session = str(profile.get("sso_session", "")).strip() or None
        if sso_session_name is not None:
            if session == sso_session_name:
                found.add((account_id, role_name))
        elif session is None and str(profile.get("sso_start_url", "")).strip() == start_url:
            found.add((account_id, role_name))
    return found


__all__ = ["DEFAULT_MIN_VALID", "LogoutResult", "login", "logout"]
