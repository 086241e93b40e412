"""The one library clock: the system clock by default, and a shared virtual clock in tests.

With ``shared_clock`` installed, the library and the emulator read one clock, so advancing it
by an hour expires role credentials and access tokens on both sides at once: the session
fetches new role credentials and refreshes its token, and nobody sleeps through the hour.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import _clock, login
from refreshable_sso._clock import OffsetClock, SystemClock
from refreshable_sso.aws import _botocore
from refreshable_sso.credentials.chain import refreshable
from refreshable_sso.emulator import Clock as EmulatorClock
from refreshable_sso.emulator import Emulator
from refreshable_sso.sign_in_watch import SignInExpiringEvent
from tests.session.conftest import SSO_SESSION, endpoints, session_for

HOUR = 3600.0


# -- the default ----------------------------------------------------------------------------


def test_the_default_clock_is_the_system_clock() -> None:
    assert _clock.current() is _clock.SYSTEM
    assert isinstance(_clock.SYSTEM, SystemClock)
    # the very functions of the time module: a hot path holding them pays nothing extra
    assert _clock.SYSTEM.wall is time.time
    assert _clock.SYSTEM.monotonic is time.monotonic
    assert _clock.SYSTEM.sleep is time.sleep
    assert abs(_clock.wall() - time.time()) < 1
    now = _clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert abs((now - datetime.now(timezone.utc)).total_seconds()) < 1
    assert _clock.from_system_time(1234.5) == 1234.5


def test_sessions_give_botocore_the_library_clock(signed_in: Emulator) -> None:
    """botocore's documented seam, ``time_fetcher``, is the library clock for every object."""
    session = session_for(signed_in)
    credentials: Any = session.get_credentials()
    assert credentials._time_fetcher is _clock.now
    hop: Any = refreshable(lambda: {}, 900.0, 600.0)  # each AssumeRole hop's credentials
    assert hop._time_fetcher is _botocore.TIME_FETCHER


def test_the_async_session_gives_aiobotocore_the_library_clock(signed_in: Emulator) -> None:
    aio_module = pytest.importorskip("refreshable_sso.aio", exc_type=ImportError)
    aio = aio_module.AioSSORefreshableSession(
        start_url=signed_in.start_url,
        sso_region=signed_in.region,
        sso_session_name=SSO_SESSION,
        account_id=signed_in.default_account_id,
        role_name=signed_in.default_role_name,
        region_name="eu-west-1",
        endpoints=endpoints(signed_in),
    )
    aio_credentials: Any = aio._role_credentials
    assert aio_credentials._time_fetcher is _clock.now


# -- installing a clock -----------------------------------------------------------------------


def test_use_clock_installs_and_restores() -> None:
    ahead = OffsetClock(2 * HOUR)
    with _clock.use_clock(ahead) as installed:
        assert installed is ahead
        assert _clock.current() is ahead
        assert 2 * HOUR - 5 < _clock.wall() - time.time() < 2 * HOUR + 5
        assert 2 * HOUR - 5 < _clock.monotonic() - time.monotonic() < 2 * HOUR + 5
        assert abs(_clock.now().timestamp() - _clock.wall()) < 1
        assert _clock.from_system_time(100.0) == 100.0 + 2 * HOUR
        with _clock.use_clock(_clock.SYSTEM):
            assert _clock.current() is _clock.SYSTEM
        assert _clock.current() is ahead
    assert _clock.current() is _clock.SYSTEM


def test_a_failing_block_restores_the_clock_too() -> None:
    with pytest.raises(RuntimeError), _clock.use_clock(OffsetClock()):
        raise RuntimeError("boom")
    assert _clock.current() is _clock.SYSTEM


def test_set_clock_refuses_what_is_not_a_clock() -> None:
    with pytest.raises(TypeError, match="Clock"):
        _clock.set_clock(time)  # type: ignore[arg-type]
    assert _clock.current() is _clock.SYSTEM


