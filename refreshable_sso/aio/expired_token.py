"""The asyncio twin of :class:`refreshable_sso.expired_token.ExpiredTokenHook`.

aiobotocore emits the same ``before-send`` and ``needs-retry`` events and awaits handlers that
are coroutines, so the hook's decision is shared with the sync one; only the waiting differs:
an :class:`AnyLoopLock` instead of a thread lock, and the current key and the forced refresh
are awaited (the refresh runs the sync fetcher in a worker thread), so the loop never blocks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from refreshable_sso.aio._lock import AnyLoopLock
from refreshable_sso.expired_token import _ExpiredTokenBookkeeping, _Plan

logger = logging.getLogger("refreshable_sso.expired_token")


class AioExpiredTokenHook(_ExpiredTokenBookkeeping):
    """One per async session; ``current_key`` and ``force_refresh`` are coroutine functions."""

    def __init__(
        self,
        current_key: Callable[[], Awaitable[str | None]],
        force_refresh: Callable[[], Awaitable[object]],
    ) -> None:
        super().__init__()
        self._current_key = current_key
        self._force_refresh = force_refresh
        self._lock = AnyLoopLock()

    async def _needs_retry(
        self, response: Any = None, request_dict: Any = None, **_: Any
    ) -> int | None:
        found = self._candidate(response, request_dict)
        if found is None:
            return None
        code, signed_with, context = found
        async with self._lock:
            try:
                current = await self._current_key()
            except Exception:  # the refresh it may run failed: aiobotocore reports the error
                return None
            plan = self._plan(code, signed_with, current)
            if plan is _Plan.GIVE_UP or (
                plan is _Plan.REFRESH and not await self._refresh_once(code)
            ):
                return None
        return self._resend(context)

    async def _refresh_once(self, code: str) -> bool:
        try:
            await self._force_refresh()
        except Exception:
            logger.warning("Refreshing after %s failed", code, exc_info=True)
            return False
        self.refreshes += 1
        return True


__all__ = ["AioExpiredTokenHook"]
