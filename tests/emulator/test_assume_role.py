"""Emulator STS AssumeRole / GetSessionToken: each rule answers with the error AWS models."""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.emulator.iam import RFC6238_TEST_SECRET
from refreshable_sso.errors import ConfigurationError

from .helpers import NO_RETRY, client, sts_for

DEPLOY = "arn:aws:iam::222222222222:role/Deploy"
AUDIT = "arn:aws:iam::333333333333:role/Audit"
PARTNER = "arn:aws:iam::222222222222:role/ExternalPartner"
MFA_ROLE = "arn:aws:iam::222222222222:role/MfaProtected"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/alice"


def _sso_creds(emu: Emulator, role: str = "AdministratorAccess") -> dict[str, Any]:
    token = emu.sign_in()["accessToken"]
    creds: dict[str, Any] = client(emu, "sso").get_role_credentials(
        accessToken=token, accountId="111111111111", roleName=role
    )["roleCredentials"]
    return creds


def _sso_sts(emu: Emulator, role: str = "AdministratorAccess") -> Any:
    return sts_for(emu, _sso_creds(emu, role), NO_RETRY)


def _assumed_sts(emu: Emulator, response: dict[str, Any]) -> Any:
    c = response["Credentials"]
    return sts_for(
        emu,
        {
            "accessKeyId": c["AccessKeyId"],
            "secretAccessKey": c["SecretAccessKey"],
            "sessionToken": c["SessionToken"],
        },
        NO_RETRY,
    )


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_two_hops_and_the_identity_of_each(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    deploy = sts.assume_role(RoleArn=DEPLOY, RoleSessionName="ci-run")
    assert deploy["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::222222222222:assumed-role/Deploy/ci-run"
    )
    assert deploy["AssumedRoleUser"]["AssumedRoleId"].endswith(":ci-run")
    assert deploy["PackedPolicySize"] == 0
    as_deploy = _assumed_sts(sso_emulator, deploy)
    assert as_deploy.get_caller_identity()["Arn"] == deploy["AssumedRoleUser"]["Arn"]
    audit = as_deploy.assume_role(RoleArn=AUDIT, RoleSessionName="audit")
    ident = _assumed_sts(sso_emulator, audit).get_caller_identity()
    assert ident["Account"] == "333333333333"
    assert ident["Arn"] == "arn:aws:sts::333333333333:assumed-role/Audit/audit"
    assert sso_emulator.calls("AssumeRole") == 2
    assert sso_emulator.calls("GetCallerIdentity") == 2


def test_untrusted_callers_are_access_denied(sso_emulator: Emulator) -> None:
    read_only = _sso_sts(sso_emulator, "ReadOnlyAccess")
    with pytest.raises(ClientError) as info:
        read_only.assume_role(RoleArn=DEPLOY, RoleSessionName="s1")
    code, status, message = _error(info)
    assert (code, status) == ("AccessDenied", 403)
    assert "is not authorized to perform: sts:AssumeRole on resource: " + DEPLOY in message
    # Audit trusts Deploy, not the SSO role; an unknown role is denied the same way.
    admin = _sso_sts(sso_emulator)
    for arn in (AUDIT, "arn:aws:iam::222222222222:role/NoSuchRole"):
        with pytest.raises(ClientError) as info:
            admin.assume_role(RoleArn=arn, RoleSessionName="s1")
        assert _error(info)[0] == "AccessDenied"
    assert sso_emulator.errors("AssumeRole") == {"AccessDenied": 3}


def test_external_id_must_match(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    for extra in ({}, {"ExternalId": "wrong-id"}):
        with pytest.raises(ClientError) as info:
            sts.assume_role(RoleArn=PARTNER, RoleSessionName="pp", **extra)
        assert _error(info)[:2] == ("AccessDenied", 403)
    ok = sts.assume_role(RoleArn=PARTNER, RoleSessionName="pp", ExternalId="example-external-id")
    assert ok["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ExternalPartner/pp")


def test_mfa_needs_a_current_totp_code(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=MFA_ROLE, RoleSessionName="mm")
    assert _error(info)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=MFA_ROLE, RoleSessionName="mm", SerialNumber=MFA_SERIAL)
    assert "must provide both MFA serial number and one time pass code" in _error(info)[2]
    totp = pyotp.TOTP(RFC6238_TEST_SECRET)
    now = sso_emulator.clock.now()
    stale = totp.at(int(now) - 300)
    with pytest.raises(ClientError) as info:
        sts.assume_role(
            RoleArn=MFA_ROLE, RoleSessionName="mm", SerialNumber=MFA_SERIAL, TokenCode=stale
        )
    assert _error(info)[0] == "AccessDenied"
    assert "invalid MFA one time pass code" in _error(info)[2]
    with pytest.raises(ClientError) as info:  # someone else's device
        sts.assume_role(
            RoleArn=MFA_ROLE,
            RoleSessionName="mm",
            SerialNumber="arn:aws:iam::111111111111:mfa/bob",
            TokenCode=totp.at(int(now)),
        )
    assert _error(info)[0] == "AccessDenied"
    ok = sts.assume_role(
        RoleArn=MFA_ROLE,
        RoleSessionName="mm",
        SerialNumber=MFA_SERIAL,
        TokenCode=totp.at(int(sso_emulator.clock.now())),
    )
    assert ok["AssumedRoleUser"]["Arn"].endswith("/MfaProtected/mm")


def test_codes_follow_the_emulator_clock(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    sso_emulator.clock.advance(3000)
    code = pyotp.TOTP(RFC6238_TEST_SECRET).at(int(sso_emulator.clock.now()))
    ok = sts.assume_role(
        RoleArn=MFA_ROLE, RoleSessionName="mm", SerialNumber=MFA_SERIAL, TokenCode=code
    )
    assert ok["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_duration_and_role_chaining_rules(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    # Deploy allows 2 hours, but SSO credentials are role credentials: chaining caps at 1 hour.
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="dd", DurationSeconds=7200)
    code, status, message = _error(info)
    assert (code, status) == ("ValidationError", 400)
    assert "1 hour session limit for roles assumed by role chaining" in message
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="dd", DurationSeconds=10800)
    assert "exceeds the MaxSessionDuration set for this role" in _error(info)[2]
    ok = sts.assume_role(RoleArn=DEPLOY, RoleSessionName="dd", DurationSeconds=3600)
    left = ok["Credentials"]["Expiration"].timestamp() - sso_emulator.clock.now()
    assert 3590 < left <= 3600
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="bad name!")
    assert _error(info)[0] == "ValidationError"
    assert "roleSessionName" in _error(info)[2]