def test_the_fast_path_follows_the_installed_clock() -> None:
    clock = OffsetClock()
    with _clock.use_clock(clock):
        assert _botocore._wall == clock.wall
        assert _botocore._monotonic == clock.monotonic
    assert _botocore._wall is time.time
    assert _botocore._monotonic is time.monotonic


def test_a_file_written_before_an_advance_ages_with_it(tmp_path: Path) -> None:
    """A cache file's mtime maps with the offset of when it was written, not today's offset:
    otherwise credentials cached before ``advance(2)`` would look 2 s younger (longer-lived)
    than they are, and a fetcher would hand them out inside their refresh window."""
    clock = OffsetClock(10.0)
    before = tmp_path / "before"
    before.write_text("cached")
    written = before.stat().st_mtime
    assert clock.from_system_time(written) == written + 10.0
    clock.advance(HOUR)
    assert clock.from_system_time(written) == written + 10.0  # an hour old now
    time.sleep(0.05)  # past the file system's timestamp granularity
    after = tmp_path / "after"
    after.write_text("cached")
    assert clock.from_system_time(after.stat().st_mtime) == after.stat().st_mtime + 10.0 + HOUR
    assert clock.from_system_time(100.0) == 110.0  # long before any advance


def test_time_only_moves_forward() -> None:
    clock = OffsetClock()
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="forward"):
            clock.advance(bad)
    with pytest.raises(ValueError, match="finite"):
        OffsetClock(float("nan"))


