"""SSO portal with an unmodified boto3 client: every operation, paginators, modelled errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from refreshable_sso.emulator import Directory, Emulator

from .helpers import NO_RETRY, client, device_login

PluginFactory = Any


@pytest.fixture
def sso(sso_emulator: Emulator) -> Any:
    return client(sso_emulator, "sso", config=NO_RETRY)


@pytest.fixture
def token(sso_emulator: Emulator) -> str:
    return sso_emulator.sign_in()["accessToken"]


def test_default_directory(sso_emulator: Emulator, sso: Any, token: str) -> None:
    accounts = sso.list_accounts(accessToken=token)["accountList"]
    assert [(a["accountId"], a["accountName"]) for a in accounts] == [
        ("111111111111", "Development"),
        ("222222222222", "Staging"),
        ("333333333333", "Production"),
    ]
    assert all(a["emailAddress"] for a in accounts)
    dev_roles = sso.list_account_roles(accessToken=token, accountId="111111111111")["roleList"]
    assert {r["roleName"] for r in dev_roles} == {
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
    }
    prod = sso.list_account_roles(accessToken=token, accountId="333333333333")["roleList"]
    assert {r["roleName"] for r in prod} == {"AdministratorAccess", "ReadOnlyAccess"}
    assert all(r["accountId"] == "333333333333" for r in prod)
    assert sso_emulator.default_account_id == "111111111111"
    assert sso_emulator.default_role_name == "ReadOnlyAccess"
    assert sso_emulator.user_name == "alice"


def test_paginator_over_250_accounts(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(directory=Directory.generated(250))
    sso = client(emu, "sso")
    token = emu.sign_in()["accessToken"]
    paginator = sso.get_paginator("list_accounts")
    pages = list(paginator.paginate(accessToken=token, PaginationConfig={"PageSize": 100}))
    assert [len(p["accountList"]) for p in pages] == [100, 100, 50]
    ids = [a["accountId"] for p in pages for a in p["accountList"]]
    assert len(set(ids)) == 250
    assert ids == sorted(ids)
    everything = paginator.paginate(accessToken=token).build_full_result()
    assert len(everything["accountList"]) == 250
    assert emu.calls("ListAccounts") == 3 + 13  # default page size 20


def test_list_account_roles_paginator(sso_emulator: Emulator, sso: Any, token: str) -> None:
    pages = list(
        sso.get_paginator("list_account_roles").paginate(
            accessToken=token, accountId="111111111111", PaginationConfig={"PageSize": 1}
        )
    )
    assert [r["roleName"] for p in pages for r in p["roleList"]] == [
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
    ]


def test_get_role_credentials(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(role_credentials_ttl=900)
    sso = client(emu, "sso")
    token = emu.sign_in()["accessToken"]
    creds = sso.get_role_credentials(
        accessToken=token, accountId="222222222222", roleName="AdministratorAccess"
    )["roleCredentials"]
    assert creds["accessKeyId"].startswith("ASIA")
    assert len(creds["secretAccessKey"]) == 40
    assert creds["sessionToken"]
    expected_ms = (emu.clock.now() + 900) * 1000
    assert abs(creds["expiration"] - expected_ms) < 5000
    assert emu.calls("GetRoleCredentials") == 1


def test_unauthorized_for_unknown_expired_and_revoked_tokens(
    sso_emulator_factory: PluginFactory,
) -> None:
    emu = sso_emulator_factory(access_token_ttl=60)
    sso = client(emu, "sso", config=NO_RETRY)
    args = {"accountId": "111111111111", "roleName": "ReadOnlyAccess"}
    with pytest.raises(sso.exceptions.UnauthorizedException) as info:
        sso.get_role_credentials(accessToken="not-a-token", **args)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    expiring = emu.sign_in()["accessToken"]
    emu.clock.advance(61)
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.get_role_credentials(accessToken=expiring, **args)
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=expiring)
    assert emu.errors("GetRoleCredentials") == {"UnauthorizedException": 2}


def test_logout_revokes_access_and_refresh_token(sso_emulator: Emulator) -> None:
    oidc = client(sso_emulator, "sso-oidc", config=NO_RETRY)
    sso = client(sso_emulator, "sso", config=NO_RETRY)
    token = device_login(sso_emulator, oidc)
    sso.logout(accessToken=token["accessToken"])
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token["accessToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(
            clientId=token["clientId"],
            clientSecret=token["clientSecret"],
            grantType="refresh_token",
            refreshToken=token["refreshToken"],
        )
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.logout(accessToken=token["accessToken"])


def test_request_and_not_found_errors(sso_emulator: Emulator, sso: Any, token: str) -> None:
    with pytest.raises(sso.exceptions.InvalidRequestException, match="12 digits"):
        sso.list_account_roles(accessToken=token, accountId="12")
    with pytest.raises(sso.exceptions.InvalidRequestException, match="max_result"):
        sso.list_accounts(accessToken=token, maxResults=101)
    with pytest.raises(sso.exceptions.InvalidRequestException, match="next_token"):
        sso.list_accounts(accessToken=token, nextToken="garbage!")
    with pytest.raises(sso.exceptions.ResourceNotFoundException) as info:
        sso.list_account_roles(accessToken=token, accountId="999999999999")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(sso.exceptions.ClientError) as forbidden:
        sso.get_role_credentials(accessToken=token, accountId="333333333333", roleName="Nope")
    assert forbidden.value.response["Error"]["Code"] == "ForbiddenException"
    roles_token = sso.list_account_roles(accessToken=token, accountId="111111111111", maxResults=1)[
        "nextToken"
    ]
    with pytest.raises(sso.exceptions.InvalidRequestException, match="different listing"):
        sso.list_accounts(accessToken=token, nextToken=roles_token)


def test_throttling_and_retries(
    virtual_backoff: list[float], sso_emulator: Emulator, sso: Any, token: str
) -> None:
    sso_emulator.faults.fail_next("ListAccounts", status=429)
    with pytest.raises(sso.exceptions.TooManyRequestsException) as info:
        sso.list_accounts(accessToken=token)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    # botocore's standard retry mode absorbs transient failures without the caller noticing.
    retrying = client(sso_emulator, "sso")
    sso_emulator.faults.fail_next("GetRoleCredentials", n=2, status=500)
    retrying.get_role_credentials(
        accessToken=token, accountId="111111111111", roleName="ReadOnlyAccess"
    )
    assert sso_emulator.calls("GetRoleCredentials") == 3
    assert sso_emulator.errors("GetRoleCredentials") == {"InternalServerException": 2}
    assert len(virtual_backoff) == 2  # each retry after botocore's backoff (shared clock)


def test_fault_rates_and_latency(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(fault_seed=7)
    sso = client(emu, "sso", config=NO_RETRY)
    token = emu.sign_in()["accessToken"]
    emu.faults.set("ListAccountRoles", throttle_rate=1.0)
    with pytest.raises(sso.exceptions.TooManyRequestsException):
        sso.list_account_roles(accessToken=token, accountId="111111111111")
    emu.faults.set("ListAccountRoles", error_rate=1.0)
    with pytest.raises(sso.exceptions.ClientError) as info:
        sso.list_account_roles(accessToken=token, accountId="111111111111")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    emu.faults.set("ListAccountRoles", throttle_rate=0.3, error_rate=0.2)
    outcomes = []
    for _ in range(40):
        try:
            sso.list_account_roles(accessToken=token, accountId="111111111111")
            outcomes.append("ok")
        except sso.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert {"ok", "TooManyRequestsException", "InternalServerException"} == set(outcomes)
    emu.faults.clear()
    emu.faults.set("ListAccounts", latency=0.3)
    started = time.monotonic()
    sso.list_accounts(accessToken=token)
    assert time.monotonic() - started >= 0.3  # the added delay happened (a lower bound only)
    emu.faults.clear()
    sso.list_account_roles(accessToken=token, accountId="111111111111")
