"""An asyncio lock that any event loop may use, in any thread.

``asyncio.Lock`` binds to the first loop that waits on it, and a session here may be used from
several loops (s3fs runs its own loop in a thread while the program has another). This lock
keeps its state under a ``threading.Lock`` and wakes each waiter on the waiter's own loop with
``call_soon_threadsafe``; ownership passes straight to the woken waiter, so nobody can slip in
between.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from types import TracebackType


class AnyLoopLock:
    """``async with lock:`` mutual exclusion across tasks of every event loop and thread."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locked = False
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    def locked(self) -> bool:
        return self._locked

    async def acquire(self) -> bool:
        loop = asyncio.get_running_loop()
        with self._guard:
            if not self._locked:
                self._locked = True
                return True
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            await waiter  # resolved by release(): the lock is ours from then on
        except asyncio.CancelledError:
            with self._guard:
                if (loop, waiter) in self._waiters:
                    self._waiters.remove((loop, waiter))
                    raise
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed to us just as we were cancelled: pass it on
            # (if the waiter itself was cancelled, _hand_over passes the lock on)
            raise
        return True

    def release(self) -> None:
        with self._guard:
            if not self._locked:
                raise RuntimeError("AnyLoopLock.release() called on an unlocked lock")
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                try:
                    loop.call_soon_threadsafe(self._hand_over, waiter)
                except RuntimeError:  # that loop is closed: its waiter is gone
                    continue
                return  # still locked: ownership moves to that waiter
            self._locked = False

    def _hand_over(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():  # cancelled meanwhile: give the lock to the next one
            self.release()
        else:
            waiter.set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


__all__ = ["AnyLoopLock"]
