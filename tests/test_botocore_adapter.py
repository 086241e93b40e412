"""Pins every botocore private ``refreshable_sso.aws._botocore`` relies on, against the installed one.

A botocore (or boto3, aiobotocore) release that renames or changes one of them fails here, by
name, instead of somewhere inside a refresh. Run on the oldest and the newest botocore the
project allows.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.credentials import (
    Credentials,
    DeferredRefreshableCredentials,
    ReadOnlyCredentials,
    RefreshableCredentials,
)
from botocore.exceptions import CredentialRetrievalError
from botocore.loaders import Loader

from refreshable_sso import _clock
from refreshable_sso.aws import _botocore


class Source:
    """A ``refresh_using`` handing out numbered credentials living ``lifetime`` seconds."""

    def __init__(self, lifetime: float = 3600.0, fail: bool = False) -> None:
        self.lifetime = lifetime
        self.fail = fail
        self.calls = 0

    def __call__(self) -> dict[str, str]:
        if self.fail:
            raise CredentialRetrievalError(provider="test", error_msg="refused")
        self.calls += 1
        expiry = datetime.now(timezone.utc) + timedelta(seconds=self.lifetime)
        return {
            "access_key": f"AKID{self.calls}",
            "secret_key": "secret",
            "token": "token",
            "expiry_time": expiry.isoformat(),
        }


def _loaded(source: Source) -> Any:
    credentials = DeferredRefreshableCredentials(refresh_using=source, method="test")
    credentials.get_frozen_credentials()
    return credentials


# -- the documented seam ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "position"),
    [(RefreshableCredentials, 6), (DeferredRefreshableCredentials, 2)],
)
def test_time_fetcher_is_a_constructor_argument_at_the_expected_position(
    cls: type, position: int
) -> None:
    """The fast classes default ``time_fetcher`` only when it was not passed positionally."""
    names = list(inspect.signature(cls.__init__).parameters)[1:]
    assert names[position] == "time_fetcher"
    assert position == (
        _botocore.FastRefreshableCredentials._TIME_FETCHER_ARG
        if cls is RefreshableCredentials
        else _botocore.FastDeferredRefreshableCredentials._TIME_FETCHER_ARG
    )


def test_time_fetcher_decides_refresh_needed() -> None:
    ahead = [timedelta(0)]
    credentials: Any = DeferredRefreshableCredentials(
        refresh_using=Source(), method="test", time_fetcher=lambda: _clock.now() + ahead[0]
    )
    credentials.get_frozen_credentials()
    assert not credentials.refresh_needed()
    ahead[0] = timedelta(hours=1)
    assert credentials.refresh_needed()


# -- refreshable credentials: the privates ------------------------------------------------------


def test_refresh_windows_are_instance_attributes_botocore_reads() -> None:
    """``_advisory_refresh_timeout`` / ``_mandatory_refresh_timeout``: class defaults, and
    what ``refresh_needed`` and the mandatory path read from the instance."""
    assert isinstance(RefreshableCredentials._advisory_refresh_timeout, int | float)  # type: ignore[attr-defined]
    assert isinstance(RefreshableCredentials._mandatory_refresh_timeout, int | float)  # type: ignore[attr-defined]
    assert RefreshableCredentials._advisory_refresh_timeout == _botocore.DEFAULT_ADVISORY  # type: ignore[attr-defined]
    source = Source(lifetime=1800)
    credentials = _loaded(source)
    assert not credentials.refresh_needed()
    _botocore.set_refresh_windows(credentials, 2400.0, 1200.0)
    assert credentials._advisory_refresh_timeout == 2400.0
    assert credentials._mandatory_refresh_timeout == 1200.0
    assert credentials.refresh_needed()  # 1800 s left < 2400 s advisory
    _botocore.set_refresh_windows(credentials, 2400.0, 2000.0)
    credentials.get_frozen_credentials()  # inside the mandatory window: refreshed
    assert source.calls == 2


def test_expiry_time_and_frozen_credentials_are_what_botocore_holds() -> None:
    source = Source()
    credentials = _loaded(source)
    assert isinstance(credentials._expiry_time, datetime)
    assert credentials._expiry_time.tzinfo is not None
    assert _botocore.expiry_time(credentials) is credentials._expiry_time
    assert isinstance(credentials._frozen_credentials, ReadOnlyCredentials)
    # get_frozen_credentials answers the very object it holds (the fast path returns it too)
    assert credentials.get_frozen_credentials() is credentials._frozen_credentials
    frozen, expiry = _botocore.frozen_with_expiry(credentials)
    assert frozen.access_key == "AKID1"
    assert expiry is credentials._expiry_time
    assert _botocore.expiry_time(DeferredRefreshableCredentials(Source(), "test")) is None


def test_every_refresh_stores_a_new_expiry_object() -> None:
    """The fast path's deadline is tied to the identity of ``_expiry_time``."""
    credentials = _loaded(Source())
    before = credentials._expiry_time
    _botocore.refresh_now(credentials)
    assert credentials._expiry_time is not before
    assert credentials._frozen_credentials.access_key == "AKID2"


