"""Clock skew both ways: the emulator's clock 10 minutes ahead of / behind the local one.

Role credentials live 4 s on the server, far less than the skew, so only an expiry measured
on the local clock (the server's lifetime, ``expiration - Date``, from the moment of receipt)
keeps 16 threads working: with the server's expiry taken literally, a local clock ahead sees
every set already expired (botocore's "refreshed credentials are still expired") and a local
clock behind never refreshes (STS answers ExpiredToken after 4 s). Both fail on the code
before this change; the emulator's ``Date`` header follows its own clock for this.

Both directions run on the shared virtual clock (the emulator reads it shifted by the skew; the
20 s pass in steps paced by the threads' calls, see ``tests/virtual_time.py``); one direction
also runs once in real time (``soak``), as the honest check.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
import urllib3

from refreshable_sso._clock import OffsetClock
from refreshable_sso.emulator import Clock, Emulator
from refreshable_sso.emulator.settings import EmulatorOptions
from tests.session.conftest import seed, session_for
from tests.virtual_time import VirtualRun

THREADS = 16
RUN_SECONDS = 20.0
ROLE_TTL = 4.0
SKEW = 600.0


class _SkewedClock(Clock):
    """The shared virtual clock as a server ``skew`` seconds off would read it: advancing
    either moves both, and the difference stays ``skew``.

    Args:
        shared: the library's (virtual) clock.
        skew: seconds the emulator is ahead of it (negative: behind).
    """

    def __init__(self, shared: OffsetClock, skew: float) -> None:
        super().__init__(base=shared)
        self._skew = skew

    def now(self) -> float:
        return super().now() + self._skew

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    @property
    def offset(self) -> float:
        return super().offset + self._skew


def _start(clock: Clock, **options: object) -> Emulator:
    settings: EmulatorOptions = {"auto_approve": True, "role_credentials_ttl": ROLE_TTL}
    return Emulator(clock=clock, **settings).start()  # type: ignore[misc]


def test_emulator_date_header_follows_its_clock() -> None:
    with Emulator(clock=Clock(offset=-SKEW)) as emu:
        response = urllib3.request("GET", f"{emu.url}/_emulator/health")
        served = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert abs(served - (time.time() - SKEW)) < 3


@pytest.mark.parametrize("emulator_offset", [-SKEW, SKEW], ids=["local-ahead", "local-behind"])
def test_sixteen_threads_survive_a_skew_larger_than_the_lifetime(
    emulator_offset: float, shared_clock: OffsetClock, caplog: pytest.LogCaptureFixture
) -> None:
    run = VirtualRun(shared_clock, step=0.2, max_span=0.4)
    _sixteen_threads(
        _start(_SkewedClock(shared_clock, emulator_offset)), run.iteration, run.run, caplog
    )


@pytest.mark.soak
def test_sixteen_threads_survive_a_skew_larger_than_the_lifetime_in_real_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _sixteen_threads(_start(Clock(offset=-SKEW)), contextlib.nullcontext, time.sleep, caplog)


def _sixteen_threads(
    emu: Emulator,
    iteration: Callable[[], AbstractContextManager[None]],
    run_for: Callable[[float], object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The scenario on the started ``emu`` (stopped at the end); ``run_for`` lets RUN_SECONDS
    pass and ``iteration`` wraps each worker's call (the virtual run paces itself on those)."""
    try:
        seed(emu)
        session = session_for(
            emu, region_name=emu.region, advisory_timeout=1.0, mandatory_timeout=0.5
        )
        failures: list[BaseException] = []
        calls = [0]
        lock = threading.Lock()
        stop = threading.Event()

        def worker() -> None:
            sts = session.client("sts", endpoint_url=emu.url)
            while not stop.is_set():
                try:
                    with iteration():
                        sts.get_caller_identity()
                    with lock:
                        calls[0] += 1
                except BaseException as exc:
                    with lock:
                        failures.append(exc)
                stop.wait(0.02)

        caplog.set_level(logging.WARNING, logger="refreshable_sso")
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        run_for(RUN_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        fetches = emu.calls("GetRoleCredentials")
    finally:
        emu.stop()
    print(f"{calls[0]} calls, {len(failures)} failed, {fetches} GetRoleCredentials")
    assert failures == [], failures[:3]
    assert calls[0] > 100
    # About one fetch per (locally measured, 3 s) lifetime, at least one per 4 s generation
    # the run needed, and never more than one per second (the old code made ~20 per second).
    assert RUN_SECONDS / ROLE_TTL - 1 <= fetches <= RUN_SECONDS
    skew_lines = [r for r in caplog.records if "Clock skew" in r.getMessage()]
    assert len(skew_lines) == 1
    # The Date header has whole seconds: the measured skew is 600 s give or take one.
    assert any(f"{size} s" in skew_lines[0].getMessage() for size in (599, 600, 601))
