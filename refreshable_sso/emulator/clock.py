"""The emulator's notion of "now": real time plus an offset tests can move forward.

Every lifetime the emulator enforces (tokens, sessions, role credentials, device codes) is
measured on this clock, so a test can expire an hour-long token by calling ``advance(3600)``
instead of sleeping.

The offset lives in a library :class:`~refreshable_sso._clock.OffsetClock` (``library_clock``).
Installing that object as the library's clock (``refreshable_sso._clock.use_clock``, or the
``shared_clock`` pytest fixture) makes one ``advance()`` move the emulator and the library
together: a session's credentials and tokens then expire as the emulator says, with no sleep.
"""

from __future__ import annotations

from datetime import datetime

from refreshable_sso._clock import OffsetClock


class Clock:
    """Wall-clock time shifted by an adjustable offset (thread-safe).

    Args:
        offset: seconds ahead of the real clock to start at (negative: behind it).
        base: an existing library clock to read and move instead of a new one (``offset`` is
            then ignored); see :meth:`sharing`.
    """

    def __init__(self, offset: float = 0.0, *, base: OffsetClock | None = None) -> None:
        self._base = base if base is not None else OffsetClock(offset)

    @classmethod
    def sharing(cls, library_clock: OffsetClock) -> Clock:
        """An emulator clock over ``library_clock``: advancing either moves both."""
        return cls(base=library_clock)

    @property
    def library_clock(self) -> OffsetClock:
        """The library-protocol clock this emulator clock reads (install it to share time)."""
        return self._base

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        return self._base.wall()

    def utcnow(self) -> datetime:
        """The emulator's now as an aware UTC datetime."""
        return self._base.now()

    def advance(self, seconds: float) -> None:
        """Move emulator time forward by ``seconds`` (never backwards: lifetimes only grow old)."""
        self._base.advance(seconds)

    @property
    def offset(self) -> float:
        """How far ahead of the real clock the emulator is, in seconds."""
        return self._base.offset
