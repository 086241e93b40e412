"""The default token provider: the AWS CLI's token cache, refreshed with the refresh_token grant.

It reads the token ``aws sso login`` (or our own login) left in ``~/.aws/sso/cache``. While the
token has more than ``refresh_window`` seconds left it is returned from memory (the file is
re-read only when it changes). Inside the window the provider takes the file's lock, looks
again (another process may have refreshed already: then that token is used), and otherwise
calls ``sso-oidc:CreateToken`` with the refresh token, saving the rotated refresh token
atomically before anyone else can read the file. So any number of processes refreshing at
the same moment spend each single-use refresh token once.

A refresh that fails while the current token is still valid is logged and the valid token
is returned (the next attempt comes after a short pause). When no token can be had, the
error says why: :class:`~refreshable_sso.errors.LoginRequiredError` when only signing in
again helps, :class:`~refreshable_sso.errors.TokenProviderError` for transient trouble.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from refreshable_sso import _clock
from refreshable_sso.aws import redact as _redact
from refreshable_sso.aws.clients import (
    DEFAULT_HTTP,
    describe_wait,
    error_code,
    error_message,
    is_timeout,
    oidc_client,
    status_code,
)
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import CacheFileError, LoginRequiredError, TokenProviderError
from refreshable_sso.storage.base import RecordVersion as FileVersion
from refreshable_sso.storage.files import CacheLockTimeoutError
from refreshable_sso.tokens.base import SSOToken, format_cache_time
from refreshable_sso.tokens.store import TokenCache

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

    from refreshable_sso.storage.keyring import TokenStorage

logger = logging.getLogger(__name__)

REFRESH_GRANT = "refresh_token"

# CreateToken error codes after which only a new sign-in helps, and what they mean.
_LOGIN_REASONS = {
    "InvalidGrantException": (
        "the refresh token was rejected (InvalidGrantException): the sign-in session has "
        "ended, or the refresh token was already used or has been revoked"
    ),
    "InvalidClientException": (
        "the client registration used to refresh the token is no longer valid "
        "(InvalidClientException)"
    ),
    "UnauthorizedClientException": (
        "the client registration may not use the refresh_token grant (UnauthorizedClientException)"
    ),
    "ExpiredTokenException": "the refresh token has expired (ExpiredTokenException)",
    "AccessDeniedException": "access was denied when refreshing the token (AccessDeniedException)",
    "InvalidScopeException": "the token's scopes are no longer granted (InvalidScopeException)",
}
_TRANSIENT_CODES = frozenset(
    {
        "InternalServerException",
        "ThrottlingException",
        "TooManyRequestsException",
        "SlowDownException",
    }
)

# After a failed refresh while the token is still valid, wait this long before trying again
# (at most; less when the token has little time left).
_RETRY_PAUSE = 30.0


def _fingerprint(secret: SecretStr | None) -> str | None:
    """A digest to recognise a refresh token again without keeping it in another place."""
    if secret is None:
        return None
    return hashlib.sha256(secret.get_secret_value().encode("utf-8")).hexdigest()


def _same_url(url: str) -> str:
    """A start URL without the trailing ``/``, ``#`` or ``#/`` people sometimes add."""
    return re.sub(r"[/#]+$", "", url.strip())


