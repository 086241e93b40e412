"""One virtual clock for a test and its child processes, paced step by step across them.

Why: the long-running tests move time on an :class:`~refreshable_sso._clock.OffsetClock`
(hours of token and session lifetimes in seconds). A child process reads real time, so until
now the processes of such a test could only run after the virtual hours were over. Here the
parent's clock (:class:`PublishingClock`, an ``OffsetClock`` that the emulator and the parent's
library read as usual) writes its offset, and the history of its advances, into a small
memory-mapped file on every ``advance()``. A child installs a :class:`FileClock` over that file
with ``refreshable_sso._clock.set_clock`` before it builds a session: each of its ``wall()``,
``now()`` and ``monotonic()`` calls reads the parent's offset at that moment (both sides add it
to the same system clocks, so they agree), and botocore's ``time_fetcher`` follows through the
library's adapter.

The pace is a barrier through the same file (:class:`ProcessSteps`): a child reads the step
number before each call and acknowledges it after the call; the parent advances only once every
child has acknowledged the current step (:class:`PacedRun`). So no call of a child ever sees
more than one step of virtual time pass, however slow the machine, and the test cannot flake
under load.

Every value in the file is guarded by a sequence number (a seqlock): a writer makes it odd,
writes, makes it even; a reader retries until it reads the same even number on both sides.
Each slot has one writer (the parent for the clock and the step, each child for its own ack).
"""

from __future__ import annotations

import bisect
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from refreshable_sso._clock import OffsetClock
from tests.virtual_time import VirtualRun

# Slots: (sequence, value). The clock: sequence, offset (double), step, stop flag, history
# length. Each child's ack: sequence, step. The history: (advanced_at, offset) pairs, written
# before the length that makes them visible, never changed afterwards.
_CLOCK = struct.Struct("=Qdqqq")  # seq, offset, step, stop, history length
_ACK = struct.Struct("=Qq")  # seq, acknowledged step
_ENTRY = struct.Struct("=dd")  # advanced_at (system seconds), offset from then on
MAX_CHILDREN = 16
_ACKS_AT = 64
_HISTORY_AT = _ACKS_AT + MAX_CHILDREN * _ACK.size
HISTORY = 32768
SIZE = _HISTORY_AT + HISTORY * _ENTRY.size
_POLL = 0.0005  # real seconds between two looks at the file while waiting


def _read_stable(view: mmap.mmap, layout: struct.Struct, at: int) -> tuple[float | int, ...]:
    """One consistent read of a seqlock slot (retries while a writer is inside)."""
    while True:
        first = layout.unpack_from(view, at)
        if first[0] % 2 == 0 and struct.unpack_from("=Q", view, at)[0] == first[0]:
            return first[1:]


class _Shared:
    """The mapped file: ``create`` it in the parent, ``open`` it in a child."""

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            if create:
                os.ftruncate(fd, SIZE)
            self.view = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    def clock_state(self) -> tuple[float, int, int, int]:
        offset, step, stop, length = _read_stable(self.view, _CLOCK, 0)
        return float(offset), int(step), int(stop), int(length)

    def close(self) -> None:
        self.view.close()


