"""Per-operation call and error counts, so tests can assert how much traffic a client made."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Counters:
    """Thread-safe counts of calls and of errors by code, per operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._errors: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def record_call(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def record_error(self, operation: str, code: str) -> None:
        with self._lock:
            self._errors[operation][code] += 1

    def calls(self, operation: str | None = None) -> int:
        """Calls of one operation, or of all operations when ``operation`` is None."""
        with self._lock:
            if operation is None:
                return sum(self._calls.values())
            return self._calls[operation]

    def errors(self, operation: str) -> dict[str, int]:
        """Errors answered for ``operation``, by error code."""
        with self._lock:
            return dict(self._errors.get(operation, {}))

    def snapshot(self) -> dict[str, Any]:
        """``{"calls": {op: n}, "errors": {op: {code: n}}}`` (what /_emulator/stats serves)."""
        with self._lock:
            return {
                "calls": dict(self._calls),
                "errors": {op: dict(c) for op, c in self._errors.items() if c},
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._errors.clear()
