"""The core round trip with unmodified boto3 clients over real HTTP."""

from __future__ import annotations

import json
import urllib.request

import boto3

from refreshable_sso.emulator import Emulator


def test_device_login_role_credentials_and_whoami(sso_emulator: Emulator) -> None:
    emu = sso_emulator
    session = boto3.Session(region_name=emu.region)
    oidc = session.client("sso-oidc", endpoint_url=emu.url)
    reg = oidc.register_client(clientName="t", clientType="public", scopes=["sso:account:access"])
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    token = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="urn:ietf:params:oauth:grant-type:device_code",
        deviceCode=dev["deviceCode"],
    )
    assert token["refreshToken"]
    sso = session.client("sso", endpoint_url=emu.url)
    creds = sso.get_role_credentials(
        accessToken=token["accessToken"], accountId="111111111111", roleName="ReadOnlyAccess"
    )["roleCredentials"]
    sts = boto3.Session(
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
        region_name=emu.region,
    ).client("sts", endpoint_url=emu.url)
    ident = sts.get_caller_identity()
    assert ident["Account"] == "111111111111"
    assert ident["Arn"].startswith(
        "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnlyAccess_"
    )
    assert ident["Arn"].endswith("/alice")
    assert emu.calls("CreateToken") == 1
    assert emu.calls("GetCallerIdentity") == 1


def test_stats_endpoint_and_seeded_cache(sso_emulator: Emulator) -> None:
    path = sso_emulator.seed_token_cache(sso_session_name="dev")
    data = json.loads(path.read_text())
    assert data["startUrl"] == sso_emulator.start_url
    assert path.stat().st_mode & 0o777 == 0o600
    sso = boto3.client("sso", region_name=sso_emulator.region, endpoint_url=sso_emulator.url)
    sso.list_accounts(accessToken=data["accessToken"])
    stats_url = f"{sso_emulator.url}/_emulator/stats"
    with urllib.request.urlopen(stats_url, timeout=5) as resp:  # noqa: S310 - http://127.0.0.1
        stats = json.load(resp)
    assert stats["calls"]["ListAccounts"] == 1