class _RefreshFailure(Exception):
    """A CreateToken refresh that failed, classified (internal)."""

    def __init__(self, reason: str, *, login_required: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.login_required = login_required


class CachedTokenProvider:
    """Token from the AWS CLI token cache, refreshed in place and shared by every process."""

    def __init__(
        self,
        start_url: str,
        sso_region: str,
        *,
        sso_session_name: str | None = None,
        cache_dir: Path | None = None,
        refresh_window: float = 900.0,
        oidc_endpoint_url: str | None = None,
        http: HttpConfig = DEFAULT_HTTP,
        token_cache: MutableMapping[str, Any] | None = None,
        token_storage: TokenStorage | None = None,
    ) -> None:
        self.start_url = start_url
        self.sso_region = sso_region
        self.sso_session_name = sso_session_name
        self.refresh_window = float(refresh_window)
        # token_cache: a dict-like store in place of the token file (see mappingstore)
        # token_storage: the OS keyring in place of the file (see storage/keyring.py)
        self.cache = TokenCache(
            start_url, sso_session_name, cache_dir, mapping=token_cache, storage=token_storage
        )
        self._oidc_endpoint_url = oidc_endpoint_url
        self._http = http
        # A refresh holds the lock for at most one CreateToken call with its retries.
        self._lock_timeout = http.max_attempts * (http.connect_timeout + http.read_timeout) + 30.0
        self._client: SSOOIDCClient | None = None
        self._client_lock = threading.Lock()
        # (file version, token): the file is re-read only when its version changes.
        self._memo: tuple[FileVersion | None, SSOToken] | None = None
        self._last_issued: SSOToken | None = None
        self._retry_not_before = 0.0  # _clock.monotonic() before which we do not retry a refresh
        self._dead_refresh: tuple[str, str] | None = None  # (fingerprint, why it was refused)
        #: Called with the server's error code when it refuses the refresh grant for good
        #: (the sign-in session ended, e.g. "InvalidGrantException").
        self.on_refresh_refused: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        who = (
            f"sso_session_name={self.sso_session_name!r}"
            if self.sso_session_name
            else f"start_url={self.start_url!r}"
        )
        return f"{type(self).__name__}({who}, sso_region={self.sso_region!r})"

    @property
    def path(self) -> Path:
        """The token file this provider reads and refreshes."""
        return self.cache.path

    # -- public --------------------------------------------------------------------------

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        """A valid access token; refreshed first when inside the window or when forced.

        ``force_refresh=True`` means the server rejected the token last handed out: a
        different one is returned (another process's fresh token, or a new refresh).
        """
        if not force_refresh:
            token = self._read()
            if token is None:
                raise self._login_required(self._why_absent())
            if not self._in_window(token):
                return self._issue(token)
            if not token.expires_within(0) and (self._paused(token) or self.cache.replacing):
                return self._issue(token)
            stale: SSOToken | None = token
        else:
            stale = self._last_issued
            if self.cache.replacing:
                # The server refused our token because our own sign-in has just ended its
                # session (sso:Logout): its refresh token is dead too. Wait for the new one.
                self.cache.wait_replaced(self._lock_timeout)
                token = self._read()
                if token is not None and token is not stale and not token.expires_within(0):
                    return self._issue(token)
        try:
            with self.cache.lock(self._lock_timeout):
                return self._refresh_locked(stale, force_refresh)
        except CacheLockTimeoutError:
            if stale is not None and not force_refresh and not stale.expires_within(0):
                logger.warning(
                    "Could not lock %s to refresh the SSO token in time; using the current "
                    "token, valid until %s",
                    self.path,
                    format_cache_time(stale.expires_at),
                )
                return self._issue(stale)
            raise

    # -- reading -------------------------------------------------------------------------

    def _read(self) -> SSOToken | None:
        version = self.cache.version()
        memo = self._memo
        if memo is not None and version is not None and memo[0] == version:
            return memo[1]
        token, version = self.cache.load_versioned()
        self._memo = (version, token) if token is not None else None
        if token is not None:
            self._check_start_url(token)
        return token

    def _check_start_url(self, token: SSOToken) -> None:
        if token.start_url and _same_url(token.start_url) != _same_url(self.start_url):
            raise self._login_required(
                f"the cached token in {self.path} belongs to start URL {token.start_url!r}, "
                f"not {self.start_url!r}"
            )

    def _window(self, token: SSOToken) -> float:
        """The refresh window; half the token's lifetime for tokens that live shorter.

        The lifetime is estimated from the file's modification time (written right after the
        token was issued); without the fallback a token living less than the window would be
        refreshed on every call.
        """
        memo = self._memo
        if memo is None or memo[1] is not token or memo[0] is None:
            return self.refresh_window
        written = _clock.from_system_time(memo[0].written_at)
        lifetime = token.expires_at.timestamp() - written
        return self.refresh_window if lifetime > self.refresh_window else max(0.0, lifetime / 2)

    def _in_window(self, token: SSOToken) -> bool:
        return token.expires_within(self._window(token))

    def _paused(self, token: SSOToken) -> bool:
        """True while a recent refresh of this very token failed (retry later, keep using it)."""
        dead = self._dead_refresh
        if dead is not None and dead[0] == _fingerprint(token.refresh_token):
            return True
        return _clock.monotonic() < self._retry_not_before

    def _issue(self, token: SSOToken) -> SSOToken:
        self._last_issued = token
        return token

    # -- refreshing (under the file lock) ------------------------------------------------

    def _refresh_locked(self, stale: SSOToken | None, force: bool) -> SSOToken:
        token, version = self.cache.load_versioned()
        if token is None:
            self._memo = None
            raise self._login_required(self._why_absent())
        self._memo = (version, token)
        self._check_start_url(token)

        # Another process (or thread) refreshed since we looked: use its token.
        if (
            stale is not None
            and token.access_token != stale.access_token
            and not token.expires_within(0)
        ):
            logger.debug("Using the SSO token another process refreshed in %s", self.path)
            return self._issue(token)
        if not force and not self._in_window(token):
            return self._issue(token)

        usable = not force and not token.expires_within(0)
        if usable and self.cache.replacing:  # our sign-in is ending its session (see above)
            return self._issue(token)
        if not token.can_refresh():
            if usable:
                return self._issue(token)
            raise self._login_required(self._why_not_refreshable(token, force))
        dead = self._dead_refresh
        if dead is not None and dead[0] == _fingerprint(token.refresh_token):
            if usable:
                return self._issue(token)
            raise self._login_required(dead[1])

        try:
            fresh = self._create_token(token)
        except _RefreshFailure as failure:
            return self._after_failure(token, failure, usable)
        self._retry_not_before = 0.0
        self._save(fresh, version, token)
        logger.info(
            "Refreshed the SSO access token for %s; valid until %s",
            self._who(),
            format_cache_time(fresh.expires_at),
        )
        return self._issue(fresh)

    def _after_failure(self, token: SSOToken, failure: _RefreshFailure, usable: bool) -> SSOToken:
        cause = failure.__cause__
        if failure.login_required:
            # botocore or the AWS CLI (which take no lock) may have spent the refresh token
            # and saved a new one: look once more before giving up on it.
            again, version = self.cache.load_versioned()
            if (
                again is not None
                and again.access_token != token.access_token
                and not again.expires_within(0)
            ):
                self._memo = (version, again)
                logger.debug("Another program refreshed the SSO token in %s meanwhile", self.path)
                return self._issue(again)
            fingerprint = _fingerprint(token.refresh_token)
            if fingerprint is not None:
                self._dead_refresh = (fingerprint, failure.reason)
            self._tell_refresh_refused(cause)
        if usable:
            pause = max(1.0, min(_RETRY_PAUSE, token.seconds_left() / 4))
            self._retry_not_before = _clock.monotonic() + pause
            logger.warning(
                "Could not refresh the SSO access token for %s (%s); the current token stays "
                "valid until %s and is used meanwhile",
                self._who(),
                failure.reason,
                format_cache_time(token.expires_at),
            )
            return self._issue(token)
        if failure.login_required:
            raise self._login_required(failure.reason) from cause
        state = (
            f"expired at {format_cache_time(token.expires_at)}"
            if token.expires_within(0)
            else "was rejected by IAM Identity Center"
        )
        raise TokenProviderError(
            f"Could not refresh the SSO access token for {self._who()}: {failure.reason}. "
            f"The cached token {state}; try again later (signing in again also works)"
        ) from cause

    def _tell_refresh_refused(self, cause: BaseException | None) -> None:
        """Tell ``on_refresh_refused`` the server's code (e.g. InvalidGrantException)."""
        listener = self.on_refresh_refused
        if listener is None:
            return
        code = error_code(cause) if isinstance(cause, ClientError) else None
        try:
            listener(code or "RefreshRefused")
        except Exception:
            logger.exception("on_refresh_refused listener failed; ignoring")

    def _save(self, fresh: SSOToken, old_version: FileVersion | None, old: SSOToken) -> None:
        try:
            self.cache.save(fresh, previous=old)
        except CacheFileError as exc:
            # The old refresh token is spent: keep the new token in memory at least, tied to
            # the file version we saw, so this process goes on working.
            logger.error(
                "Refreshed the SSO token but could not save it to %s: %s; it is kept in memory "
                "only, other programs will have to sign in again",
                self.path,
                exc,
            )
            self._memo = (old_version, fresh)
            return
        self._memo = (self.cache.version(), fresh)

    def _create_token(self, token: SSOToken) -> SSOToken:
        if token.refresh_token is None or token.client_secret is None:
            raise _RefreshFailure("the cached token has no refresh grant", login_required=True)
        started = _clock.monotonic()  # the caller's wait includes building the client
        client = self._oidc()
        try:
            response = client.create_token(
                grantType=REFRESH_GRANT,
                clientId=token.client_id or "",
                clientSecret=token.client_secret.get_secret_value(),
                refreshToken=token.refresh_token.get_secret_value(),
            )
        except ClientError as exc:
            raise self._classify(exc) from exc
        except BotoCoreError as exc:
            waited = (
                f": {describe_wait(exc, self._http, _clock.monotonic() - started)}"
                if is_timeout(exc)
                else ""
            )
            raise _RefreshFailure(
                f"could not reach SSO-OIDC{waited} ({type(exc).__name__}: {exc})",
                login_required=False,
            ) from exc
        try:
            return SSOToken.from_create_token(
                dict(response),
                start_url=token.start_url or self.start_url,
                region=token.region or self.sso_region,
                client_id=token.client_id,
                client_secret=token.client_secret.get_secret_value(),
                registration_expires_at=token.registration_expires_at,
                previous_refresh_token=token.refresh_token,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _RefreshFailure(
                f"SSO-OIDC CreateToken answered without a usable token ({type(exc).__name__})",
                login_required=False,
            ) from exc

    @staticmethod
    def _classify(exc: ClientError) -> _RefreshFailure:
        code = error_code(exc) or "unknown error"
        status = status_code(exc)
        if code in _LOGIN_REASONS:
            return _RefreshFailure(_LOGIN_REASONS[code], login_required=True)
        where = f"HTTP {status} {code}" if status is not None else code
        reason = error_message(exc, limit=200)
        if reason:
            where += f": {reason}"
        if code in _TRANSIENT_CODES or status is None or status >= 500 or status == 429:
            return _RefreshFailure(
                f"SSO-OIDC answered {where} (after retries)", login_required=False
            )
        return _RefreshFailure(f"SSO-OIDC refused the refresh ({where})", login_required=False)

    def _oidc(self) -> SSOOIDCClient:
        with self._client_lock:
            if self._client is None:
                _redact.install()
                self._client = oidc_client(
                    self.sso_region, endpoint_url=self._oidc_endpoint_url, http=self._http
                )
            return self._client

    # -- errors --------------------------------------------------------------------------

    def _why_absent(self) -> str:
        corrupt = self.cache.file.set_aside()
        if corrupt is not None:
            return (
                f"there is no usable cached SSO token: {self.path} is absent (an unreadable "
                f"copy was set aside as {corrupt})"
            )
        return f"there is no cached SSO token: {self.path} is absent"

    def _why_not_refreshable(self, token: SSOToken, force: bool) -> str:
        state = (
            "was rejected by IAM Identity Center"
            if force and not token.expires_within(0)
            else f"expired at {format_cache_time(token.expires_at)}"
        )
        if token.refresh_token is None:
            return (
                f"the cached token {state} and has no refresh token (it was obtained without "
                f"the sso:account:access scope, e.g. through a legacy profile)"
            )
        if token.client_id is None or token.client_secret is None:
            return f"the cached token {state} and the file has no client registration to refresh it"
        expired = token.registration_expires_at
        if expired is not None and expired <= _clock.now():
            return (
                f"the cached token {state} and the client registration that could refresh it "
                f"expired at {format_cache_time(expired)}"
            )
        return f"the cached token {state} and cannot be refreshed"

    def _who(self) -> str:
        if self.sso_session_name:
            return f"sso-session {self.sso_session_name!r}"
        return f"start URL {self.start_url!r}"

    def _login_required(self, reason: str) -> LoginRequiredError:
        return LoginRequiredError(
            reason,
            start_url=self.start_url,
            sso_session_name=self.sso_session_name,
            sso_region=self.sso_region,
        )


__all__ = ["CachedTokenProvider"]
