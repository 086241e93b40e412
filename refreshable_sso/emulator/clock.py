"""The emulator's notion of "now": real time plus an offset tests can move forward.

Every lifetime the emulator enforces (tokens, sessions, role credentials, device codes) is
measured on this clock, so a test can expire an hour-long token by calling ``advance(3600)``
instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timezone


class Clock:
    """Wall-clock time shifted by an adjustable offset (thread-safe)."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        with self._lock:
            return time.time() + self._offset

    def utcnow(self) -> datetime:
        """The emulator's now as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move emulator time forward by ``seconds`` (never backwards: lifetimes only grow old)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"Clock.advance(seconds={seconds}): time only moves forward; pass a number >= 0"
            )
        with self._lock:
            self._offset += float(seconds)

    @property
    def offset(self) -> float:
        """How far ahead of the real clock the emulator is, in seconds."""
        with self._lock:
            return self._offset