def test_refresh_lock_and_protected_refresh() -> None:
    """``_refresh_lock`` is a lock; ``_protected_refresh(is_mandatory=True)`` raises failures."""
    source = Source()
    credentials = _loaded(source)
    lock = credentials._refresh_lock
    assert hasattr(lock, "acquire")
    assert hasattr(lock, "release")
    with lock:
        assert not lock.acquire(blocking=False)  # held: botocore's own refreshes wait on it
    assert inspect.signature(credentials._protected_refresh).parameters.keys() >= {"is_mandatory"}
    _botocore.refresh_now(credentials, only_if_needed=True)  # fresh: nothing happens
    assert source.calls == 1
    forgotten: list[bool] = []
    _botocore.refresh_now(credentials, before=lambda: forgotten.append(lock.locked()))
    assert forgotten == [True]  # called under botocore's lock
    assert source.calls == 2
    source.fail = True
    with pytest.raises(CredentialRetrievalError):
        _botocore.refresh_now(credentials)


def test_properties_go_through_refresh() -> None:
    """``access_key`` and friends call ``_refresh``, which the fast classes override."""
    calls: list[int] = []

    class Counting(DeferredRefreshableCredentials):
        def _refresh(self) -> None:
            calls.append(1)
            super()._refresh()  # type: ignore[misc]

    credentials = Counting(refresh_using=Source(), method="test")
    assert credentials.access_key == "AKID1"
    assert credentials.secret_key == "secret"
    assert len(calls) == 2


def test_fast_classes_default_to_the_library_clock() -> None:
    source = Source()
    fast: Any = _botocore.FastRefreshableCredentials.create_from_metadata(
        source(), refresh_using=source, method="test"
    )
    assert fast._time_fetcher is _clock.now
    deferred: Any = _botocore.FastDeferredRefreshableCredentials(source, "test")
    assert deferred._time_fetcher is _clock.now
    chosen = _botocore.FastDeferredRefreshableCredentials(source, "test", lambda: _clock.now())
    assert chosen._time_fetcher is not _clock.now  # a caller's clock is kept (fast path off)


def test_deferred_credentials_get_the_clock_and_the_windows() -> None:
    credentials: Any = _botocore.deferred_credentials(Source(), "test", 1000.0, 500.0)
    assert isinstance(credentials, DeferredRefreshableCredentials)
    assert credentials._time_fetcher is _clock.now
    assert (credentials._advisory_refresh_timeout, credentials._mandatory_refresh_timeout) == (
        1000.0,
        500.0,
    )


# -- aiobotocore ---------------------------------------------------------------------------