def test_policy_errors_are_the_modelled_exceptions(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    with pytest.raises(sts.exceptions.MalformedPolicyDocumentException):
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="pp", Policy="{not json")
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/" + "k" * 1900,
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    tags = [{"Key": f"key{i}", "Value": "v" * 40} for i in range(10)]
    with pytest.raises(sts.exceptions.PackedPolicyTooLargeException) as info:
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="pp", Policy=policy, Tags=tags)
    assert "% of allotted space" in str(info.value)
    ok = sts.assume_role(
        RoleArn=DEPLOY,
        RoleSessionName="pp",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [dict(statement, Resource="*")]}),
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
        Tags=tags[:2],
        SourceIdentity="alice",
    )
    assert 0 < ok["PackedPolicySize"] < 100
    assert ok["SourceIdentity"] == "alice"


def test_get_session_token_refuses_session_credentials(sso_emulator: Emulator) -> None:
    sts = _sso_sts(sso_emulator)
    with pytest.raises(ClientError) as info:
        sts.get_session_token()
    assert _error(info) == (
        "AccessDenied",
        403,
        "Cannot call GetSessionToken with session credentials",
    )
    assert sso_emulator.errors("GetSessionToken") == {"AccessDenied": 1}


def test_assumed_role_ttl_and_expiry_on_the_emulator_clock(
    sso_emulator_factory: Any,
) -> None:
    emu = sso_emulator_factory(assumed_role_ttl=5)
    sts = _sso_sts(emu)
    deploy = sts.assume_role(RoleArn=DEPLOY, RoleSessionName="short")
    left = deploy["Credentials"]["Expiration"].timestamp() - emu.clock.now()
    assert 3 < left <= 5
    as_deploy = _assumed_sts(emu, deploy)
    assert as_deploy.get_caller_identity()["Account"] == "222222222222"
    emu.clock.advance(6)
    with pytest.raises(ClientError) as info:
        as_deploy.get_caller_identity()
    assert _error(info)[0] == "ExpiredToken"


