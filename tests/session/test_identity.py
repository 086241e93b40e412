"""whoami: GetCallerIdentity signed with given credentials, against the emulator's real SigV4 check."""

from __future__ import annotations

import pytest
from botocore.credentials import Credentials

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import IdentityError
from refreshable_sso.identity import get_caller_identity, iam_role_arn, parse_identity


def test_parse_sso_role_arn_with_underscores_in_permission_set() -> None:
    identity = parse_identity(
        {
            "Account": "123456789012",
            "Arn": "arn:aws:sts::123456789012:assumed-role/"
            "AWSReservedSSO_Data_Science_Admin_0123456789abcdef/jane.doe@example.com",
            "UserId": "AROAEXAMPLE:jane.doe@example.com",
        }
    )
    assert identity["role_name"] == "Data_Science_Admin"
    assert identity["iam_role_name"] == "AWSReservedSSO_Data_Science_Admin_0123456789abcdef"
    assert identity["user_name"] == "jane.doe@example.com"
    assert identity["account_id"] == "123456789012"
    assert identity["is_sso_role"] is True


def test_parse_plain_assumed_role_is_not_sso() -> None:
    identity = parse_identity(
        {
            "Account": "123456789012",
            "Arn": "arn:aws-us-gov:sts::123456789012:assumed-role/Deployer/ci-run",
            "UserId": "AROAEXAMPLE:ci-run",
        }
    )
    assert (identity["role_name"], identity["is_sso_role"]) == ("Deployer", False)


@pytest.mark.parametrize(
    "response",
    [
        {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/bob", "UserId": "AIDA"},
        {"Account": "123456789012", "UserId": "AIDA"},
    ],
)
def test_parse_rejects_non_role_identities(response: dict[str, object]) -> None:
    with pytest.raises(IdentityError):
        parse_identity(response)


def test_get_caller_identity_against_emulator(sso_emulator: Emulator) -> None:
    issued = sso_emulator.role_credentials("222222222222", "AdministratorAccess")
    credentials = Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    identity = get_caller_identity(credentials, region="us-east-1", endpoint_url=sso_emulator.url)
    assert identity["Account"] == "222222222222"
    assert identity["role_name"] == "AdministratorAccess"
    assert identity["user_name"] == sso_emulator.user_name
    assert identity["Arn"].startswith("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_")


def test_wrong_secret_is_identity_error_with_cause(sso_emulator: Emulator) -> None:
    issued = sso_emulator.role_credentials()
    credentials = Credentials(issued["AccessKeyId"], "not-the-secret", issued["SessionToken"])
    with pytest.raises(IdentityError, match="SignatureDoesNotMatch") as caught:
        get_caller_identity(credentials, region="us-east-1", endpoint_url=sso_emulator.url)
    assert caught.value.__cause__ is not None
    assert "not-the-secret" not in str(caught.value)


def test_unreachable_sts_is_identity_error() -> None:
    credentials = Credentials("ASIAEXAMPLE", "secret", "token")
    from refreshable_sso.aws.clients import HttpSettings

    with pytest.raises(IdentityError, match="failed") as caught:
        get_caller_identity(
            credentials,
            region="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            http=HttpSettings(connect_timeout=1, read_timeout=1, max_attempts=1),
        )
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    ("arn", "sso_region", "expected"),
    [
        (  # an instance in us-east-1: no region in the path (what the emulator presents)
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane",
            "us-east-1",
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/"
            "AWSReservedSSO_Admin_0123456789abcdef",
        ),
        (  # any other region: the documented regional path
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane",
            "eu-west-2",
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-2/"
            "AWSReservedSSO_Admin_0123456789abcdef",
        ),
        (  # the partition is kept
            "arn:aws-cn:sts::123456789012:assumed-role/AWSReservedSSO_Dev_abcdef0123456789/li",
            "cn-north-1",
            "arn:aws-cn:iam::123456789012:role/aws-reserved/sso.amazonaws.com/cn-north-1/"
            "AWSReservedSSO_Dev_abcdef0123456789",
        ),
        (  # not a permission set's role: its path is not in the ARN, so none is guessed
            "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run",
            "eu-west-2",
            "arn:aws:iam::123456789012:role/Deployer",
        ),
    ],
)
def test_iam_role_arn_of_an_assumed_role_identity(arn: str, sso_region: str, expected: str) -> None:
    identity = parse_identity({"Account": "123456789012", "Arn": arn, "UserId": "AROA:x"})
    assert iam_role_arn(identity, sso_region) == expected


def test_iam_role_arn_matches_the_emulators_role(sso_emulator: Emulator) -> None:
    issued = sso_emulator.role_credentials("222222222222", "AdministratorAccess")
    credentials = Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    identity = get_caller_identity(credentials, region="us-east-1", endpoint_url=sso_emulator.url)
    assert sso_emulator.region == "us-east-1"
    assert iam_role_arn(identity, sso_emulator.region) == sso_emulator.sso_role_arn(
        "222222222222", "AdministratorAccess"
    )
