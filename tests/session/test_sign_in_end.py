"""Knowing when the sign-in session ends: the emulator's ``session_ttl`` is the truth.

A sign-in made by our own login is recorded (a side file of ours); with
``sso_session_duration`` the session then knows when it ends, warns ``before`` it through
``on_sign_in_expiring``, and with ``login="auto"`` and ``relogin_ahead`` signs in again in the
background so that 16 threads never see the boundary.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from refreshable_sso import _clock
from refreshable_sso._clock import OffsetClock
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.sign_in_watch import SignInExpiringEvent
from refreshable_sso.tokens.login.policy import LoginEvent
from tests.session.conftest import seed, session_for, sign_in_with_our_login
from tests.virtual_time import VirtualRun

SESSION_TTL = 20.0


def test_a_token_another_tool_obtained_has_no_known_end(sso_emulator: Emulator) -> None:
    seed(sso_emulator)
    session = session_for(sso_emulator, sso_session_duration=3600)
    assert session.sign_in_expires_at is None
    assert session.sign_in_remaining is None


def test_our_login_plus_the_duration_gives_the_end(sso_emulator: Emulator) -> None:
    signed_in = sign_in_with_our_login(sso_emulator)
    session = session_for(sso_emulator, sso_session_duration=timedelta(hours=8))
    end = session.sign_in_expires_at
    assert end is not None
    assert abs(end.timestamp() - (signed_in + 8 * 3600)) < 5
    remaining = session.sign_in_remaining
    assert remaining is not None
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)
    assert session_for(sso_emulator).sign_in_expires_at is None  # duration unknown


def test_bad_arguments_name_the_problem(sso_emulator: Emulator) -> None:
    seed(sso_emulator)
    with pytest.raises(ValueError, match="sso_session_duration"):
        session_for(sso_emulator, sso_session_duration=-5)
    session = session_for(sso_emulator)
    with pytest.raises(ValueError, match="callable"):
        session.on_sign_in_expiring("not a function")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timedelta"):
        session.on_sign_in_expiring(print, before=30)  # type: ignore[arg-type]


def test_callback_fires_once_before_the_end(
    sso_emulator_factory: Any, shared_clock: OffsetClock
) -> None:
    """On the shared virtual clock: the 14.5 s this waited are two ``advance()`` calls.

    Every duration is 100 times what it was in real time (a 2000 s sign-in, warned 800 s
    ahead): the virtual clock also flows in real time, and on a busy machine the watch thread
    can be kept from running for seconds, which against the old 8 s margins was a late or early
    callback; scaled, those seconds are noise and each bound still says the same."""
    scale = 100.0
    ttl = SESSION_TTL * scale
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=ttl)
    signed_in = sign_in_with_our_login(emu)
    session = session_for(emu, sso_session_duration=ttl, login="never")
    events: list[tuple[float, SignInExpiringEvent]] = []
    fired = threading.Event()

    def on_expiring(event: SignInExpiringEvent) -> None:
        events.append((_clock.wall(), event))
        fired.set()

    session.on_sign_in_expiring(on_expiring, before=timedelta(seconds=8 * scale))
    # 400 s before the callback is due: nothing yet
    shared_clock.advance(max(0.0, signed_in + 8.0 * scale - _clock.wall()))
    assert not fired.wait(0.3)
    shared_clock.advance(max(0.0, signed_in + 12.5 * scale - _clock.wall()))
    assert fired.wait(10)
    shared_clock.advance(max(0.0, signed_in + 14.5 * scale - _clock.wall()))
    time.sleep(0.3)  # the watch thread runs on: it must not fire again
    session.close()
    assert len(events) == 1, events
    fired_at, event = events[0]
    assert 11.0 * scale <= fired_at - signed_in <= 14.0 * scale
    assert event.reason == "scheduled"
    assert timedelta(seconds=6 * scale) <= event.remaining <= timedelta(seconds=9 * scale)
    assert event.expires_at is not None
    assert abs(event.expires_at.timestamp() - (signed_in + ttl)) < 2


def test_server_ending_the_sign_in_first_names_its_code(sso_emulator: Emulator) -> None:
    sign_in_with_our_login(sso_emulator)
    session = session_for(sso_emulator, sso_session_duration=timedelta(hours=8))
    events: list[SignInExpiringEvent] = []
    session.on_sign_in_expiring(events.append)
    sso_emulator.end_sign_in_sessions()
    with pytest.raises(LoginRequiredError):
        session.token_provider.get_token(force_refresh=True)
    assert [event.reason for event in events] == ["InvalidGrantException"]
    session.close()


def test_relogin_ahead_carries_16_threads_across_the_end(
    sso_emulator_factory: Any, shared_clock: OffsetClock
) -> None:
    """On the shared virtual clock: the 25 s this slept pass in steps paced by the threads'
    calls, every duration 100 times longer (a 2000 s sign-in, 400 s role credentials), so that a
    thread kept from running for a real second or two on a busy machine sees noise, not an
    expiry (no call in flight sees more than 40 s pass, under the 50 s mandatory window)."""
    scale = 100.0
    ttl = SESSION_TTL * scale
    emu: Emulator = sso_emulator_factory(
        auto_approve=True, session_ttl=ttl, role_credentials_ttl=4 * scale
    )
    signed_in = sign_in_with_our_login(emu)
    emu.reset_counters()
    logins: list[tuple[float, LoginEvent]] = []
    run = VirtualRun(shared_clock, step=0.2 * scale, max_span=0.4 * scale)
    session = session_for(
        emu,
        region_name=emu.region,
        login="auto",
        login_flow="device",
        sso_session_duration=ttl,
        relogin_ahead=timedelta(seconds=8 * scale),
        advisory_timeout=1.0 * scale,
        mandatory_timeout=0.5 * scale,
        # no virtual time passes while a sign-in runs (real time still does)
        on_login=run.holding_sign_ins(lambda event: logins.append((_clock.wall(), event))),
    )
    failures: list[BaseException] = []
    calls = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        sts = session.client("sts", endpoint_url=emu.url)
        while not stop.is_set():
            try:
                with run.iteration():
                    sts.get_caller_identity()
                with lock:
                    calls[0] += 1
            except BaseException as exc:
                with lock:
                    failures.append(exc)
            stop.wait(0.05)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    # well past the end, and before the re-login ahead of the new session's end (~2400 s)
    run.run(max(0.0, signed_in + ttl + 2 * scale - _clock.wall()))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    session.close()
    assert failures == [], failures[:3]
    assert calls[0] > 100
    assert emu.calls("StartDeviceAuthorization") == 1  # exactly one interactive login
    completed = [(at, event) for at, event in logins if event.phase == "completed"]
    assert len(completed) == 1
    assert completed[0][0] < signed_in + ttl  # before the end
    assert emu.errors("CreateToken").get("InvalidGrantException", 0) == 0


def test_a_mapping_backed_session_watches_its_own_sign_in(
    sso_emulator_factory: Any,
    shared_clock: OffsetClock,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """login="auto" on a dict-like token_cache: the relogin plan reads the mapping's record."""
    monkeypatch.chdir(tmp_path)
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=SESSION_TTL)
    store: dict[str, Any] = {}
    session = session_for(
        emu,
        token_cache=store,
        login="auto",
        login_flow="device",
        sso_session_duration=SESSION_TTL,
        on_login=lambda event: None,  # somebody to ask: a relogin ahead needs a person
    )
    assert session.whoami()["Account"] == emu.default_account_id  # signs in into the mapping
    policy = session._login_policy
    assert policy is not None
    first = policy.current_sign_in()
    assert first is not None  # read from the file path instead, this was always None
    shared_clock.advance(1.1)  # the record has whole seconds
    assert policy.sign_in_again("planned", unless_changed_since=first) is not None
    second = policy.current_sign_in()
    assert second not in (None, first)
    # a plan made before that sign-in is dropped: somebody signed in meanwhile
    assert policy.sign_in_again("stale plan", unless_changed_since=first) is None
    assert emu.calls("StartDeviceAuthorization") == 2
    assert list(tmp_path.iterdir()) == []  # and nothing of it went to the working folder
    session.close()