def test_the_cli_option_caps_assumed_role_lifetimes() -> None:
    """``refreshable-sso emulator --assumed-role-ttl 5`` is the same knob as the keyword."""
    from refreshable_sso.cli.emulator import emulator_from_args
    from refreshable_sso.cli.main import build_parser

    default = emulator_from_args(build_parser().parse_args(["emulator"]))
    assert default.settings.assumed_role_ttl is None
    args = build_parser().parse_args(["emulator", "--auto-approve", "--assumed-role-ttl", "5"])
    with emulator_from_args(args) as emu:
        deploy = _sso_sts(emu).assume_role(RoleArn=DEPLOY, RoleSessionName="cli")
        left = deploy["Credentials"]["Expiration"].timestamp() - emu.clock.now()
        assert 3 < left <= 5


def test_faults_and_retries_cover_assume_role(sso_emulator: Emulator) -> None:
    retrying = sts_for(sso_emulator, _sso_creds(sso_emulator))  # botocore's standard retries
    sso_emulator.faults.fail_next("AssumeRole", status=500)
    assert retrying.assume_role(RoleArn=DEPLOY, RoleSessionName="rr")["Credentials"]
    assert sso_emulator.errors("AssumeRole") == {"InternalFailure": 1}
    assert sso_emulator.calls("AssumeRole") == 2


def test_request_id_on_every_successful_response(sso_emulator: Emulator) -> None:
    token = sso_emulator.sign_in()["accessToken"]
    oidc = client(sso_emulator, "sso-oidc")
    sso = client(sso_emulator, "sso")
    sts = _sso_sts(sso_emulator)
    responses = [
        oidc.register_client(clientName="t", clientType="public"),
        sso.list_accounts(accessToken=token),
        sso.list_account_roles(accessToken=token, accountId="111111111111"),
        sts.get_caller_identity(),
        sts.assume_role(RoleArn=DEPLOY, RoleSessionName="rr"),
    ]
    ids = [r["ResponseMetadata"]["RequestId"] for r in responses]
    assert all(ids), ids
    assert len(set(ids)) == len(ids)
    for r in responses:
        assert (
            r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
            == (r["ResponseMetadata"]["RequestId"])
        )


def test_directory_json_round_trips_iam_roles_and_mfa_devices() -> None:
    default = Directory.default()
    again = Directory.from_dict(json.loads(json.dumps(default.to_dict())))
    assert again == default
    staging = again.account("222222222222")
    assert staging is not None
    assert [r.name for r in staging.iam_roles] == ["Deploy", "ExternalPartner", "MfaProtected"]
    assert again.default_user.mfa_devices[0].serial == MFA_SERIAL
    assert "totp_secret" not in repr(again.default_user)
    bad = default.to_dict()
    bad["accounts"][0]["iam_roles"] = [
        {"name": "X", "trust": ["not-an-arn"], "max_session_duration": 100}
    ]
    bad["users"][0]["mfa_devices"] = [{"serial": "nope", "totp_secret": "!!"}]
    with pytest.raises(ConfigurationError) as info:
        Directory.from_dict(bad)
    text = str(info.value)
    assert "trust entry 'not-an-arn'" in text
    assert "max_session_duration" in text
    assert "serial must look like" in text
    assert "totp_secret is not base32" in text
