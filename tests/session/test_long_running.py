"""The issue's "done when": 16 threads through many role-credential expiries and token refreshes.

Role credentials live 2.5 s (advisory 1.0 s, mandatory 0.5 s) and access tokens 6 s, so a
24-second run crosses more than ten role-credential generations and several token refreshes.
Every call must succeed, and IAM Identity Center must see exactly one GetRoleCredentials per
credential generation (no duplicate fetches by racing threads).

The run happens twice: on the shared virtual clock (the 24 s pass in steps paced by the
threads' calls, see ``tests/virtual_time.py``) in every suite run, and once in real time
(``soak``), as the honest check that nothing depends on the virtual clock.

On the virtual clock every duration is 100 times longer (role credentials live 250 s, the run
is 2400 s, in 60 steps of 40 s). Why: that clock also flows in real time, and on a busy
machine a thread can be kept from running for a second or two; against a 0.5 s mandatory
window that real second alone expired credentials the library had rightly judged good. Scaled,
the same second is noise, and every expiry the threads meet is still one the library must
handle (no call in flight sees more than 45 s pass, under the 50 s mandatory window).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.emulator import Emulator
from tests.session.conftest import seed, session_for
from tests.virtual_time import VirtualRun

THREADS = 16
RUN_SECONDS = 24.0
ROLE_TTL = 2.5
ADVISORY = 1.0
MANDATORY = 0.5
#: every duration of the run on the virtual clock is this many times longer (module docstring)
VIRTUAL_SCALE = 100.0


def test_sixteen_threads_across_many_expiries(
    sso_emulator_factory: object, shared_clock: OffsetClock
) -> None:
    # 40 s steps (60 of them), no call in flight aged past 45 s: under the 50 s mandatory window
    run = VirtualRun(shared_clock, step=0.4 * VIRTUAL_SCALE, max_span=0.45 * VIRTUAL_SCALE)
    _sixteen_threads(
        sso_emulator_factory, run.iteration, run.run, shared_clock.monotonic, VIRTUAL_SCALE
    )


@pytest.mark.soak
def test_sixteen_threads_across_many_expiries_in_real_time(sso_emulator_factory: object) -> None:
    _sixteen_threads(sso_emulator_factory, contextlib.nullcontext, time.sleep, time.monotonic, 1.0)


def _sixteen_threads(
    sso_emulator_factory: object,
    iteration: Callable[[], AbstractContextManager[None]],
    run_for: Callable[[float], object],
    monotonic: Callable[[], float],
    scale: float,
) -> None:
    """The scenario; ``run_for`` lets RUN_SECONDS pass, ``monotonic`` measures them, and
    ``iteration`` wraps each worker's call (the virtual run paces itself on those); every
    duration is ``scale`` times the module's."""
    role_ttl, advisory = ROLE_TTL * scale, ADVISORY * scale
    emu: Emulator = sso_emulator_factory(  # type: ignore[operator]
        auto_approve=True, role_credentials_ttl=role_ttl, access_token_ttl=6 * scale
    )
    seed(emu)
    token_calls_before = emu.calls("CreateToken")
    session = session_for(
        emu,
        region_name=emu.region,
        advisory_timeout=advisory,
        mandatory_timeout=MANDATORY * scale,
        token_refresh_window=2.5 * scale,
    )
    failures: list[BaseException] = []
    keys_used: set[str] = set()
    calls = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def worker(index: int) -> None:
        while not stop.is_set():
            try:
                with iteration():
                    key = session.credentials.access_key
                    if index % 2:
                        account = session.whoami()["Account"]
                    else:  # a cached client, made once, must keep working across refreshes
                        sts = session.client("sts", endpoint_url=emu.url)
                        account = sts.get_caller_identity()["Account"]
                    assert account == emu.default_account_id
                    # the call itself may have refreshed (and signed with) newer credentials
                    key_after = session.credentials.access_key
                with lock:
                    calls[0] += 1
                    keys_used.update((key, key_after))
            except BaseException as exc:
                with lock:
                    failures.append(exc)
            # a call every 0.05 s per thread: more only queues, and a queued call holds the
            # virtual clock back on a busy machine (no call in flight may age past 45 s)
            stop.wait(0.05)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    started = monotonic()
    for thread in threads:
        thread.start()
    run_for(RUN_SECONDS * scale)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)  # hang guard
    elapsed = monotonic() - started
    assert not any(thread.is_alive() for thread in threads)

    role_fetches = emu.calls("GetRoleCredentials")
    token_refreshes = emu.calls("CreateToken") - token_calls_before
    print(
        f"{elapsed:.1f} s, {THREADS} threads: {calls[0]} calls, {len(failures)} failed, "
        f"{role_fetches} GetRoleCredentials, {token_refreshes} token refreshes"
    )
    assert failures == [], failures[:3]
    assert calls[0] > THREADS * 10
    assert role_fetches >= 11, f"only {role_fetches} role credential generations"
    assert token_refreshes >= 3, f"only {token_refreshes} access token refreshes"
    assert emu.errors("GetRoleCredentials") == {}
    # One GetRoleCredentials per generation: every fetched credential was the one in use,
    # and fetches are no more frequent than one per (lifetime - advisory window).
    assert len(keys_used) == role_fetches
    assert role_fetches <= elapsed / (role_ttl - advisory) + 2
    assert session.cache_info().size == 1
