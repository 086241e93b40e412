"""What a long-running program does when the person's sign-in session ends: the login policy.

``LoginPolicyProvider`` wraps the normal token provider (the cache with refresh). When that
says a login is required:

* ``policy="never"``: the ``LoginRequiredError`` goes to the caller, unchanged (the right
  answer for services and batch jobs nobody watches);
* ``policy="auto"``: an interactive provider signs the person in, ``on_login`` and a log line
  say so, and the call that needed the token carries on with the new one.

Only one login runs at a time per sso-session, across threads (a lock per token file) and
processes (a ``filelock`` file beside the token file): the token record's ``exclusive("login")``
lock, from the one lock registry (``storage/locks.py``). Whoever gets the lock next first checks
whether the token file changed while it waited (another process signed in) and uses that
token instead of asking the person again. Waiting is bounded and logged: nothing hangs
silently.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from refreshable_sso.aws import clients as _aws
from refreshable_sso.config import HttpConfig, SSOConfig
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    LoginRequiredError,
    LoginTimeoutError,
)
from refreshable_sso.storage.base import Record
from refreshable_sso.storage.base import RecordVersion as FileVersion
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.locks import Holder, LockTimeout
from refreshable_sso.storage.paths import lock_path_for, token_cache_path
from refreshable_sso.tokens.base import SSOToken, TokenProvider
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.interactive import (
    DEFAULT_LOGIN_TIMEOUT,
    BrowserOpener,
    InteractiveTokenProvider,
    PromptCallback,
    resolve_login_flow,
)
from refreshable_sso.tokens.login.options import LoginOptions
from refreshable_sso.tokens.login.pkce import AuthorizationCodeProvider
from refreshable_sso.tokens.store import TokenCache

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.tokens.policy")

LoginPolicy = Literal["never", "auto"]
LOGIN_POLICIES: tuple[str, ...] = ("never", "auto")
#: Extra seconds a waiting caller allows beyond the interactive login's own timeout.
LOCK_GRACE = 60.0

#: What the sign-in lock of a token record is called (``<token>.json.login.lock``).
LOGIN_LOCK_PURPOSE = "login"


def login_lock_path(token_path: Path) -> Path:
    """The lock file that serialises logins for one token file (in our private lock folder)."""
    return lock_path_for(token_path, f".{LOGIN_LOCK_PURPOSE}.lock")


def login_lock(token_path: Path, timeout: float, who: str) -> AbstractContextManager[None]:
    """Hold the right to run the one login for this token file (threads and processes).

    Waiting is logged when it starts and bounded by ``timeout``; then ``LoginTimeoutError``
    names the lock file. A lock file that cannot be created is a ``CacheFileError``.
    """
    return _record_login_lock(JsonFileRecord(token_path), timeout, who)


def store_login_lock(store: TokenCache, timeout: float, who: str) -> AbstractContextManager[None]:
    """:func:`login_lock` for the token in ``store``: the lock file beside a token file, or,
    for a token kept in a dict-like store, a lock in this process (no file anywhere).

    Every sign-in into the same mapping object takes turns, as threads do for a file; other
    processes share no mapping object with us, so there is nobody else to exclude. Both come
    from the record (``Record.exclusive``), so from the one lock registry.
    """
    return _record_login_lock(store.file, timeout, who)


@contextlib.contextmanager
def _record_login_lock(record: Record, timeout: float, who: str) -> Iterator[None]:
    def waiting(holder: Holder, lock: str) -> None:
        if holder == "thread":
            logger.info("waiting for the sign-in already running in this process for %s", who)
        else:
            logger.info(
                "waiting for the sign-in another process is running for %s (lock %s)", who, lock
            )

    held = contextlib.ExitStack()
    try:
        held.enter_context(record.exclusive(LOGIN_LOCK_PURPOSE, timeout, waiting))
    except LockTimeout as exc:
        if exc.lock_file is not None:
            raise _wait_timeout(who, timeout, exc.lock_file) from None
        raise LoginTimeoutError(
            f"another sign-in for {who} into the same token_cache mapping was still running "
            f"after {timeout:g} s; gave up waiting for it. Finish or cancel that login, then "
            "try again"
        ) from None
    with held:
        yield


def _wait_timeout(who: str, timeout: float, lock_path: Path) -> LoginTimeoutError:
    return LoginTimeoutError(
        f"another sign-in for {who} was still running after {timeout:g} s; gave up waiting "
        f"for it (lock file {lock_path}). Finish or cancel that login, then try again"
    )


@dataclass(frozen=True)
class LoginEvent:
    """Handed to ``on_login``: a login ``started``, ``completed`` or ``failed``, and why."""

    phase: Literal["started", "completed", "failed"]
    start_url: str
    sso_session_name: str | None
    reason: str
    expires_at: datetime | None = None
    error: BaseException | None = None


def default_login_policy() -> LoginPolicy:
    """``"auto"`` when a person is at a terminal (stdin is a TTY), ``"never"`` otherwise."""
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        interactive = False
    return "auto" if interactive else "never"


def default_interactive_provider(
    sso: SSOConfig,
    *,
    flow: str | None = None,
    open_browser: bool = True,
    message: str | None = None,
    prompt_callback: PromptCallback | None = None,
    browser_opener: BrowserOpener | None = None,
    timeout: float = DEFAULT_LOGIN_TIMEOUT,
    cancel_event: threading.Event | None = None,
    oidc_endpoint_url: str | None = None,
    cache_dir: Path | None = None,
    http: HttpConfig = _aws.DEFAULT_HTTP,
    token_cache: MutableMapping[str, Any] | None = None,
    options: LoginOptions | None = None,
) -> InteractiveTokenProvider:
    """The interactive provider for ``sso``: browser (PKCE) sign-in, device code where needed.

    Args:
        sso: Whose sign-in: start URL, region and sso-session are read from it.
        options: How the sign-in runs (a :class:`LoginOptions`, passed to the provider as it
            is). Its ``scopes`` and ``token_storage`` are used; build it with
            ``scopes=sso.registration_scopes`` and ``sso``'s ``token_storage``/``token_export``.
            When None, one is built from the keywords below, ``sso.registration_scopes`` and
            ``sso``'s token storage.
        flow: ``"auto"`` (PKCE, falling back to the device code where no browser can be
            opened), ``"pkce"`` (no fallback) or ``"device"``; when None it is read once from
            the ``REFRESHABLE_SSO_LOGIN_FLOW`` environment variable (default ``"auto"``).
        open_browser: See ``LoginOptions.open_browser``.
        message: See ``LoginOptions.message``.
        prompt_callback: See ``LoginOptions.prompt_callback``.
        browser_opener: See ``LoginOptions.browser_opener``.
        timeout: See ``LoginOptions.timeout``.
        cancel_event: See ``LoginOptions.cancel_event``.
        oidc_endpoint_url: See ``LoginOptions.oidc_endpoint_url``.
        cache_dir: See ``LoginOptions.cache_dir``.
        http: See ``LoginOptions.http``.
        token_cache: A dict-like store for the token and the client registration instead of
            the files (``LoginOptions.token_cache``).
    """
    keywords: dict[str, Any] = {
        "flow": flow,
        "open_browser": open_browser,
        "message": message,
        "prompt_callback": prompt_callback,
        "browser_opener": browser_opener,
        "timeout": timeout,
        "cancel_event": cancel_event,
        "oidc_endpoint_url": oidc_endpoint_url,
        "cache_dir": cache_dir,
        "http": http,
        "token_cache": token_cache,
    }
    if options is None:
        keywords["scopes"] = tuple(sso.registration_scopes)
        keywords["token_storage"] = sso.token_storage
        keywords["token_export"] = sso.token_export
    options = LoginOptions.from_keywords(options, "default_interactive_provider()", **keywords)
    return interactive_provider(sso.start_url, sso.sso_region, sso.sso_session_name, options)


def interactive_provider(
    start_url: str, sso_region: str, sso_session_name: str | None, options: LoginOptions
) -> InteractiveTokenProvider:
    """The device-code or PKCE provider ``options.flow`` asks for, given ``options`` whole.

    Args:
        start_url: The AWS access portal URL.
        sso_region: The region where IAM Identity Center is enabled.
        sso_session_name: The sso-session (None: a legacy profile).
        options: Everything else; the provider keeps this very object as ``options``.
    """
    chosen = resolve_login_flow(options.flow)
    if chosen == "device":
        return DeviceCodeProvider(
            start_url, sso_region, sso_session_name=sso_session_name, options=options
        )
    return AuthorizationCodeProvider(
        start_url,
        sso_region,
        sso_session_name=sso_session_name,
        options=options,
        fallback_to_device=chosen == "auto",
    )


class LoginPolicyProvider:
    """Applies the login policy around ``base`` (see the module docstring)."""

    def __init__(
        self,
        base: TokenProvider,
        *,
        policy: LoginPolicy = "never",
        interactive: TokenProvider | None = None,
        sso: SSOConfig,
        on_login: Callable[[LoginEvent], None] | None = None,
        cache_dir: Path | None = None,
        lock_timeout: float | None = None,
        token_cache: TokenCache | None = None,
    ) -> None:
        problems: list[str] = []
        if policy not in LOGIN_POLICIES:
            problems.append(
                f"policy must be 'never' (raise LoginRequiredError) or 'auto' (sign in "
                f"interactively when needed), got {policy!r}"
            )
        if not callable(getattr(base, "get_token", None)):
            problems.append("base must be a token provider (an object with get_token())")
        if interactive is not None and not callable(getattr(interactive, "get_token", None)):
            problems.append("interactive must be a token provider (an object with get_token())")
        if on_login is not None and not callable(on_login):
            problems.append("on_login must be callable as on_login(event)")
        if lock_timeout is not None and lock_timeout <= 0:
            problems.append("lock_timeout must be a positive number of seconds")
        if problems:
            raise ConfigurationError("LoginPolicyProvider: " + "; ".join(problems), problems)
        self.base = base
        self.policy: LoginPolicy = policy
        self.sso = sso
        self.on_login = on_login
        if interactive is None and policy == "auto":
            interactive = default_interactive_provider(sso, cache_dir=cache_dir)
        self.interactive = interactive
        self.token_path = token_cache_path(sso.start_url, sso.sso_session_name, cache_dir)
        # where the token and our sign-in record live: the file, or a session's dict-like store
        self.token_cache = token_cache or TokenCache(
            sso.start_url, sso.sso_session_name, cache_dir, storage=sso.storage()
        )
        self.lock_path = login_lock_path(self.token_path)
        if lock_timeout is None:
            lock_timeout = (
                float(getattr(interactive, "timeout", DEFAULT_LOGIN_TIMEOUT)) + LOCK_GRACE
            )
        self.lock_timeout = lock_timeout

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        seen = self._token_version()
        try:
            return self.base.get_token(force_refresh=force_refresh)
        except LoginRequiredError as exc:
            if self.policy == "never" or self.interactive is None:
                raise
            return self._login(exc, seen)

    def _token_version(self) -> FileVersion | None:
        """Changes whenever the stored token is replaced or rewritten (None: none, unreadable)."""
        try:
            return self.token_cache.file.version()
        except CacheFileError:
            return None

    def _login(self, why: LoginRequiredError, seen: FileVersion | None) -> SSOToken:
        who = self.sso.sso_session_name or self.sso.start_url
        try:
            with store_login_lock(self.token_cache, self.lock_timeout, who):
                return self._login_locked(why, seen, who)
        except LoginTimeoutError as exc:
            if exc.__cause__ is None:
                exc.__cause__ = why
            raise

    def _login_locked(
        self, why: LoginRequiredError, seen: FileVersion | None, who: str
    ) -> SSOToken:
        if self._token_version() != seen:
            try:
                token = self.base.get_token()
            except LoginRequiredError:
                pass
            else:
                logger.info("%s was signed in by another thread or process meanwhile", who)
                return token
        assert self.interactive is not None
        logger.warning(
            "sign-in required for %s (%s); starting an interactive login", who, why.reason
        )
        self._tell(LoginEvent("started", self.sso.start_url, self.sso.sso_session_name, why.reason))
        try:
            token = self.interactive.get_token(force_refresh=True)
        except BaseException as exc:
            self._tell(
                LoginEvent(
                    "failed",
                    self.sso.start_url,
                    self.sso.sso_session_name,
                    why.reason,
                    error=exc,
                )
            )
            raise
        logger.warning("signed in again for %s; carrying on", who)
        self._tell(
            LoginEvent(
                "completed",
                self.sso.start_url,
                self.sso.sso_session_name,
                why.reason,
                expires_at=token.expires_at,
            )
        )
        return token

    def sign_in_again(self, reason: str, *, unless_changed_since: object = None) -> SSOToken | None:
        """Sign in anew now (ahead of the sign-in session's end), under the login lock.

        ``unless_changed_since`` is a value of ``current_sign_in()`` taken when the relogin was
        planned: if the sign-in changed meanwhile (another thread or process signed in), nothing
        is done and None is returned. The current token keeps serving until the new one is saved.
        """
        if self.interactive is None:
            return None
        who = self.sso.sso_session_name or self.sso.start_url
        if not self.can_reach_a_person():
            # Ending the session (sso:Logout) is what makes a re-login extend it; with nobody
            # to approve the new one, that would only end the job sooner.
            logger.warning(
                "the sign-in of %s ends soon, and nobody can be asked to sign in again (no "
                "terminal, no prompt or login callback): keeping it to its end",
                who,
            )
            return None
        with store_login_lock(self.token_cache, self.lock_timeout, who):
            if unless_changed_since is not None and self.current_sign_in() != unless_changed_since:
                logger.info("%s was signed in again by another thread or process meanwhile", who)
                return None
            logger.warning("signing in again for %s ahead of time (%s)", who, reason)
            self._tell(LoginEvent("started", self.sso.start_url, self.sso.sso_session_name, reason))
            try:
                token = self._sign_in_anew()
            except BaseException as exc:
                self._tell(
                    LoginEvent(
                        "failed", self.sso.start_url, self.sso.sso_session_name, reason, error=exc
                    )
                )
                raise
            self._tell(
                LoginEvent(
                    "completed",
                    self.sso.start_url,
                    self.sso.sso_session_name,
                    reason,
                    expires_at=token.expires_at,
                )
            )
            return token

    #: A re-login ahead of the end first ends the current session (``sso:Logout``): only then
    #: does IAM Identity Center start a new one with its full duration. False is the old
    #: behaviour, a re-approval that joins the live session and leaves its end where it was.
    RELOGIN_NEW_SESSION = True

    def _sign_in_anew(self) -> SSOToken:
        assert self.interactive is not None
        if isinstance(self.interactive, InteractiveTokenProvider):
            return self.interactive.login(new_session=self.RELOGIN_NEW_SESSION)
        logger.warning(
            "the sign-in provider %r cannot end the current session first; the new sign-in may "
            "join it and end when it ends",
            self.interactive,
        )
        return self.interactive.get_token(force_refresh=True)

    def can_reach_a_person(self) -> bool:
        """Whether a sign-in can reach someone to approve it: a login callback, or the
        interactive provider's prompt callback, browser opener or terminal."""
        if self.on_login is not None:
            return True
        reach = getattr(self.interactive, "can_reach_a_person", None)
        return bool(reach()) if callable(reach) else True

    def current_sign_in(self) -> object:
        """When the stored sign-in happened, as recorded (changes when we sign in again)."""
        try:
            data = self.token_cache.sign_in_record.read()
        except CacheFileError:
            return None
        return data.get("signedInAt") if data else None

    def _tell(self, event: LoginEvent) -> None:
        if self.on_login is None:
            return
        try:
            self.on_login(event)
        except Exception:
            logger.exception("on_login callback failed for the %s event; ignoring", event.phase)

    def __repr__(self) -> str:
        return (
            f"LoginPolicyProvider(policy={self.policy!r}, base={self.base!r}, "
            f"interactive={self.interactive!r})"
        )


__all__ = [
    "LOGIN_POLICIES",
    "LoginEvent",
    "LoginPolicy",
    "LoginPolicyProvider",
    "default_interactive_provider",
    "default_login_policy",
    "login_lock",
    "login_lock_path",
    "store_login_lock",
]
