"""Accounts and roles across 250 emulated accounts: pagination, 429s, token renewal, errors."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from refreshable_sso import discovery
from refreshable_sso.discovery import AccountInfo, RoleInfo
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    ConfigurationError,
    DiscoveryError,
    LoginRequiredError,
    UnknownAccountError,
)
from refreshable_sso.tokens.simple import StaticTokenProvider
from tests.discovery.conftest import (
    MANY_ROLES_ACCOUNT,
    N_ACCOUNTS,
    CountingProvider,
    cached_provider,
    expected_roles,
    roles_of,
)


def _discovery_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sso-discovery")]


def test_lists_all_250_accounts_over_three_pages(big_emulator: Emulator) -> None:
    provider = cached_provider(big_emulator)
    accounts = list(
        discovery.list_accounts(provider, big_emulator.region, sso_endpoint_url=big_emulator.url)
    )
    assert len(accounts) == N_ACCOUNTS
    assert accounts[0] == AccountInfo("200000000000", "Team 000", "team0@example.com")
    assert accounts[-1] == AccountInfo("200000000249", "Team 249", "team249@example.com")
    assert len({a.account_id for a in accounts}) == N_ACCOUNTS
    assert big_emulator.calls("ListAccounts") == 3  # 100 + 100 + 50


def test_lists_every_role_across_250_accounts_despite_429s(
    virtual_backoff: list[float], big_emulator: Emulator
) -> None:
    provider = cached_provider(big_emulator)
    big_emulator.faults.set("ListAccountRoles", throttle_rate=0.1)
    big_emulator.faults.set("ListAccounts", throttle_rate=0.3)
    roles = list(
        discovery.list_roles(
            provider, big_emulator.region, max_workers=16, sso_endpoint_url=big_emulator.url
        )
    )
    assert [(r.account_id, r.role_name, r.account_name) for r in roles] == expected_roles()
    throttled = big_emulator.errors("ListAccountRoles").get("TooManyRequestsException", 0)
    assert throttled > 0  # the 429s really happened, and were retried away
    assert len(virtual_backoff) >= throttled  # each after a backoff (on the shared clock)
    # one call per account, one more for the second page of the big account, plus the retries
    assert big_emulator.calls("ListAccountRoles") == N_ACCOUNTS + 1 + throttled
    assert _discovery_threads() == []  # the pool is gone once the iterator is exhausted


def test_roles_of_one_account_span_pages(big_emulator: Emulator) -> None:
    provider = cached_provider(big_emulator)
    roles = list(
        discovery.list_roles(
            provider, big_emulator.region, MANY_ROLES_ACCOUNT, sso_endpoint_url=big_emulator.url
        )
    )
    assert [r.role_name for r in roles] == [f"Role{n:03d}" for n in range(130)]
    assert {r.account_id for r in roles} == {MANY_ROLES_ACCOUNT}
    assert {r.account_name for r in roles} == {None}  # named accounts are not looked up
    assert big_emulator.calls("ListAccountRoles") == 2
    assert big_emulator.calls("ListAccounts") == 0


def test_several_named_accounts(big_emulator: Emulator) -> None:
    provider = cached_provider(big_emulator)
    ids = ["200000000001", "200000000002", "200000000003"]
    roles = list(
        discovery.list_roles(provider, big_emulator.region, ids, sso_endpoint_url=big_emulator.url)
    )
    assert roles == [
        RoleInfo(account_id, role, None)
        for i, account_id in enumerate(ids, start=1)
        for role in roles_of(i)
    ]


def test_unknown_account_is_a_clear_error(big_emulator: Emulator) -> None:
    provider = cached_provider(big_emulator)
    with pytest.raises(UnknownAccountError) as caught:
        list(
            discovery.list_roles(
                provider, big_emulator.region, "999999999999", sso_endpoint_url=big_emulator.url
            )
        )
    assert caught.value.account_id == "999999999999"
    assert "999999999999" in str(caught.value)
    assert "refreshable-sso accounts" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)  # the emulator's 404 ResourceNotFound
    # ... and among several named accounts, the unknown one is named
    with pytest.raises(UnknownAccountError, match="999999999998"):
        list(
            discovery.list_roles(
                provider,
                big_emulator.region,
                ["200000000000", "999999999998"],
                sso_endpoint_url=big_emulator.url,
            )
        )


@pytest.mark.parametrize("bad", ["12345", "abcdefghijkl", ["200000000000", "x"]])
def test_malformed_account_ids_are_refused_before_any_call(
    sso_emulator: Emulator, bad: object
) -> None:
    provider = cached_provider(sso_emulator)
    with pytest.raises(ConfigurationError, match="12-digit"):
        discovery.list_roles(provider, sso_emulator.region, bad, sso_endpoint_url=sso_emulator.url)  # type: ignore[arg-type]
    assert sso_emulator.calls("ListAccountRoles") == 0


def test_bad_max_workers_and_attempts(sso_emulator: Emulator) -> None:
    provider = cached_provider(sso_emulator)
    with pytest.raises(ConfigurationError, match="max_workers"):
        discovery.list_roles(provider, sso_emulator.region, max_workers=0)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        discovery.list_accounts(provider, sso_emulator.region, max_attempts=0)


def test_rejected_token_is_refreshed_once_and_listing_resumes(
    sso_emulator_factory: object,
) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True, access_token_ttl=120, fault_seed=1)  # type: ignore[operator]
    provider = CountingProvider(cached_provider(emu, refresh_window=5))
    emu.clock.advance(121)  # the portal now rejects the cached token; our clock thinks it is fine
    roles = list(discovery.list_roles(provider, emu.region, sso_endpoint_url=emu.url))
    assert {(r.account_id, r.role_name) for r in roles} >= {("111111111111", "PowerUserAccess")}
    assert len(roles) == 7
    assert provider.forced == 1
    assert emu.calls("CreateToken") == 1  # one refresh-token grant
    assert emu.errors("ListAccounts") == {"UnauthorizedException": 1}


def test_token_still_rejected_after_refresh_means_login_required(sso_emulator: Emulator) -> None:
    provider = CountingProvider(
        StaticTokenProvider(
            "not-a-token-the-portal-knows", datetime.now(timezone.utc) + timedelta(hours=1)
        )
    )
    with pytest.raises(LoginRequiredError) as caught:
        list(
            discovery.list_accounts(
                provider, sso_emulator.region, sso_endpoint_url=sso_emulator.url
            )
        )
    assert provider.forced == 1
    assert isinstance(caught.value.__cause__, ClientError)
    assert "not-a-token-the-portal-knows" not in str(caught.value)
    assert sso_emulator.errors("ListAccounts") == {"UnauthorizedException": 2}


def test_throttling_that_never_stops_is_a_discovery_error(sso_emulator: Emulator) -> None:
    provider = cached_provider(sso_emulator)
    sso_emulator.faults.set("ListAccountRoles", throttle_rate=1.0)
    with pytest.raises(DiscoveryError, match="lower max_workers") as caught:
        list(
            discovery.list_roles(
                provider,
                sso_emulator.region,
                "111111111111",
                max_attempts=2,
                sso_endpoint_url=sso_emulator.url,
            )
        )
    assert not isinstance(caught.value, UnknownAccountError)
    assert sso_emulator.calls("ListAccountRoles") == 2  # gave up after the small budget


def test_fan_out_is_bounded_and_stops_when_the_caller_does(big_emulator: Emulator) -> None:
    provider = cached_provider(big_emulator)
    big_emulator.faults.set("ListAccountRoles", latency=0.05)
    roles = discovery.list_roles(
        provider, big_emulator.region, max_workers=4, sso_endpoint_url=big_emulator.url
    )
    first = next(roles)
    assert first.account_id == "200000000000"
    assert 0 < len(_discovery_threads()) <= 4
    roles.close()  # the caller has seen enough
    assert _discovery_threads() == []
    assert big_emulator.calls("ListAccountRoles") < N_ACCOUNTS  # it did not list everything


def test_token_rejected_mid_listing_resumes_at_the_next_page(
    sso_emulator_factory: object, big_directory_file: object
) -> None:
    emu: Emulator = sso_emulator_factory(  # type: ignore[operator]
        auto_approve=True, access_token_ttl=120, directory=big_directory_file
    )
    provider = CountingProvider(cached_provider(emu, refresh_window=5))
    accounts = discovery.list_accounts(provider, emu.region, sso_endpoint_url=emu.url)
    seen = [next(accounts) for _ in range(100)]  # exactly the first page
    emu.clock.advance(121)  # the token expires (for the portal) between pages
    seen.extend(accounts)
    assert [a.account_id for a in seen] == [f"{200000000000 + i}" for i in range(N_ACCOUNTS)]
    assert provider.forced == 1
    assert emu.errors("ListAccounts") == {"UnauthorizedException": 1}
    assert emu.calls("ListAccounts") == 4  # pages 1, 2 (rejected), 2 again, 3
