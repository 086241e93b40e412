"""Clock skew both ways: the emulator's clock 10 minutes ahead of / behind the local one.

Role credentials live 4 s on the server, far less than the skew, so only an expiry measured
on the local clock (the server's lifetime, ``expiration - Date``, from the moment of receipt)
keeps 16 threads working: with the server's expiry taken literally, a local clock ahead sees
every set already expired (botocore's "refreshed credentials are still expired") and a local
clock behind never refreshes (STS answers ExpiredToken after 4 s). Both fail on the code
before this change; the emulator's ``Date`` header follows its own clock for this.
"""

from __future__ import annotations

import logging
import threading
import time
from email.utils import parsedate_to_datetime

import pytest
import urllib3

from refreshable_sso.emulator import Clock, Emulator
from refreshable_sso.emulator.settings import EmulatorOptions
from tests.session.conftest import seed, session_for

THREADS = 16
RUN_SECONDS = 20.0
ROLE_TTL = 4.0
SKEW = 600.0


def _start(clock: Clock, **options: object) -> Emulator:
    settings: EmulatorOptions = {"auto_approve": True, "role_credentials_ttl": ROLE_TTL}
    return Emulator(clock=clock, **settings).start()  # type: ignore[misc]


def test_emulator_date_header_follows_its_clock() -> None:
    with Emulator(clock=Clock(offset=-SKEW)) as emu:
        response = urllib3.request("GET", f"{emu.url}/_emulator/health")
        served = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert abs(served - (time.time() - SKEW)) < 3


@pytest.mark.soak
@pytest.mark.parametrize("emulator_offset", [-SKEW, SKEW], ids=["local-ahead", "local-behind"])
def test_sixteen_threads_survive_a_skew_larger_than_the_lifetime(
    emulator_offset: float, caplog: pytest.LogCaptureFixture
) -> None:
    emu = _start(Clock(offset=emulator_offset))
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
        time.sleep(RUN_SECONDS)
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
