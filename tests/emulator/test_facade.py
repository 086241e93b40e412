"""The Python surface: options, directory loading, control endpoints, counters, secrets hygiene."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from refreshable_sso.emulator import Clock, Directory, Emulator
from refreshable_sso.errors import ConfigurationError

from .helpers import NO_RETRY, client, raw, sts_for

PluginFactory = Any


def test_bad_options_name_the_field() -> None:
    with pytest.raises(ConfigurationError) as info:
        Emulator(access_token_ttl=-1, region="mars", start_url="http://x", bogus=1)
    text = str(info.value)
    for field in ("access_token_ttl", "region", "start_url", "bogus"):
        assert field in text
    assert len(info.value.problems) == 4


def test_lifecycle(tmp_path: Path) -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url
    with emu:
        assert emu.running
        assert emu.url.startswith("http://127.0.0.1:")
        with pytest.raises(ConfigurationError, match="cannot listen"):
            Emulator(port=emu.port).start()
    assert not emu.running
    emu.stop()  # idempotent


def test_env_points_every_service_at_one_url(sso_emulator: Emulator) -> None:
    assert sso_emulator.env() == {
        "AWS_ENDPOINT_URL_SSO": sso_emulator.url,
        "AWS_ENDPOINT_URL_SSO_OIDC": sso_emulator.url,
        "AWS_ENDPOINT_URL_STS": sso_emulator.url,
        "REFRESHABLE_SSO_FEDERATION_ENDPOINT": f"{sso_emulator.url}/federation",
        "AWS_ENDPOINT_URL_SSO_ADMIN": sso_emulator.url,
        "AWS_ENDPOINT_URL_ORGANIZATIONS": sso_emulator.url,
        "AWS_ENDPOINT_URL_IDENTITYSTORE": sso_emulator.url,
    }
    assert sso_emulator.start_url.startswith("https://d-")
    assert sso_emulator.start_url.endswith(".awsapps.com/start")
    assert sso_emulator.region == "us-east-1"


def test_sign_in_token_shape(sso_emulator: Emulator) -> None:
    token = sso_emulator.sign_in()
    assert set(token) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "refreshToken",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
    }
    assert token["expiresAt"].endswith("Z")
    assert len(token["expiresAt"]) == len("2024-01-01T00:00:00Z")


def test_directory_from_json_file_with_hundreds_of_accounts(
    sso_emulator_factory: PluginFactory, tmp_path: Path
) -> None:
    data = Directory.generated(300, roles=("Admin", "Viewer"), user_name="carol").to_dict()
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))
    emu: Emulator = sso_emulator_factory(directory=path)
    assert emu.user_name == "carol"
    assert emu.default_role_name == "Admin"
    sso = client(emu, "sso")
    token = emu.sign_in()["accessToken"]
    result = sso.get_paginator("list_accounts").paginate(accessToken=token).build_full_result()
    assert len(result["accountList"]) == 300
    creds = emu.role_credentials("100000000299", "Viewer")
    assert creds["AccessKeyId"].startswith("ASIA")


def test_directory_from_python_and_other_users(sso_emulator_factory: PluginFactory) -> None:
    emu: Emulator = sso_emulator_factory(
        directory={
            "users": [{"userName": "dave"}, {"userName": "erin"}],
            "accounts": [{"accountId": "123456789012", "accountName": "Solo", "roles": ["R"]}],
        }
    )
    token = emu.sign_in(user_name="erin")["accessToken"]
    creds = client(emu, "sso").get_role_credentials(
        accessToken=token, accountId="123456789012", roleName="R"
    )["roleCredentials"]
    assert sts_for(emu, creds).get_caller_identity()["Arn"].endswith("/erin")
    with pytest.raises(ConfigurationError, match="no such user"):
        emu.sign_in(user_name="mallory")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"accounts": [{"account_id": "12", "account_name": "x", "roles": ["R"]}]}, "12 digits"),
        ({"accounts": []}, "at least one account"),
        ({"accounts": [{"account_id": "123456789012", "account_name": "x", "roles": []}]}, "role"),
        ({"accounts": "nope"}, "must be a list"),
        ({"accounts": [{"account_name": "x", "roles": ["R"]}]}, "account_id"),
        (
            {"accounts": [{"account_id": "123456789012", "account_name": "x", "roles": ["a b"]}]},
            "role name",
        ),
    ],
)
def test_bad_directories_are_clear_errors(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Directory.from_dict(data)


def test_bad_directory_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot read"):
        Emulator(directory=tmp_path / "missing.json")


def test_clock_and_control_endpoints(sso_emulator_factory: PluginFactory) -> None:
    clock = Clock()
    emu: Emulator = sso_emulator_factory(clock=clock, access_token_ttl=100)
    assert emu.clock is clock
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    sso = client(emu, "sso", config=NO_RETRY)
    token = emu.sign_in()
    status, _, body = raw(emu, "POST", "/_emulator/clock/advance?seconds=101")
    assert status == 200
    assert json.loads(body)["offset"] >= 101
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token["accessToken"])
    status, _, _ = raw(emu, "POST", "/_emulator/clock/advance?seconds=soon")
    assert status == 400
    status, _, body = raw(emu, "POST", "/_emulator/sessions/end")
    assert json.loads(body) == {"ended": 1}
    status, _, body = raw(emu, "GET", "/_emulator/stats")
    stats = json.loads(body)
    assert stats["calls"]["ListAccounts"] == 1
    assert stats["errors"]["ListAccounts"] == {"UnauthorizedException": 1}
    assert stats == emu.stats()
    emu.reset_counters()
    assert emu.calls() == 0


def test_secrets_stay_out_of_reprs(sso_emulator: Emulator) -> None:
    token = sso_emulator.sign_in()
    creds = sso_emulator.role_credentials()
    store_text = repr(sso_emulator._store)
    for secret in (
        token["accessToken"],
        token["refreshToken"],
        token["clientSecret"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
    ):
        assert secret not in store_text
        assert secret not in repr(sso_emulator)


def test_approve_and_deny_unknown_codes_are_clear_errors(sso_emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="ABCD-EFGH"):
        sso_emulator.approve("ABCD-EFGH")
    with pytest.raises(ConfigurationError):
        sso_emulator.deny("ABCD-EFGH")
    with pytest.raises(ConfigurationError, match="No pending authorization"):
        sso_emulator.approve_authorization()


def test_fault_plan_validation(sso_emulator: Emulator) -> None:
    faults = sso_emulator.faults
    with pytest.raises(ValueError, match="throttle_rate"):
        faults.set("ListAccounts", throttle_rate=1.5)
    with pytest.raises(ValueError, match="status"):
        faults.fail_next("ListAccounts", status=200)
    faults.fail_next("ListAccounts", n=3)
    assert faults.pending("ListAccounts") == 3
    faults.clear("ListAccounts")
    assert faults.pending("ListAccounts") == 0


def test_stop_cuts_keep_alive_connections_and_restart_keeps_url_and_state() -> None:
    emu = Emulator().start()
    try:
        sso = client(emu, "sso", config=NO_RETRY)
        token = emu.sign_in()["accessToken"]
        sso.list_accounts(accessToken=token)  # leaves a pooled keep-alive connection
        url = emu.url
        emu.stop()
        with pytest.raises((EndpointConnectionError, ConnectionClosedError)):
            sso.list_accounts(accessToken=token)
        emu.start()
        assert emu.url == url
        assert sso.list_accounts(accessToken=token)["accountList"]
    finally:
        emu.stop()


def test_long_running_emulator_forgets_dead_records(sso_emulator_factory: PluginFactory) -> None:
    emu: Emulator = sso_emulator_factory(role_credentials_ttl=60, access_token_ttl=60)
    store = emu._store
    old = [emu.role_credentials() for _ in range(250)]  # ~1250 records
    emu.clock.advance(2 * 86400)
    fresh = [emu.role_credentials() for _ in range(250)]
    assert len(store.role_credentials) < 500
    assert all(c["AccessKeyId"] not in store.role_credentials for c in old)
    assert fresh[-1]["AccessKeyId"] in store.role_credentials
    creds = {
        "accessKeyId": fresh[-1]["AccessKeyId"],
        "secretAccessKey": fresh[-1]["SecretAccessKey"],
        "sessionToken": fresh[-1]["SessionToken"],
    }
    assert sts_for(emu, creds).get_caller_identity()["Account"] == emu.default_account_id