def test_advance_ends_sleeps_and_waits_at_once() -> None:
    """A thread sleeping (or waiting on an event) for an hour returns when the hour is advanced."""
    clock = OffsetClock()
    event = threading.Event()
    results: dict[str, object] = {}

    def sleeper() -> None:
        clock.sleep(HOUR)
        results["slept"] = True

    def waiter() -> None:
        results["waited"] = clock.wait(event, HOUR)

    threads = [threading.Thread(target=sleeper), threading.Thread(target=waiter)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    assert results == {}  # both still waiting
    clock.advance(HOUR)
    for thread in threads:
        thread.join(timeout=10)
    assert results == {"slept": True, "waited": False}  # timed out: the event was never set
    assert time.monotonic() - started < 10


def test_a_virtual_wait_returns_when_its_event_is_set() -> None:
    clock = OffsetClock()
    event = threading.Event()
    threading.Timer(0.1, event.set).start()
    started = time.monotonic()
    assert clock.wait(event, HOUR) is True
    assert time.monotonic() - started < 10
    assert clock.wait(event, None) is True


# -- one clock for the library and the emulator ----------------------------------------------


def test_shared_clock_is_the_library_and_the_emulator_clock(
    shared_clock: OffsetClock, sso_emulator: Emulator
) -> None:
    assert _clock.current() is shared_clock
    assert sso_emulator.clock.library_clock is shared_clock
    before = _clock.wall()
    sso_emulator.clock.advance(HOUR)  # the emulator's own handle moves the library too
    assert HOUR <= _clock.wall() - before < HOUR + 5
    assert abs(sso_emulator.clock.now() - _clock.wall()) < 1
    assert shared_clock.offset == sso_emulator.clock.offset == HOUR


def test_an_emulator_accepts_a_library_clock() -> None:
    library = OffsetClock(30.0)
    with Emulator(clock=library) as emu:
        assert emu.clock.library_clock is library
        library.advance(10)
        assert emu.clock.offset == 40.0
    assert EmulatorClock.sharing(library).now() - time.time() > 39


def test_an_hour_later_the_session_refreshes_without_sleeping(
    shared_clock: OffsetClock, signed_in: Emulator
) -> None:
    """Role credentials and the access token (both 1 h on the emulator) expire on one advance."""
    started = time.monotonic()
    session = session_for(signed_in)
    first = session.credentials
    assert first.expiry_time is not None
    assert signed_in.calls("GetRoleCredentials") == 1
    tokens_before = signed_in.calls("CreateToken")
    assert session.whoami()["Account"] == signed_in.default_account_id

    shared_clock.advance(HOUR)  # the credentials are now expired, on both sides

    assert session.needs_refresh
    second = session.credentials
    assert second.access_key != first.access_key
    assert second.expiry_time is not None
    assert second.expiry_time - first.expiry_time >= timedelta(seconds=HOUR - 5)
    assert signed_in.calls("GetRoleCredentials") == 2
    assert signed_in.calls("CreateToken") == tokens_before + 1  # the refresh-token grant
    # the emulator (on the same clock) accepts the new credentials and the new token
    assert session.whoami()["Account"] == signed_in.default_account_id
    assert session.refresh_count == 2
    last = session.last_refresh_time
    assert last is not None
    assert abs(last.timestamp() - _clock.wall()) < 30
    for _ in range(20):  # fresh again: no further fetch
        session.get_credentials().get_frozen_credentials()
    assert signed_in.calls("GetRoleCredentials") == 2
    assert time.monotonic() - started < 60  # an hour of token life, in seconds


def test_an_hour_later_the_async_session_refreshes_too(
    shared_clock: OffsetClock, signed_in: Emulator
) -> None:
    import asyncio

    aio = pytest.importorskip("refreshable_sso.aio", exc_type=ImportError)

    async def scenario() -> tuple[str, str]:
        async with aio.AioSSORefreshableSession(
            start_url=signed_in.start_url,
            sso_region=signed_in.region,
            sso_session_name=SSO_SESSION,
            account_id=signed_in.default_account_id,
            role_name=signed_in.default_role_name,
            region_name="eu-west-1",
            endpoints=endpoints(signed_in),
        ) as session:
            first = await session.refreshable_credentials()
            shared_clock.advance(HOUR)
            second = await session.refreshable_credentials()
            return first.access_key, second.access_key

    first, second = asyncio.run(scenario())
    assert first != second
    assert signed_in.calls("GetRoleCredentials") == 2


def test_the_sign_in_watch_warns_on_the_shared_clock(
    shared_clock: OffsetClock, sso_emulator: Emulator
) -> None:
    """An 8-hour sign-in: advancing 7 h 55 min brings the warning, with no sleep."""
    login(
        sso_emulator.start_url,
        sso_emulator.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        open_browser=False,
        prompt_callback=lambda *args, **kwargs: None,
        oidc_endpoint_url=sso_emulator.url,
        timeout=30,
    )
    session = session_for(sso_emulator, sso_session_duration=timedelta(hours=8), login="never")
    fired = threading.Event()
    events: list[SignInExpiringEvent] = []

    def on_expiring(event: SignInExpiringEvent) -> None:
        events.append(event)
        fired.set()

    session.on_sign_in_expiring(on_expiring, before=timedelta(minutes=10))
    assert not fired.wait(0.3)  # eight hours to go
    shared_clock.advance(7 * HOUR + 55 * 60)
    assert fired.wait(10), "the watch did not notice the advanced clock"
    assert len(events) == 1
    remaining = session.sign_in_remaining
    assert remaining is not None
    assert timedelta(0) < remaining <= timedelta(minutes=5, seconds=5)


def test_cached_role_credentials_age_on_the_shared_clock(
    shared_clock: OffsetClock, signed_in: Emulator
) -> None:
    """A second session reads the first one's cache file until the hour has passed."""
    first = session_for(signed_in).credentials
    assert signed_in.calls("GetRoleCredentials") == 1
    again = session_for(signed_in).credentials  # the shared cache file: no new call
    assert again.access_key == first.access_key
    assert signed_in.calls("GetRoleCredentials") == 1
    shared_clock.advance(HOUR)
    later = session_for(signed_in).credentials  # the cached credentials are expired: a new call
    assert later.access_key != first.access_key
    assert signed_in.calls("GetRoleCredentials") == 2