def test_aiobotocore_refresh_lock_and_protected_refresh() -> None:
    aio_credentials = pytest.importorskip("aiobotocore.credentials")
    calls = [0]

    async def refresh() -> dict[str, str]:
        calls[0] += 1
        expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        return {
            "access_key": f"AKID{calls[0]}",
            "secret_key": "s",
            "token": "t",
            "expiry_time": expiry.isoformat(),
        }

    async def scenario() -> None:
        credentials = aio_credentials.AioDeferredRefreshableCredentials(
            refresh_using=refresh, method="test", time_fetcher=_botocore.TIME_FETCHER
        )
        assert credentials._time_fetcher is _clock.now
        assert hasattr(credentials, "_refresh_lock")
        assert inspect.iscoroutinefunction(credentials._protected_refresh)
        from refreshable_sso.aio._lock import AnyLoopLock

        lock = AnyLoopLock()
        _botocore.replace_refresh_lock(credentials, lock)
        assert credentials._refresh_lock is lock
        _botocore.set_refresh_windows(credentials, 900.0, 600.0)
        frozen = await credentials.get_frozen_credentials()
        assert frozen.access_key == "AKID1"
        assert _botocore.expiry_time(credentials) is credentials._expiry_time

        seen: list[bool] = []

        async def before() -> None:
            seen.append(lock.locked())

        await _botocore.refresh_now_async(credentials, before=before)
        assert seen == [True]
        assert (await credentials.get_frozen_credentials()).access_key == "AKID2"

    asyncio.run(scenario())


# -- sessions, loaders, config ------------------------------------------------------------


def test_session_credentials_are_handed_over_through_credentials() -> None:
    """``botocore.session.Session._credentials``: what ``get_credentials()`` returns as is."""
    session = botocore.session.Session()
    credentials = Credentials("AKID", "secret")
    _botocore.set_session_credentials(session, credentials)
    assert session._credentials is credentials  # type: ignore[attr-defined]
    assert session.get_credentials() is credentials
    _botocore.set_session_credentials(session, None)
    assert session._credentials is None  # type: ignore[attr-defined]


def test_a_boto3_session_keeps_its_botocore_session_in_session() -> None:
    session = boto3.Session(region_name="eu-west-1")
    core = _botocore.core_session(session)
    assert isinstance(core, botocore.session.Session)
    assert core is session._session
    plain = botocore.session.Session()
    assert _botocore.core_session(plain) is plain


def test_loader_search_paths_is_the_private_list() -> None:
    """``Loader.search_paths`` is a read-only view of ``_search_paths``; boto3 appends to it."""
    loader = Loader()
    assert loader.search_paths is loader._search_paths  # type: ignore[attr-defined]
    replacement = list(loader.search_paths)
    _botocore.replace_search_paths(loader, replacement)
    assert loader.search_paths is replacement
    with pytest.raises(AttributeError):
        loader.search_paths = []  # type: ignore[misc]


def test_config_records_what_the_caller_set() -> None:
    assert _botocore.user_provided_options(Config(read_timeout=5, region_name="x")) == {
        "read_timeout": 5,
        "region_name": "x",
    }
    assert _botocore.user_provided_options(Config()) == {}
    merged = Config(read_timeout=5).merge(Config(connect_timeout=2))
    assert _botocore.user_provided_options(merged) == {"read_timeout": 5, "connect_timeout": 2}


def test_no_private_outside_the_adapter() -> None:
    """The privates the adapter owns appear in no other module of the package."""
    import pathlib
    import re

    import refreshable_sso

    root = pathlib.Path(refreshable_sso.__file__).parent
    pattern = re.compile(
        r"\._(expiry_time|frozen_credentials|refresh_lock|protected_refresh|search_paths|"
        r"advisory_refresh_timeout|mandatory_refresh_timeout|time_fetcher|user_provided_options|"
        r"local_now)\b|\b_credentials\s*=|_SSO_TOKEN_CACHE_DIR"
    )
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "_botocore.py" and "emulator" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_the_thread_lock_type_is_a_real_lock() -> None:
    credentials = _loaded(Source())
    assert isinstance(credentials._refresh_lock, type(threading.Lock()))
