"""boto3-refresh-session call shapes: per-call eviction_policy/max_size, refreshable_credentials()."""

from __future__ import annotations

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.session import SSORefreshableSession


@pytest.fixture
def session(sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> SSORefreshableSession:
    for name, value in sso_emulator.env().items():
        monkeypatch.setenv(name, value)
    sso_emulator.seed_token_cache()
    return SSORefreshableSession(
        start_url=sso_emulator.start_url,
        sso_region=sso_emulator.region,
        account_id=sso_emulator.default_account_id,
        role_name=sso_emulator.default_role_name,
        region_name="us-east-1",
    )


def test_first_call_settings_make_the_cache(session: SSORefreshableSession) -> None:
    s3 = session.client("s3", eviction_policy="LFU", max_size=10)
    info = session.cache_info()
    assert (info.policy, info.max_size) == ("LFU", 10)
    assert session.client("s3", eviction_policy="LFU", max_size=10) is s3
    assert session.client("s3") is s3  # the same entry, however it is spelled
    assert session.resource("s3", max_size=10).meta.client is not None


def test_matching_settings_are_accepted_any_time(session: SSORefreshableSession) -> None:
    session.client("sts")
    assert session.client("sts", eviction_policy="LRU", max_size=64) is session.client("sts")
    assert session.client("sts", max_size=None, eviction_policy=None) is session.client("sts")


def test_changing_a_cache_in_use_is_refused_with_the_reason(session: SSORefreshableSession) -> None:
    session.client("sts")
    with pytest.raises(ConfigurationError) as info:
        session.client("s3", eviction_policy="LFU", max_size=10)
    message = str(info.value)
    assert "client(eviction_policy='LFU', max_size=10)" in message
    assert "already LRU with max_size=64" in message
    assert "SSORefreshableSession(eviction_policy=..., max_size=...)" in message
    with pytest.raises(ConfigurationError, match="resource"):
        session.resource("s3", max_size=3)
    assert session.cache_info().policy == "LRU"


def test_invalid_per_call_settings_name_the_field(session: SSORefreshableSession) -> None:
    with pytest.raises(ConfigurationError, match="eviction_policy must be one of LRU, LFU"):
        session.client("s3", eviction_policy="lru")
    with pytest.raises(ConfigurationError, match="max_size must be an integer"):
        session.client("s3", max_size=-1)


def test_refreshable_credentials_keep_their_brs_meaning(
    session: SSORefreshableSession, sso_emulator: Emulator
) -> None:
    creds = session.refreshable_credentials()
    frozen = session.get_credentials().get_frozen_credentials()
    assert creds["access_key"] == creds.access_key == frozen.access_key
    assert creds["secret_key"] == frozen.secret_key
    assert creds["token"] == frozen.token
    assert creds["expiry_time"] == creds.expiry_time.isoformat()
    assert creds.secret_key not in repr(creds)
    assert creds.token not in repr(creds)
    assert session.credentials == creds
    with pytest.raises(KeyError, match="access_key, secret_key, token or expiry_time"):
        creds["AccessKeyId"]
