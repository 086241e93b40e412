"""What a long-running program does when the person's sign-in session ends: the login policy.

``LoginPolicyProvider`` wraps the normal token provider (the cache with refresh). When that
says a login is required:

* ``policy="never"``: the ``LoginRequiredError`` goes to the caller, unchanged (the right
  answer for services and batch jobs nobody watches);
* ``policy="auto"``: an interactive provider signs the person in, ``on_login`` and a log line
  say so, and the call that needed the token carries on with the new one.

Only one login runs at a time per sso-session, across threads (a lock per token file) and
processes (a ``filelock`` file beside the token file). Whoever gets the lock next first checks
whether the token file changed while it waited (another process signed in) and uses that
token instead of asking the person again. Waiting is bounded and logged: nothing hangs
silently.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import filelock

from refreshable_sso import _aws, _clock
from refreshable_sso._paths import lock_path_for, token_cache_path
from refreshable_sso.cachefile import FileVersion, make_private_dirs
from refreshable_sso.config import SSOConfig
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    LoginRequiredError,
    LoginTimeoutError,
)
from refreshable_sso.mappingstore import MappingCacheFile
from refreshable_sso.tokens.base import SSOToken, TokenProvider
from refreshable_sso.tokens.device import DeviceCodeProvider
from refreshable_sso.tokens.interactive import (
    DEFAULT_LOGIN_TIMEOUT,
    BrowserOpener,
    InteractiveTokenProvider,
    PromptCallback,
    resolve_login_flow,
)
from refreshable_sso.tokens.pkce import AuthorizationCodeProvider
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from refreshable_sso.tokens.store import TokenCache

logger = logging.getLogger(__name__)

LoginPolicy = Literal["never", "auto"]
LOGIN_POLICIES: tuple[str, ...] = ("never", "auto")
#: Extra seconds a waiting caller allows beyond the interactive login's own timeout.
LOCK_GRACE = 60.0

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _forget_thread_locks_in_child() -> None:
    """A forked child must not inherit a lock a parent thread held: it would never be freed."""
    global _thread_locks_guard
    _thread_locks_guard = threading.Lock()
    _thread_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_thread_locks_in_child)


def _thread_lock(path: Path) -> threading.Lock:
    """One in-process lock per login-lock file, shared by every provider object."""
    key = os.path.abspath(path)
    with _thread_locks_guard:
        lock = _thread_locks.get(key)
        if lock is None:
            lock = _thread_locks[key] = threading.Lock()
        return lock


def login_lock_path(token_path: Path) -> Path:
    """The lock file that serialises logins for one token file (in our private lock folder)."""
    return lock_path_for(token_path, ".login.lock")


@contextlib.contextmanager
def login_lock(token_path: Path, timeout: float, who: str) -> Iterator[None]:
    """Hold the right to run the one login for this token file (threads and processes).

    Waiting is logged when it starts and bounded by ``timeout``; then ``LoginTimeoutError``
    names the lock file. A lock file that cannot be created is a ``CacheFileError``.
    """
    lock_path = login_lock_path(token_path)
    # Real time on purpose: the lock is held by another thread or process, which does not
    # see the library clock (a test clock's advance() must not time this wait out).
    deadline = _clock.SYSTEM.monotonic() + timeout
    thread_lock = _thread_lock(lock_path)
    if not thread_lock.acquire(blocking=False):
        logger.info("waiting for the sign-in already running in this process for %s", who)
        if not thread_lock.acquire(timeout=timeout):
            raise _wait_timeout(who, timeout, lock_path)
    try:
        file_lock = filelock.FileLock(str(lock_path), mode=0o600)
        try:
            make_private_dirs(lock_path.parent)  # 0700, parents included
            try:
                file_lock.acquire(timeout=0)
            except filelock.Timeout:
                logger.info(
                    "waiting for the sign-in another process is running for %s (lock %s)",
                    who,
                    lock_path,
                )
                try:
                    file_lock.acquire(timeout=max(0.0, deadline - _clock.SYSTEM.monotonic()))
                except filelock.Timeout:
                    raise _wait_timeout(who, timeout, lock_path) from None
        except OSError as exc:
            raise CacheFileError(
                lock_path, f"cannot create the login lock file ({exc.strerror or exc})"
            ) from exc
        try:
            yield
        finally:
            file_lock.release()
    finally:
        thread_lock.release()


@contextlib.contextmanager
def store_login_lock(store: TokenCache, timeout: float, who: str) -> Iterator[None]:
    """:func:`login_lock` for the token in ``store``: the lock file beside a token file, or,
    for a token kept in a dict-like store, a lock in this process (no file anywhere).

    Every sign-in into the same mapping object takes turns, as threads do for a file; other
    processes share no mapping object with us, so there is nobody else to exclude.
    """
    found = store.file
    if not isinstance(found, MappingCacheFile):
        with login_lock(store.path, timeout, who):
            yield
        return
    lock = found.sign_in_lock()
    if not lock.acquire(blocking=False):
        logger.info("waiting for the sign-in already running in this process for %s", who)
        if not lock.acquire(timeout=timeout):
            raise LoginTimeoutError(
                f"another sign-in for {who} into the same token_cache mapping was still running "
                f"after {timeout:g} s; gave up waiting for it. Finish or cancel that login, then "
                "try again"
            )
    try:
        yield
    finally:
        lock.release()


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
    http: _aws.HttpSettings = _aws.DEFAULT_HTTP,
    token_cache: MutableMapping[str, Any] | None = None,
) -> InteractiveTokenProvider:
    """The interactive provider for ``sso``: browser (PKCE) sign-in, device code where needed.

    ``flow`` is ``"auto"`` (PKCE, falling back to the device code where no browser can be
    opened), ``"pkce"`` (no fallback) or ``"device"``; when None it is read once from the
    ``REFRESHABLE_SSO_LOGIN_FLOW`` environment variable (default ``"auto"``). ``token_cache``
    is a dict-like store for the token and the client registration instead of the files.
    """
    return interactive_provider(
        sso.start_url,
        sso.sso_region,
        sso_session_name=sso.sso_session_name,
        scopes=tuple(sso.registration_scopes),
        flow=flow,
        open_browser=open_browser,
        message=message,
        prompt_callback=prompt_callback,
        browser_opener=browser_opener,
        timeout=timeout,
        cancel_event=cancel_event,
        oidc_endpoint_url=oidc_endpoint_url,
        cache_dir=cache_dir,
        http=http,
        token_cache=token_cache,
    )


def interactive_provider(
    start_url: str,
    sso_region: str,
    *,
    sso_session_name: str | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    flow: str | None = None,
    open_browser: bool = True,
    message: str | None = None,
    prompt_callback: PromptCallback | None = None,
    browser_opener: BrowserOpener | None = None,
    timeout: float = DEFAULT_LOGIN_TIMEOUT,
    cancel_event: threading.Event | None = None,
    oidc_endpoint_url: str | None = None,
    cache_dir: Path | None = None,
    http: _aws.HttpSettings = _aws.DEFAULT_HTTP,
    token_cache: MutableMapping[str, Any] | None = None,
) -> InteractiveTokenProvider:
    """The device-code or PKCE provider ``flow`` asks for (see ``default_interactive_provider``)."""
    chosen = resolve_login_flow(flow)
    provider_class: type[DeviceCodeProvider] | type[AuthorizationCodeProvider]
    options: dict[str, Any] = {}
    if chosen == "device":
        provider_class = DeviceCodeProvider
    else:
        provider_class = AuthorizationCodeProvider
        options["fallback_to_device"] = chosen == "auto"
    return provider_class(
        start_url,
        sso_region,
        sso_session_name=sso_session_name,
        scopes=tuple(scopes),
        open_browser=open_browser,
        message=message,
        prompt_callback=prompt_callback,
        browser_opener=browser_opener,
        timeout=timeout,
        cancel_event=cancel_event,
        oidc_endpoint_url=oidc_endpoint_url,
        cache_dir=cache_dir,
        http=http,
        token_cache=token_cache,
        **options,
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
        self.token_cache = token_cache or TokenCache(sso.start_url, sso.sso_session_name, cache_dir)
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
        with store_login_lock(self.token_cache, self.lock_timeout, who):
            if unless_changed_since is not None and self.current_sign_in() != unless_changed_since:
                logger.info("%s was signed in again by another thread or process meanwhile", who)
                return None
            logger.warning("signing in again for %s ahead of time (%s)", who, reason)
            self._tell(LoginEvent("started", self.sso.start_url, self.sso.sso_session_name, reason))
            try:
                token = self.interactive.get_token(force_refresh=True)
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
