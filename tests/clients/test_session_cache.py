"""Through SSORefreshableSession: cached clients sign with the session's refreshable credentials."""

from __future__ import annotations

import pytest
from botocore.config import Config

from refreshable_sso._clock import OffsetClock
from refreshable_sso.clients import CacheInfo
from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "clients-tests"


def _session(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, **overrides: object
) -> SSORefreshableSession:
    """A session on the emulator; its clients reach the emulator's STS via AWS_ENDPOINT_URL_STS."""
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    options: dict[str, object] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "region_name": emu.region,
        "endpoints": {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
    }
    options.update(overrides)
    return SSORefreshableSession(**options)  # type: ignore[arg-type]


def test_a_cached_client_keeps_working_across_credential_refreshes(
    sso_emulator_factory: object, shared_clock: OffsetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the shared virtual clock: 5.5 s of calls 0.1 s apart, advanced instead of slept."""
    emu: Emulator = sso_emulator_factory(auto_approve=True, role_credentials_ttl=2.0)  # type: ignore[operator]
    session = _session(emu, monkeypatch, advisory_timeout=1.0, mandatory_timeout=0.5, max_size=4)
    sts = session.client("sts")
    keys = set()
    deadline = shared_clock.monotonic() + 5.5  # crosses at least three credential generations
    calls = 0
    while shared_clock.monotonic() < deadline:
        assert session.client("sts") is sts
        assert sts.get_caller_identity()["Account"] == emu.default_account_id
        keys.add(session.credentials.access_key)
        calls += 1
        shared_clock.advance(0.1)
    assert emu.errors("GetCallerIdentity") == {}
    assert len(keys) >= 3, keys  # new role credentials each generation, same client throughout
    assert emu.calls("GetRoleCredentials") >= 3
    info = session.cache_info()
    assert (info.size, info.misses, info.hits) == (1, 1, calls)
    session.close()


def test_session_cache_settings_and_equivalent_calls(
    sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _session(sso_emulator, monkeypatch, eviction_policy="LFU", max_size=2)
    a = session.client("sts")
    assert session.client("sts", region_name=sso_emulator.region) is a
    assert session.client(service_name="sts", config=None) is a
    b = session.client("sts", config=Config(connect_timeout=2))
    assert session.client("sts", config=Config(connect_timeout=2)) is b
    assert b is not a
    assert session.client("sts", cache=False) is not a
    assert b.get_caller_identity()["Account"] == sso_emulator.default_account_id
    assert session.cache_info() == CacheInfo(
        hits=3, misses=3, evictions=0, size=2, max_size=2, policy="LFU"
    )
    session.clear_cache()
    assert session.cache_info().size == 0


def test_session_with_caching_disabled(
    sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _session(sso_emulator, monkeypatch, max_size=0)
    assert session.client("sts") is not session.client("sts")
    assert session.cache_info().max_size == 0
    assert session.client("sts").get_caller_identity()["Account"] == sso_emulator.default_account_id
