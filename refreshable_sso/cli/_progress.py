"""A waiting indicator on stderr, only at a terminal and only once a wait passes ~2 s.

``rich`` draws it; it is imported only when stderr is a terminal and the wait has lasted
``after`` seconds, so scripts, pipes and quick commands never pay for it or see a byte of it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from refreshable_sso import _clock

SHOW_AFTER = 2.0


class _Indicator(threading.Thread):
    def __init__(self, what: str, stream: TextIO, after: float) -> None:
        super().__init__(name="refreshable-sso-waiting", daemon=True)
        self._what = what
        self._stream = stream
        self._after = after
        self._since = _clock.monotonic()
        self.done = threading.Event()

    def _text(self) -> str:
        return f"waiting for {self._what} {_clock.monotonic() - self._since:.0f} s..."

    def run(self) -> None:
        if self.done.wait(self._after):
            return
        from rich.console import Console

        console = Console(file=self._stream, highlight=False)
        with console.status(self._text()) as status:
            while not self.done.wait(0.5):
                status.update(self._text())


@contextmanager
def waiting(
    what: str, *, stream: TextIO | None = None, after: float = SHOW_AFTER
) -> Iterator[None]:
    """Show "waiting for WHAT N s..." while the block runs longer than ``after`` seconds."""
    out = stream if stream is not None else sys.stderr
    if not _is_terminal(out):
        yield
        return
    indicator = _Indicator(what, out, after)
    indicator.start()
    try:
        yield
    finally:
        indicator.done.set()
        indicator.join(timeout=2)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
