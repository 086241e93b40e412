"""Credentials that arrive already expired by the local clock are refused, with a backoff."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from refreshable_sso._clock import OffsetClock, use_clock
from refreshable_sso.credentials.role import RoleCredentialFetcher, RoleCredentials, on_local_clock
from refreshable_sso.emulator import Clock, Emulator
from refreshable_sso.errors import CredentialRefreshError
from refreshable_sso.tokens.cached import CachedTokenProvider

SSO_SESSION = "dev"


def _fetcher(emu: Emulator) -> RoleCredentialFetcher:
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    provider = CachedTokenProvider(
        emu.start_url, emu.region, sso_session_name=SSO_SESSION, oidc_endpoint_url=emu.url
    )
    return RoleCredentialFetcher(
        provider,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        sso_region=emu.region,
        start_url=emu.start_url,
        sso_session_name=SSO_SESSION,
        sso_endpoint_url=emu.url,
    )


def test_expired_on_arrival_raises_naming_the_skew_and_backs_off() -> None:
    # 3 s of skew is inside the tolerance, so the server's expiry (1 s ahead of *its* clock)
    # is taken as is: already 2 s in the past by the local clock. The local (library) clock is
    # a virtual one 3 s ahead, so the backoff passes with an advance() instead of a sleep.
    local = OffsetClock(3.0)
    with use_clock(local), Emulator(clock=Clock(), role_credentials_ttl=1.0) as emu:
        fetcher = _fetcher(emu)
        with pytest.raises(CredentialRefreshError) as info:
            fetcher.fetch()
        message = str(info.value)
        assert "already expired by the local clock" in message
        assert "s ahead of the server's" in message
        assert info.value.error_code == "ExpiredOnArrival"
        assert emu.calls("GetRoleCredentials") == 1
        for _ in range(20):  # a caller retrying in a tight loop does not reach the server
            with pytest.raises(CredentialRefreshError):
                fetcher.fetch()
        assert emu.calls("GetRoleCredentials") == 1
        # past the 1 s backoff on both clocks, so the skew stays 3 s (the server's Date header
        # has whole seconds: moving only our clock would measure up to 5.1 s, past tolerance)
        local.advance(1.1)
        emu.clock.advance(1.1)
        with pytest.raises(CredentialRefreshError):
            fetcher.fetch()
        assert emu.calls("GetRoleCredentials") == 2


def _credentials(expiration: datetime) -> RoleCredentials:
    return RoleCredentials.model_validate(
        {
            "access_key_id": "ASIAEXAMPLE",
            "secret_access_key": "secret",
            "session_token": "token",
            "expiration": expiration,
        }
    )


def test_local_expiry_is_the_servers_lifetime_from_receipt() -> None:
    served = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    creds = _credentials(served + timedelta(hours=1))
    received = served.timestamp() + 600  # the local clock is 10 minutes ahead
    adjusted, skew = on_local_clock(creds, served, received)
    assert skew == pytest.approx(600)
    expected = datetime.fromtimestamp(received, tz=timezone.utc) + timedelta(seconds=3599)
    assert adjusted.expiration == expected
    same, small = on_local_clock(creds, served, served.timestamp() + 2)  # within tolerance
    assert same is creds
    assert small == pytest.approx(2)
    assert on_local_clock(creds, None, received) == (creds, 0.0)
