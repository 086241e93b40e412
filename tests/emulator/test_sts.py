"""STS GetCallerIdentity: real SigV4 verification against credentials the emulator issued."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from refreshable_sso.emulator import Emulator

from .helpers import NO_RETRY, client, raw, sts_for

PluginFactory = Any


def _creds(emu: Emulator, account: str = "111111111111", role: str = "ReadOnlyAccess") -> Any:
    token = emu.sign_in()["accessToken"]
    sso = client(emu, "sso")
    return sso.get_role_credentials(accessToken=token, accountId=account, roleName=role)[
        "roleCredentials"
    ]


def test_identity_of_an_sso_role_session(sso_emulator: Emulator) -> None:
    creds = _creds(sso_emulator, "222222222222", "AdministratorAccess")
    ident = sts_for(sso_emulator, creds).get_caller_identity()
    assert ident["Account"] == "222222222222"
    prefix = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_"
    assert ident["Arn"].startswith(prefix)
    suffix, user = ident["Arn"][len(prefix) :].split("/")
    assert len(suffix) == 16
    int(suffix, 16)
    assert user == "alice"
    assert ident["UserId"].startswith("AROA")
    assert ident["UserId"].endswith(":alice")


def test_signature_in_another_region_verifies(sso_emulator: Emulator) -> None:
    creds = _creds(sso_emulator)
    sts = boto3.Session(
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
        region_name="eu-central-1",
    ).client("sts", endpoint_url=sso_emulator.url)
    assert sts.get_caller_identity()["Account"] == "111111111111"


def test_wrong_secret_is_signature_does_not_match(sso_emulator: Emulator) -> None:
    creds = dict(_creds(sso_emulator))
    creds["secretAccessKey"] = "x" * 40
    with pytest.raises(Exception) as info:
        sts_for(sso_emulator, creds, NO_RETRY).get_caller_identity()
    err = info.value.response["Error"]  # type: ignore[attr-defined]
    assert err["Code"] == "SignatureDoesNotMatch"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403  # type: ignore[attr-defined]


def test_unknown_key_and_wrong_session_token_are_invalid_client_token_id(
    sso_emulator: Emulator,
) -> None:
    creds = dict(_creds(sso_emulator))
    for bad in ({"accessKeyId": "ASIAUNKNOWNUNKNOWN00"}, {"sessionToken": "forged"}):
        with pytest.raises(Exception) as info:
            sts_for(sso_emulator, {**creds, **bad}, NO_RETRY).get_caller_identity()
        assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"  # type: ignore[attr-defined]
    assert sso_emulator.errors("GetCallerIdentity") == {"InvalidClientTokenId": 2}


def test_expired_credentials_are_expired_token(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(role_credentials_ttl=20)
    creds = _creds(emu)
    sts = sts_for(emu, creds, NO_RETRY)
    sts.get_caller_identity()
    emu.clock.advance(21)
    with pytest.raises(Exception) as info:
        sts.get_caller_identity()
    assert info.value.response["Error"]["Code"] == "ExpiredToken"  # type: ignore[attr-defined]
    assert "expired" in info.value.response["Error"]["Message"]  # type: ignore[attr-defined]


def _signed(emu: Emulator, creds: Any, body: bytes) -> tuple[dict[str, str], bytes]:
    request = AWSRequest(
        method="POST",
        url=emu.url + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(
        Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"]),
        "sts",
        "us-east-1",
    ).add_auth(request)
    return dict(request.headers.items()), body


def test_tampered_body_and_missing_signature(sso_emulator: Emulator) -> None:
    creds = _creds(sso_emulator)
    good = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers, body = _signed(sso_emulator, creds, good)
    status, _, text = raw(sso_emulator, "POST", "/", body, headers)
    assert status == 200
    assert b"<Account>111111111111</Account>" in text
    status, _, text = raw(
        sso_emulator, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-16", headers
    )
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in text
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, text = raw(sso_emulator, "POST", "/", good, form)
    assert status == 403
    assert b"MissingAuthenticationToken" in text
    status, _, text = raw(
        sso_emulator, "POST", "/", good, {**form, "Authorization": "AWS4-HMAC-SHA256 junk"}
    )
    assert status == 400
    assert b"IncompleteSignature" in text
    headers, body = _signed(sso_emulator, creds, b"Action=AssumeRoleWithSAML&Version=2011-06-15")
    status, _, text = raw(sso_emulator, "POST", "/", body, headers)
    assert status == 400
    assert b"InvalidAction" in text


def test_throttling_is_retried_by_botocore(sso_emulator: Emulator) -> None:
    creds = _creds(sso_emulator)
    sso_emulator.faults.fail_next("GetCallerIdentity", status=500)
    assert sts_for(sso_emulator, creds).get_caller_identity()["Account"] == "111111111111"
    assert sso_emulator.errors("GetCallerIdentity") == {"InternalFailure": 1}
