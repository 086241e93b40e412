"""Knowing when the person's sign-in session ends, and acting before it does.

Access tokens and role credentials are refreshed silently, but the sign-in session behind
them (8 h by default; 15 min to 90 days as the administrator sets it) ends hard: the next
refresh is refused and only a person can sign in again. IAM Identity Center does not say
when that will be, so :class:`SignInWatch` works it out from what we know: the time of the
sign-in (recorded by our own logins in a side file, see ``TokenCache.signed_in_at``) plus the
``sso_session_duration`` the user tells us. From that it

* answers ``expires_at`` / ``remaining`` (None when unknown, e.g. a token another tool got);
* calls ``on_sign_in_expiring`` callbacks once per sign-in from a background timer (or logs
  one WARNING when none is registered) ``before`` the end;
* with a ``relogin`` function (``login="auto"`` and ``relogin_ahead``), signs in again in the
  background ``relogin_ahead`` before the end, while the current credentials keep serving;
* when the server ends the session first (a refresh refused with ``InvalidGrantException``),
  calls the callbacks at once with that code as ``reason``.

Nothing here blocks a request: the timer is one daemon thread per watch, started only when
there is something to wait for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.store import TokenCache

logger = logging.getLogger("refreshable_sso.sign_in_watch")  # the name it always had

DEFAULT_BEFORE = timedelta(minutes=30)
#: The timer looks again at least this often (a sign-in elsewhere may move the end).
_MAX_WAIT = 30.0


@dataclass(frozen=True)
class SignInExpiringEvent:
    """Handed to ``on_sign_in_expiring`` callbacks."""

    remaining: timedelta
    expires_at: datetime | None
    reason: str  # "scheduled", or the server's error code when it ended the sign-in first


SignInCallback = Callable[[SignInExpiringEvent], Any]


class SignInWatch:
    """The end of one sign-in session (one token file), and what to do before it."""

    def __init__(
        self,
        cache: TokenCache,
        *,
        duration: timedelta | None,
        relogin_ahead: timedelta | None = None,
        relogin: Callable[[str, object], object] | None = None,
        current_sign_in: Callable[[], object] | None = None,
    ) -> None:
        self.cache = cache
        self.duration = duration
        self.relogin_ahead = relogin_ahead
        self._relogin = relogin
        self._current_sign_in = current_sign_in
        self._lock = threading.Lock()
        self._callbacks: list[tuple[SignInCallback, timedelta]] = []
        self._done: set[tuple[str, object]] = set()  # (what, sign-in) already acted on
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._memo: tuple[object, datetime | None] | None = None  # (file version, signed in at)

    # -- what we know ----------------------------------------------------------------------

    def signed_in_at(self) -> datetime | None:
        """When the current sign-in happened (None when we do not know)."""
        # Both files: a sign-in writes the token first and then our record.
        version = (self.cache.version(), self.cache.sign_in_record.version())
        memo = self._memo
        if memo is not None and memo[0] == version and version[0] is not None:
            return memo[1]
        token: SSOToken | None
        try:
            token = self.cache.load()
        except Exception:  # an unreadable file: unknown, the refresh path reports it
            token = None
        at = self.cache.signed_in_at(token)
        self._memo = (version, at)
        return at

    def expires_at(self) -> datetime | None:
        """When the sign-in session ends: sign-in time plus ``sso_session_duration``."""
        at = self.signed_in_at()
        if at is None or self.duration is None:
            return None
        return at + self.duration

    def remaining(self) -> timedelta | None:
        end = self.expires_at()
        return None if end is None else end - _clock.now()

    # -- acting on it ----------------------------------------------------------------------

    def on_expiring(self, callback: SignInCallback, before: timedelta = DEFAULT_BEFORE) -> None:
        with self._lock:
            self._callbacks.append((callback, before))
        self.start()

    def start(self) -> None:
        """Start the timer thread (idempotent; nothing to wait for without a duration)."""
        if self.duration is None:
            return
        with self._lock:
            if self._thread is not None:
                self._wake.set()
                return
            self._thread = threading.Thread(
                target=self._run, name="refreshable-sso-sign-in-watch", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def server_ended(self, code: str) -> None:
        """The server refused the refresh grant (the sign-in ended early): tell callbacks now."""
        key = ("ended", self.signed_in_at() or code)
        with self._lock:
            if key in self._done:
                return
            self._done.add(key)
            callbacks = [callback for callback, _ in self._callbacks]
        end = self.expires_at()
        event = SignInExpiringEvent(timedelta(0), end, code)
        if not callbacks:
            logger.warning("The sign-in session ended on the server (%s)", code)
        for callback in callbacks:
            self._call(callback, event)

    # -- the timer -------------------------------------------------------------------------

    def _plan(self) -> list[tuple[datetime, str, object]]:
        """(when, what, payload) for what is still to do in the current sign-in."""
        end = self.expires_at()
        at = self.signed_in_at()
        if end is None:
            return []
        plan: list[tuple[datetime, str, object]] = []
        with self._lock:
            callbacks = list(self._callbacks)
        if callbacks:
            for index, (_, before) in enumerate(callbacks):
                plan.append((end - before, f"callback-{index}", at))
        else:
            plan.append((end - DEFAULT_BEFORE, "warning", at))
        if self._relogin is not None and self.relogin_ahead is not None:
            plan.append((end - self.relogin_ahead, "relogin", at))
        return [item for item in plan if (item[1], item[2]) not in self._done]

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                plan = self._plan()
            except Exception:
                logger.exception("sign-in watch: could not read the sign-in; retrying later")
                plan = []
            now = _clock.now()
            due = [item for item in plan if item[0] <= now]
            for item in due:
                self._act(item)
            pending = [item for item in plan if item[0] > now]
            wait = _MAX_WAIT
            if pending:
                wait = min(wait, min(item[0] for item in pending).timestamp() - now.timestamp())
            _clock.wait(self._wake, max(0.05, wait))  # a test clock's advance() ends it
            self._wake.clear()

    def _act(self, item: tuple[datetime, str, object]) -> None:
        _, what, at = item
        with self._lock:
            if (what, at) in self._done:
                return
            self._done.add((what, at))
            callbacks = list(self._callbacks)
        end = self.expires_at()
        remaining = (end - _clock.now()) if end is not None else timedelta(0)
        if what == "relogin":
            self._sign_in_again(remaining)
        elif what == "warning":
            logger.warning(
                "The sign-in session for %s ends in %s (at %s); sign in again before then",
                self.cache.sso_session_name or self.cache.start_url,
                _rounded(remaining),
                end.isoformat() if end else "an unknown time",
            )
        else:
            callback = callbacks[int(what.split("-", 1)[1])][0]
            self._call(callback, SignInExpiringEvent(remaining, end, "scheduled"))

    def _sign_in_again(self, remaining: timedelta) -> None:
        assert self._relogin is not None
        planned = self._current_sign_in() if self._current_sign_in is not None else None
        try:
            self._relogin(f"the sign-in session ends in {_rounded(remaining)}", planned)
        except Exception:
            logger.warning("Signing in again ahead of the session's end failed", exc_info=True)

    @staticmethod
    def _call(callback: SignInCallback, event: SignInExpiringEvent) -> None:
        try:
            callback(event)
        except Exception:
            logger.exception("on_sign_in_expiring callback failed; ignoring")


def _rounded(delta: timedelta) -> timedelta:
    return timedelta(seconds=max(0, round(delta.total_seconds())))


__all__ = ["DEFAULT_BEFORE", "SignInCallback", "SignInExpiringEvent", "SignInWatch"]
