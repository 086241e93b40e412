"""Running many threads through seconds of virtual time, without sleeping through them.

Why: the long-running tests (16 threads across many credential expiries, a relogin ahead of
the end of the sign-in, clock skew) used to sleep 20-25 s in real time. On the shared virtual
clock a driver moves time on in small steps instead, while the workers call the emulator as
fast as they like.

A plain "advance 0.2 s every 10 ms" would be fast, but not honest on a busy 2-core machine: a
worker descheduled between signing a request and the emulator checking it could see several
steps pass, and credentials the library rightly judged good (outside the mandatory window) would
arrive expired. So the driver paces itself on the workers: each worker wraps one call in
:meth:`VirtualRun.iteration`, and the driver only advances while no call in flight would then
have spanned more than ``max_span`` seconds of virtual time. Pick ``max_span`` below the
mandatory window, and every expiry the workers meet is one the library should have handled.
Time on an :class:`~refreshable_sso._clock.OffsetClock` also flows in real time, so a call
that waits on the clock itself (a poll interval) still ends; the driver never deadlocks.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from refreshable_sso._clock import OffsetClock

T = TypeVar("T")


class VirtualRun:
    """Advance ``clock`` in steps, paced by the calls the workers have in flight.

    Args:
        clock: the shared virtual clock (the ``shared_clock`` fixture).
        step: seconds of virtual time per advance.
        max_span: the most virtual time one call in flight may see pass (keep it under the
            mandatory refresh window of the session under test).
        pause: real seconds between two advances, so the workers get the CPU.
    """

    def __init__(
        self, clock: OffsetClock, *, step: float = 0.2, max_span: float = 0.4, pause: float = 0.01
    ) -> None:
        if not 0 < step <= max_span:
            raise ValueError(
                f"VirtualRun(step={step}, max_span={max_span}): need 0 < step <= max_span"
            )
        self.clock = clock
        self.step = step
        self.max_span = max_span
        self.pause = pause
        self._in_flight: dict[int, float] = {}
        self._ids = itertools.count()
        self._changed = threading.Condition()
        self._holds = 0

    @contextmanager
    def iteration(self) -> Iterator[None]:
        """Wrap one call of a worker (a thread or an asyncio task): the driver will not age it
        by more than ``max_span``."""
        ident = next(self._ids)  # not the thread: asyncio tasks share one
        with self._changed:
            self._in_flight[ident] = self.clock.monotonic()
        try:
            yield
        finally:
            with self._changed:
                del self._in_flight[ident]
                self._changed.notify_all()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """No advance at all while this is held (e.g. while a sign-in runs, so the moment it
        starts a session is the moment the library records); real time still flows."""
        with self._changed:
            self._holds += 1
        try:
            yield
        finally:
            with self._changed:
                self._holds -= 1
                self._changed.notify_all()

    def holding_sign_ins(self, then: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        """An ``on_login`` callback that holds the clock from a sign-in's ``"started"`` event to
        its ``"completed"`` or ``"failed"`` one: on a busy machine the steps taken during a slow
        sign-in would otherwise carry it past the end it was meant to beat.

        Args:
            then: called with every event too: inside the hold for ``"started"``, and before
                the hold ends for the others (so it still sees the sign-in's own moment).
        """
        holding: list[Any] = []

        def on_login(event: Any) -> None:
            if event.phase == "started":
                holding.append(self.hold())
                holding[-1].__enter__()
            try:
                if then is not None:
                    then(event)
            finally:
                if event.phase != "started" and holding:
                    holding.pop().__exit__(None, None, None)

        return on_login

    def _may_advance(self) -> bool:
        if self._holds:
            return False
        after = self.clock.monotonic() + self.step
        return all(after - started <= self.max_span for started in self._in_flight.values())

    def run(
        self, seconds: float, *, until: threading.Event | None = None, stall: float = 60.0
    ) -> float:
        """Let ``seconds`` of virtual time pass; returns the real seconds it took.

        Args:
            seconds: virtual seconds to move through (real time that passes meanwhile counts).
            until: stop early once this event is set (the workers decide the run is over).
            stall: real seconds to wait for a slow call before advancing anyway (a hang guard;
                the call then sees more than ``max_span`` pass and the test will say so).
        """
        started = time.monotonic()
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if until is not None and until.is_set():
                break
            with self._changed:
                self._changed.wait_for(self._may_advance, timeout=stall)
            self.clock.advance(min(self.step, left))
            time.sleep(self.pause)
        return time.monotonic() - started


def call_on_virtual_time(
    clock: OffsetClock, call: Callable[[], T], *, step: float = 0.25, limit: float = 3600.0
) -> T:
    """Run ``call()`` in a thread while ``clock`` moves on in ``step``s; return what it returns
    (or raise what it raised).

    For a call that only waits on the clock (a device-code poll interval, its own timeout):
    each wait ends as soon as enough virtual time has passed, and the emulator, on the same
    clock, sees the same time pass between two polls.

    Args:
        clock: the shared virtual clock (the ``shared_clock`` fixture).
        call: the blocking call.
        step: virtual seconds per advance (10 ms of real time apart).
        limit: virtual seconds after which the clock stops moving (the call then runs on real
            time; a hang guard, not a deadline).
    """
    done = threading.Event()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=target, name="virtual-time-call", daemon=True)
    worker.start()
    VirtualRun(clock, step=step, max_span=step).run(limit, until=done)
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]
