"""session.list_accounts() / list_roles() reach discovery with the session's token provider."""

from __future__ import annotations

from typing import Any

import pytest

from refreshable_sso.discovery import AccountInfo, RoleInfo
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import UnknownAccountError
from refreshable_sso.session import SSORefreshableSession
from tests.discovery.conftest import N_ACCOUNTS, SSO_SESSION, expected_roles


def _session(emu: Emulator) -> SSORefreshableSession:
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name=SSO_SESSION,
        account_id="200000000000",
        role_name="ReadOnlyAccess",
        region_name="eu-west-1",
        endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
    )


def test_session_lists_accounts_and_roles_despite_429s(
    virtual_backoff: list[float], big_emulator: Emulator
) -> None:
    session = _session(big_emulator)
    accounts = list(session.list_accounts())
    assert len(accounts) == N_ACCOUNTS
    assert accounts[1] == AccountInfo("200000000001", "Team 001", "team1@example.com")
    # The session's HTTP settings allow 3 attempts; listings get at least 10, so a throttled
    # fan-out still completes.
    big_emulator.faults.set("ListAccountRoles", throttle_rate=0.15)
    roles = list(session.list_roles())
    assert [(r.account_id, r.role_name, r.account_name) for r in roles] == expected_roles()
    assert big_emulator.errors("ListAccountRoles").get("TooManyRequestsException", 0) > 0
    assert virtual_backoff  # botocore backed off between the attempts (on the shared clock)
    assert list(session.list_roles("200000000002")) == [
        RoleInfo("200000000002", "ReadOnlyAccess"),
        RoleInfo("200000000002", "AdministratorAccess"),
        RoleInfo("200000000002", "PowerUserAccess"),
    ]


def test_session_unknown_account(big_emulator: Emulator) -> None:
    session: Any = _session(big_emulator)
    with pytest.raises(UnknownAccountError, match="999999999999"):
        list(session.list_roles("999999999999"))


def test_listings_get_a_larger_retry_budget_than_the_session(
    virtual_backoff: list[float], big_emulator: Emulator
) -> None:
    """Four failures in a row exhaust a session's budget for single calls, not a listing's."""
    session = _session(big_emulator)
    big_emulator.faults.fail_next("ListAccountRoles", n=4, status=500)
    roles = list(session.list_roles("200000000000"))
    assert roles == [RoleInfo("200000000000", "ReadOnlyAccess")]
    assert sum(big_emulator.errors("ListAccountRoles").values()) == 4
    assert big_emulator.calls("ListAccountRoles") == 5
    assert len(virtual_backoff) == 4  # one backoff before each retry
