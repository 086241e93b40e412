"""React to a server saying the session's role credentials are expired or unknown.

When STS (or any AWS service) answers ``ExpiredToken`` / ``InvalidClientTokenId`` to a call a
session's client signed, the credentials botocore holds are dead on the server even though
the local clock says otherwise (skewed clocks, revoked sessions). botocore would go on using
them until their local expiry. :class:`ExpiredTokenHook` hooks two botocore events on the
session, so every client the session creates carries it:

* ``before-send``: remembers, per thread or asyncio task, which access key signed the request;
* ``needs-retry``: on one of those error codes, if that key is still the current one and has
  not been refreshed for before, forces one refresh (the caller's ``force_refresh``, which
  bypasses the shared disk-cache entry holding the same dead credentials) and asks botocore
  to send the request once more, re-signed with the new credentials. If another thread
  already refreshed, the request is just re-sent. Each request is re-sent at most once, and
  each credential generation is refreshed at most once: the user never sees a loop.

The same answer covers a request that was signed while its credentials were still valid but
reached the server after they expired (a slow network, a loaded machine): it is re-signed with
the credentials the session holds by then. :mod:`refreshable_sso.aio.expired_token` is the
asyncio twin.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

logger = logging.getLogger(__name__)

#: Error codes meaning "the credentials that signed this request are not (any more) valid".
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"})

_CONTEXT_KEY = "refreshable_sso_expired_token_retried"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
#: At most this many generations are remembered (one per refresh; old ones cannot recur).
_REMEMBERED = 64


def _signing_key(request: Any) -> str | None:
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    raw = headers.get("Authorization")
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if not isinstance(raw, str):
        return None
    match = _CREDENTIAL.search(raw)
    return match.group(1) if match else None


def _error_code(response: Any) -> str | None:
    if not isinstance(response, tuple) or len(response) != 2:
        return None
    parsed = response[1]
    if not isinstance(parsed, dict):
        return None
    code = parsed.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None


class _Plan(enum.Enum):
    """What one ``needs-retry`` answer does once the current key is known."""

    GIVE_UP = enum.auto()  # let the caller see the error
    RESEND = enum.auto()  # another refresh already replaced the key: just re-sign and re-send
    REFRESH = enum.auto()  # force one refresh of this generation, then re-send


class _ExpiredTokenBookkeeping:
    """What the sync and asyncio hooks share: which key signed, and which were refreshed for.

    The signing key lives in a ``ContextVar``: per thread for threaded callers and per task
    for asyncio ones (many tasks share one thread, so a thread-local would mix them up).
    """

    def __init__(self) -> None:
        self._signed: ContextVar[str | None] = ContextVar(
            f"refreshable_sso_signed_key_{id(self)}", default=None
        )
        self._refreshed: list[str] = []  # access keys a refresh was already forced for
        self.refreshes = 0  # refreshes this hook forced

    def register(self, events: Any, unique_prefix: str) -> None:
        """Hook ``events`` (a botocore or aiobotocore session's or client's event system)."""
        events.register("before-send", self._before_send, unique_id=f"{unique_prefix}-before-send")
        events.register("needs-retry", self._needs_retry, unique_id=f"{unique_prefix}-needs-retry")

    def _needs_retry(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _before_send(self, request: Any = None, **_: Any) -> None:
        self._signed.set(_signing_key(request))

    def _candidate(
        self, response: Any, request_dict: Any
    ) -> tuple[str, str, dict[str, Any]] | None:
        """``(code, signing key, request context)`` when this answer is one to act on."""
        code = _error_code(response)
        if code not in EXPIRED_CODES:
            return None
        context = request_dict.get("context") if isinstance(request_dict, dict) else None
        if not isinstance(context, dict) or context.get(_CONTEXT_KEY):
            return None  # already re-sent once: let the caller see the error
        signed_with = self._signed.get()
        if signed_with is None:
            return None  # not signed by us (unsigned call, other credentials)
        return code, signed_with, context

    def _plan(self, code: str, signed_with: str, current: str | None) -> _Plan:
        """Decide under the hook's lock; a REFRESH is recorded so it happens once a generation."""
        if current is not None and current != signed_with:
            logger.info("%s for an older access key; re-sending with the current one", code)
            return _Plan.RESEND
        if signed_with in self._refreshed:
            return _Plan.GIVE_UP  # this generation was refreshed already and is still rejected
        self._refreshed.append(signed_with)
        del self._refreshed[:-_REMEMBERED]
        logger.warning(
            "The server answered %s for the session's role credentials (valid by the local "
            "clock); refreshing them once and re-sending the request",
            code,
        )
        return _Plan.REFRESH

    @staticmethod
    def _resend(context: dict[str, Any]) -> int:
        context[_CONTEXT_KEY] = True
        return 0  # botocore re-sends at once, signing with the new credentials


class ExpiredTokenHook(_ExpiredTokenBookkeeping):
    """One per session: ``current_key()`` names the live access key, ``force_refresh()`` renews."""

    def __init__(
        self, current_key: Callable[[], str | None], force_refresh: Callable[[], object]
    ) -> None:
        super().__init__()
        self._current_key = current_key
        self._force_refresh = force_refresh
        self._lock = threading.Lock()

    def _needs_retry(self, response: Any = None, request_dict: Any = None, **_: Any) -> int | None:
        found = self._candidate(response, request_dict)
        if found is None:
            return None
        code, signed_with, context = found
        with self._lock:
            try:
                current = self._current_key()
            except Exception:  # the refresh it may run failed: botocore reports the error
                return None
            plan = self._plan(code, signed_with, current)
            if plan is _Plan.GIVE_UP or (plan is _Plan.REFRESH and not self._refresh_once(code)):
                return None
        return self._resend(context)

    def _refresh_once(self, code: str) -> bool:
        try:
            self._force_refresh()
        except Exception:
            logger.warning("Refreshing after %s failed", code, exc_info=True)
            return False
        self.refreshes += 1
        return True


__all__ = ["EXPIRED_CODES", "ExpiredTokenHook"]
