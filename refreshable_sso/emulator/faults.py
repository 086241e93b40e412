"""Injected failures: make an operation slow, flaky or fail on cue.

Two kinds, both per operation name (``"GetRoleCredentials"``, ``"CreateToken"``, ...):
``fail_next`` queues N deterministic failures; ``set`` gives a probability of 429 / 500 and
a fixed added latency. A seeded random generator keeps probabilistic runs reproducible.
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """What to do to one call: wait ``latency`` seconds, then fail with ``status``/``code`` if set."""

    latency: float = 0.0
    status: int | None = None
    code: str | None = None
    message: str = ""


@dataclass(frozen=True)
class _Rates:
    throttle_rate: float
    error_rate: float
    latency: float


class Faults:
    """The fault plan of one emulator (thread-safe)."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, deque[Fault]] = {}
        self._rates: dict[str, _Rates] = {}
        self._random = random.Random(seed)

    def fail_next(
        self,
        operation: str,
        n: int = 1,
        status: int = 500,
        code: str | None = None,
        message: str = "injected fault",
    ) -> None:
        """The next ``n`` calls of ``operation`` fail with HTTP ``status`` (and error ``code``,
        by default the service's usual code for that status)."""
        if n < 1:
            raise ValueError(f"fail_next(n={n}): n must be at least 1")
        if not 400 <= status <= 599:
            raise ValueError(f"fail_next(status={status}): status must be an HTTP error (400-599)")
        with self._lock:
            q = self._queued.setdefault(operation, deque())
            q.extend(Fault(status=status, code=code, message=message) for _ in range(n))

    def set(
        self,
        operation: str,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        latency: float = 0.0,
    ) -> None:
        """Every call of ``operation`` waits ``latency`` s, then is throttled (429) with
        probability ``throttle_rate`` or fails (500) with probability ``error_rate``."""
        for name, rate in (("throttle_rate", throttle_rate), ("error_rate", error_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name}={rate}: must be between 0.0 and 1.0")
        if throttle_rate + error_rate > 1.0:
            raise ValueError("throttle_rate + error_rate must not exceed 1.0")
        if not math.isfinite(latency) or latency < 0:
            raise ValueError(f"latency={latency}: must be >= 0 seconds")
        with self._lock:
            self._rates[operation] = _Rates(throttle_rate, error_rate, latency)

    def clear(self, operation: str | None = None) -> None:
        """Forget injected faults (of one operation, or all)."""
        with self._lock:
            if operation is None:
                self._queued.clear()
                self._rates.clear()
            else:
                self._queued.pop(operation, None)
                self._rates.pop(operation, None)

    def pending(self, operation: str) -> int:
        """How many queued ``fail_next`` failures are still waiting for ``operation``."""
        with self._lock:
            return len(self._queued.get(operation, ()))

    def decide(self, operation: str) -> Fault | None:
        """The fault (if any) to apply to one call of ``operation``; consumes queued ones."""
        with self._lock:
            rates = self._rates.get(operation)
            latency = rates.latency if rates else 0.0
            q = self._queued.get(operation)
            if q:
                queued = q.popleft()
                return Fault(latency, queued.status, queued.code, queued.message)
            if rates is None:
                return None
            roll = self._random.random()
        if roll < rates.throttle_rate:
            return Fault(latency, 429, None, "injected throttling")
        if roll < rates.throttle_rate + rates.error_rate:
            return Fault(latency, 500, None, "injected server error")
        return Fault(latency) if latency else None
