"""The credentials fast path answers exactly what botocore would, and never hides a refresh."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.credentials import RefreshableCredentials

from refreshable_sso.aws.fast_credentials import (
    FastDeferredRefreshableCredentials,
    FastRefreshableCredentials,
)
from refreshable_sso.emulator import Emulator
from tests.session.conftest import session_for

ADVISORY = 900.0
MANDATORY = 600.0


class Source:
    """A ``refresh_using`` handing out numbered credentials that expire ``lifetimes`` from now."""

    def __init__(self, *lifetimes: float) -> None:
        self.lifetimes = list(lifetimes)
        self.calls = 0

    def __call__(self) -> dict[str, str]:
        lifetime = self.lifetimes[min(self.calls, len(self.lifetimes) - 1)]
        self.calls += 1
        expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        return {
            "access_key": f"AKID{self.calls}",
            "secret_key": "secret",
            "token": "token",
            "expiry_time": expiry.isoformat(),
        }


def make(source: Source, *, deferred: bool = False) -> Any:
    credentials: Any
    if deferred:
        credentials = FastDeferredRefreshableCredentials(refresh_using=source, method="sso")
    else:
        credentials = FastRefreshableCredentials.create_from_metadata(
            source(), refresh_using=source, method="sso"
        )
    credentials._advisory_refresh_timeout = ADVISORY
    credentials._mandatory_refresh_timeout = MANDATORY
    return credentials


def test_is_botocore_refreshable_credentials() -> None:
    assert isinstance(make(Source(3600)), RefreshableCredentials)


def test_deadline_is_the_opening_of_the_advisory_window() -> None:
    credentials = make(Source(3600))
    before = time.time()
    assert credentials.get_frozen_credentials().access_key == "AKID1"
    expiry, wall_deadline, _ = credentials._fresh_until
    assert expiry is credentials._expiry_time
    assert wall_deadline == expiry.timestamp() - ADVISORY
    assert wall_deadline > before  # fresh: the fast path is on
    assert not credentials.refresh_needed()  # and botocore agrees


def test_refreshes_as_soon_as_the_advisory_window_opens() -> None:
    """Credentials whose advisory window opens 0.3 s from now: fast until then, botocore after."""
    source = Source(ADVISORY + 0.3, 3600)
    credentials = make(source)
    credentials.get_frozen_credentials()
    assert source.calls == 1
    assert credentials._fresh_until is not None
    opens = credentials._expiry_time.timestamp() - ADVISORY
    while time.time() < opens - 0.05:
        assert credentials.get_frozen_credentials().access_key == "AKID1"
        assert source.calls == 1
        time.sleep(0.01)
    while time.time() <= opens:
        time.sleep(0.005)
    # botocore now sees the advisory window: the very next call refreshes
    assert credentials.refresh_needed()
    assert credentials.get_frozen_credentials().access_key == "AKID2"
    assert source.calls == 2


def test_a_forced_refresh_is_never_masked() -> None:
    """A forced refresh (e.g. after ExpiredToken) storing credentials that are already inside the
    advisory window: the next call must refresh again, as botocore would, not reuse the deadline."""
    source = Source(3600, ADVISORY - 60, 3600)
    credentials = make(source)
    credentials.get_frozen_credentials()
    assert credentials._fresh_until is not None
    with credentials._refresh_lock:
        credentials._protected_refresh(is_mandatory=True)
    assert source.calls == 2
    assert credentials.refresh_needed()  # botocore: advisory window
    assert credentials.get_frozen_credentials().access_key == "AKID3"
    assert source.calls == 3


def test_a_forced_refresh_is_seen_by_the_next_call() -> None:
    source = Source(3600, 7200)
    credentials = make(source)
    assert credentials.get_frozen_credentials().access_key == "AKID1"
    with credentials._refresh_lock:
        credentials._protected_refresh(is_mandatory=True)
    assert credentials.get_frozen_credentials().access_key == "AKID2"
    assert credentials._fresh_until[0] is credentials._expiry_time


def test_inside_the_mandatory_window_botocore_decides() -> None:
    source = Source(MANDATORY - 1, 3600)
    credentials = make(source)
    assert credentials._fresh_until is None
    assert credentials.get_frozen_credentials().access_key == "AKID2"
    assert source.calls == 2


def test_deferred_first_load_then_fast() -> None:
    source = Source(3600)
    credentials = make(source, deferred=True)
    assert source.calls == 0
    assert credentials._fresh_until is None
    assert credentials.get_frozen_credentials().access_key == "AKID1"
    assert credentials._fresh_until is not None
    for _ in range(100):
        credentials.get_frozen_credentials()
    assert source.calls == 1


def test_a_larger_advisory_timeout_drops_the_deadline() -> None:
    source = Source(3600)
    credentials = make(source)
    credentials.get_frozen_credentials()
    credentials._advisory_refresh_timeout = 7200.0
    assert credentials._fresh_until is None
    assert credentials.get_frozen_credentials().access_key == "AKID2"


def test_another_clock_turns_the_fast_path_off() -> None:
    """A time fetcher an hour ahead (as after a wall-clock jump) is botocore's to judge."""
    source = Source(1800, 3 * 3600)
    credentials = make(source)
    credentials.get_frozen_credentials()
    ahead = timedelta(hours=1)
    credentials._time_fetcher = lambda: datetime.now(timezone.utc) + ahead
    assert credentials._fresh_until is None
    assert credentials.get_frozen_credentials().access_key == "AKID2"  # 1800 s - 1 h: expired
    for _ in range(10):
        credentials.get_frozen_credentials()
    assert credentials._fresh_until is None
    assert source.calls == 2


def test_properties_take_the_fast_path_too() -> None:
    source = Source(3600)
    credentials = make(source)
    assert (credentials.access_key, credentials.secret_key, credentials.token) == (
        "AKID1",
        "secret",
        "token",
    )
    assert source.calls == 1


def test_session_force_refresh_reaches_every_client(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    credentials = session.get_credentials()
    first = credentials.get_frozen_credentials().access_key
    assert isinstance(credentials, FastDeferredRefreshableCredentials)
    session.refresh_credentials(force=True)
    second = credentials.get_frozen_credentials().access_key
    assert second != first
    assert signed_in.calls("GetRoleCredentials") == 2
    sts = session.client("sts", endpoint_url=signed_in.url)
    assert sts.get_caller_identity()["Account"] == signed_in.default_account_id
