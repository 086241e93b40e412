"""The one clock the library reads: wall time, monotonic time and waiting, injectable.

Why one clock: everything this library does is about lifetimes (role credentials, access
tokens, the sign-in session, login deadlines, poll intervals). If each module read
``time.time()`` or ``datetime.now()`` itself, the only way to test an expiry would be to wait
for it in real time. Instead every such read goes through the process-wide current clock
(:func:`current`, or the module functions :func:`wall`, :func:`now`, :func:`monotonic`,
:func:`sleep` and :func:`wait`). Production uses :data:`SYSTEM` (the real clocks, unchanged
behaviour); a test installs an :class:`OffsetClock` with :func:`use_clock` and moves it with
``advance()``, and the emulator can read that same object (``Emulator(clock=...)``,
``refreshable_sso.emulator.clock.Clock.sharing``), so one ``advance(3600)`` expires a token on
both sides without anyone sleeping.

What stays on the real clock, on purpose: waits on another process or thread (file-lock and
login-lock timeouts, the cache file's settle pause) - the other side does not see our clock -
and benchmark timings (``time.perf_counter``).

Hot paths capture a clock's bound methods once (see :func:`on_change`) instead of calling the
module functions, so the system clock costs exactly what ``time.time`` did.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the library asks of a clock. Every method is thread-safe."""

    def wall(self) -> float:
        """Seconds since the epoch (what ``time.time()`` answers on the system clock)."""
        ...

    def now(self) -> datetime:
        """The wall time as an aware UTC ``datetime``."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for deadlines and backoffs)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block until ``seconds`` have passed on this clock."""
        ...

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait for ``event`` until ``timeout`` seconds have passed on this clock.

        Args:
            event: returns True as soon as it is set.
            timeout: seconds on this clock; None waits for the event only.

        Returns:
            Whether the event is set (``threading.Event.wait``'s answer).
        """
        ...

    def from_system_time(self, timestamp: float) -> float:
        """A system-clock epoch time (a file's mtime) on this clock's timeline.

        Args:
            timestamp: seconds since the epoch as the operating system records them.
        """
        ...


class SystemClock:
    """The real clocks of the operating system: the default, and what production uses."""

    # The functions themselves, not wrappers: a caller holding ``clock.wall`` pays what
    # ``time.time`` costs.
    wall = staticmethod(time.time)
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    @staticmethod
    def wait(event: threading.Event, timeout: float | None) -> bool:
        return event.wait(timeout)

    @staticmethod
    def from_system_time(timestamp: float) -> float:
        return timestamp

    def __repr__(self) -> str:
        return "SystemClock()"


#: The system clock (one instance; ``current() is SYSTEM`` unless a test installed another).
SYSTEM = SystemClock()

# How often a virtual wait looks at its event (an event cannot wake a condition variable).
_EVENT_POLL = 0.01


class OffsetClock:
    """Real time plus an offset that only grows: time passes normally, and tests can jump.

    ``advance(seconds)`` moves the wall, the monotonic and the ``datetime`` views together and
    wakes every :meth:`sleep` and :meth:`wait` whose deadline is now behind, so a loop that
    waits for an expiry reacts at once instead of after the real interval.

    :meth:`from_system_time` maps a file's mtime with the offset in force when the file was
    written (the clock remembers when it was advanced), so a cache file written before an
    ``advance(3600)`` is an hour older afterwards, as it would be had the hour passed.

    Args:
        offset: the starting offset in seconds (may be negative: a clock behind the real one).
    """

    def __init__(self, offset: float = 0.0) -> None:
        if not math.isfinite(offset):
            raise ValueError(f"OffsetClock(offset={offset}): pass a finite number of seconds")
        self._offset = float(offset)
        self._initial = self._offset
        self._moved = threading.Condition(threading.Lock())
        # when each advance happened (system seconds), and the offset from then on
        self._advanced_at: list[float] = []
        self._offsets: list[float] = []

    def __repr__(self) -> str:
        return f"OffsetClock(offset={self.offset:g})"

    @property
    def offset(self) -> float:
        """How far ahead of the real clock this clock is, in seconds."""
        with self._moved:
            return self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backwards: lifetimes only grow old).

        Args:
            seconds: a finite number >= 0.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"Clock.advance(seconds={seconds}): time only moves forward; pass a number >= 0"
            )
        with self._moved:
            self._offset += float(seconds)
            self._advanced_at.append(time.time())
            self._offsets.append(self._offset)
            self._moved.notify_all()

    def wall(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), tz=timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def from_system_time(self, timestamp: float) -> float:
        with self._moved:
            index = bisect.bisect_right(self._advanced_at, timestamp)
            return timestamp + (self._offsets[index - 1] if index else self._initial)

    def sleep(self, seconds: float) -> None:
        deadline = self.monotonic() + max(0.0, seconds)
        with self._moved:
            while (left := deadline - self.monotonic()) > 0:
                self._moved.wait(left)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if timeout is None:
            return event.wait()
        deadline = self.monotonic() + max(0.0, timeout)
        while not event.is_set():
            left = deadline - self.monotonic()
            if left <= 0:
                return event.is_set()
            event.wait(min(left, _EVENT_POLL))
        return True


_lock = threading.Lock()
_current: Clock = SYSTEM
_listeners: list[Callable[[Clock], None]] = []


def current() -> Clock:
    """The clock the library reads now (:data:`SYSTEM` unless one was installed)."""
    return _current


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` for the whole process; returns the one it replaces.

    Args:
        clock: any object with the :class:`Clock` methods.
    """
    global _current
    if not isinstance(clock, Clock):
        raise TypeError(
            f"set_clock() needs a Clock (wall, now, monotonic, sleep, wait), got {clock!r}"
        )
    with _lock:
        previous, _current = _current, clock
        for listener in list(_listeners):
            listener(clock)
    return previous


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the ``with`` block, then put the previous clock back.

    Args:
        clock: any object with the :class:`Clock` methods.
    """
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def on_change(listener: Callable[[Clock], None]) -> None:
    """Call ``listener(clock)`` now and whenever another clock is installed.

    For hot paths that hold a clock's bound methods (``clock.wall``) instead of calling
    :func:`wall` each time.

    Args:
        listener: called with the new clock, under the installer's lock; keep it tiny.
    """
    with _lock:
        _listeners.append(listener)
        listener(_current)


# The module functions read the current clock at every call (one attribute lookup more than
# the system clock's own function); code outside the hot paths uses these.


def wall() -> float:
    """Seconds since the epoch on the current clock."""
    return _current.wall()


def now() -> datetime:
    """The current clock's time as an aware UTC ``datetime`` (botocore's ``time_fetcher``)."""
    return _current.now()


def monotonic() -> float:
    """The current clock's monotonic seconds."""
    return _current.monotonic()


def sleep(seconds: float) -> None:
    """Sleep ``seconds`` on the current clock.

    Args:
        seconds: how long; a virtual clock's ``advance()`` ends the sleep early.
    """
    _current.sleep(seconds)


def wait(event: threading.Event, timeout: float | None) -> bool:
    """Wait for ``event`` up to ``timeout`` seconds on the current clock.

    Args:
        event: returns True as soon as it is set.
        timeout: seconds on the current clock; None waits for the event only.
    """
    return _current.wait(event, timeout)


def from_system_time(timestamp: float) -> float:
    """A system-clock epoch time (a file's mtime) on the current clock's timeline.

    Args:
        timestamp: seconds since the epoch as the operating system records them.
    """
    return _current.from_system_time(timestamp)


__all__ = [
    "SYSTEM",
    "Clock",
    "OffsetClock",
    "SystemClock",
    "current",
    "from_system_time",
    "monotonic",
    "now",
    "on_change",
    "set_clock",
    "sleep",
    "use_clock",
    "wait",
    "wall",
]