class PublishingClock(OffsetClock):
    """The parent's clock: an :class:`OffsetClock` that also writes every advance to ``path``.

    Pass it to the emulator (``clock=``) and install it with ``use_clock``, as the
    ``shared_clock`` fixture does with a plain ``OffsetClock``.

    Args:
        path: the file to create (it must not exist); children open it with :class:`FileClock`.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.shared = _Shared(path, create=True)
        self._seq = 0
        self._step = 0
        self._stop = 0
        self._length = 0
        self._write = threading.Lock()
        self._publish()

    def _publish(self) -> None:
        view = self.shared.view
        self._seq += 1  # odd: a reader retries
        struct.pack_into("=Q", view, 0, self._seq)
        _CLOCK.pack_into(
            view, 0, self._seq, self.offset, self._step, self._stop, self._length
        )  # still odd
        self._seq += 1
        struct.pack_into("=Q", view, 0, self._seq)

    def advance(self, seconds: float) -> None:
        """Move time forward (see :meth:`OffsetClock.advance`) and publish it to the children.

        Args:
            seconds: a finite number >= 0.
        """
        with self._write:
            super().advance(seconds)
            with self._moved:
                entry = (self._advanced_at[-1], self._offsets[-1])
            if self._length >= HISTORY:
                raise RuntimeError(f"PublishingClock: more than {HISTORY} advances")
            _ENTRY.pack_into(self.shared.view, _HISTORY_AT + self._length * _ENTRY.size, *entry)
            self._length += 1
            self._publish()

    def next_step(self) -> int:
        """Open the next step of a paced run (after an advance); returns its number."""
        with self._write:
            self._step += 1
            self._publish()
            return self._step

    @property
    def step(self) -> int:
        """The step the children are in now."""
        return self._step

    def stop_children(self) -> None:
        """Tell the children (:meth:`FileClock.stopped`) that the run is over."""
        with self._write:
            self._stop = 1
            self._publish()

    def acknowledged(self, child: int) -> int:
        """The last step child number ``child`` finished a call in (-1: none yet).

        Args:
            child: the child's number, 0 to ``MAX_CHILDREN - 1``.
        """
        (step,) = _read_stable(self.shared.view, _ACK, _ACKS_AT + child * _ACK.size)
        return int(step) - 1  # stored +1, so a fresh (zeroed) slot reads -1

    def close(self) -> None:
        """Unmap the file (the children may keep their own mapping)."""
        self.shared.close()


class FileClock:
    """A child's clock: real time plus the parent's offset, read from ``path`` at every call.

    Install it with ``refreshable_sso._clock.set_clock`` before building a session; it has
    every method of :class:`refreshable_sso._clock.Clock`.

    Args:
        path: the file a :class:`PublishingClock` created.
        child: this process's number among the children (its ack slot), 0 to 15.
    """

    def __init__(self, path: Path, child: int) -> None:
        if not 0 <= child < MAX_CHILDREN:
            raise ValueError(f"FileClock(child={child}): need 0 <= child < {MAX_CHILDREN}")
        self.shared = _Shared(path, create=False)
        self.child = child
        self._ack_seq = 0
        self._history_at: list[float] = []
        self._history_offsets: list[float] = []
        self._history_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileClock(path={str(self.shared.path)!r}, child={self.child})"

    @property
    def offset(self) -> float:
        """The parent's offset now, in seconds."""
        return self.shared.clock_state()[0]

    def wall(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), tz=timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset  # CLOCK_MONOTONIC is one clock for the host

    def sleep(self, seconds: float) -> None:
        deadline = self.monotonic() + max(0.0, seconds)
        while (left := deadline - self.monotonic()) > 0:
            time.sleep(min(left, _POLL * 10))

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if timeout is None:
            return event.wait()
        deadline = self.monotonic() + max(0.0, timeout)
        while not event.is_set():
            left = deadline - self.monotonic()
            if left <= 0:
                return event.is_set()
            event.wait(min(left, _POLL * 10))
        return True

    def from_system_time(self, timestamp: float) -> float:
        length = self.shared.clock_state()[3]
        with self._history_lock:
            for index in range(len(self._history_at), length):
                at, offset = _ENTRY.unpack_from(self.shared.view, _HISTORY_AT + index * _ENTRY.size)
                self._history_at.append(at)
                self._history_offsets.append(offset)
            index = bisect.bisect_right(self._history_at, timestamp)
            return timestamp + (self._history_offsets[index - 1] if index else 0.0)

    # -- the step barrier ---------------------------------------------------------------

    def step(self) -> int:
        """The step the parent is in: read it before a call, :meth:`ack` it after."""
        return self.shared.clock_state()[1]

    def stopped(self) -> bool:
        """Whether the parent has ended the run."""
        return bool(self.shared.clock_state()[2])

    def ack(self, step: int) -> None:
        """Say a call that began in ``step`` has finished.

        Args:
            step: what :meth:`step` answered before the call.
        """
        at = _ACKS_AT + self.child * _ACK.size
        self._ack_seq += 1
        struct.pack_into("=Q", self.shared.view, at, self._ack_seq)
        _ACK.pack_into(self.shared.view, at, self._ack_seq, step + 1)
        self._ack_seq += 1
        struct.pack_into("=Q", self.shared.view, at, self._ack_seq)


class PacedRun(VirtualRun):
    """A :class:`VirtualRun` whose advances also wait for child processes on a ``FileClock``.

    Before the advance out of step ``s``, every child must have finished a call that began in
    step ``s - lag`` or later (:meth:`FileClock.ack`). A call that began in step ``k`` thus
    sees at most ``lag + 1`` advances before it ends: the advance out of ``k + lag + 1`` waits
    for a call begun in ``k + 1`` or later, which this child cannot start before this one
    ends. With ``(lag + 1) * step <= max_span`` a child's call sees no more virtual time pass
    than a thread's, and each child makes at least one call per step on average.

    Args:
        clock: the parent's :class:`PublishingClock`.
        children: how many children acknowledge steps (numbered 0 to ``children - 1``).
        alive: returns False once a child has died (the run then stops waiting and fails).
        lag: how many steps a child's acknowledgement may trail the current step.
        step, max_span, pause: as for :class:`VirtualRun`.
    """

    def __init__(
        self,
        clock: PublishingClock,
        *,
        children: int,
        alive: Callable[[], bool] | None = None,
        lag: int = 0,
        step: float = 0.2,
        max_span: float = 0.4,
        pause: float = 0.01,
    ) -> None:
        super().__init__(clock, step=step, max_span=max_span, pause=pause)
        if lag < 0 or (lag + 1) * step > max_span:
            raise ValueError(f"PacedRun(lag={lag}): need 0 <= lag and (lag + 1) * step <= max_span")
        self.publisher = clock
        self.children = children
        self.alive = alive
        self.lag = lag

    def _children_done(self) -> bool:
        oldest = self.publisher.step - self.lag
        return all(self.publisher.acknowledged(child) >= oldest for child in range(self.children))

    def run(
        self, seconds: float, *, until: threading.Event | None = None, stall: float = 60.0
    ) -> float:
        """Let ``seconds`` of virtual time pass, one acknowledged step at a time.

        Args:
            seconds: virtual seconds to move through.
            until: stop early once this event is set.
            stall: real seconds to wait for the threads and children before failing (a child
                that takes that long is a hang, not load).

        Returns:
            The real seconds it took.
        """
        started = time.monotonic()
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if until is not None and until.is_set():
                break
            deadline = time.monotonic() + stall
            while True:
                with self._changed:
                    ready = self._may_advance() and self._children_done()
                if ready:
                    break
                if self.alive is not None and not self.alive():
                    raise RuntimeError("a child process died during the paced run")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the threads or children did not finish step {self.publisher.step} "
                        f"within {stall} s"
                    )
                time.sleep(_POLL)
            self.clock.advance(min(self.step, left))
            self.publisher.next_step()
            time.sleep(self.pause)
        return time.monotonic() - started
