"""Reading SSO profiles from the AWS config file: both styles, and clear errors for the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from refreshable_sso.errors import ProfileError
from refreshable_sso.profiles.reader import load_sso_profile

CONFIG = """
[default]
region = eu-west-1

[profile static]
aws_access_key_id = AKIAEXAMPLE

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess
region = eu-central-1

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-west-2
sso_account_id = 222222222222
sso_role_name = AdministratorAccess

[profile no-role]
sso_session = corp
sso_account_id = 111111111111

[profile half-legacy]
sso_start_url = https://d-1234567890.awsapps.com/start

[profile dangling]
sso_session = nowhere
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess

[profile conflicting]
sso_session = corp
sso_start_url = https://other.awsapps.com/start
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess

[profile broken-session]
sso_session = empty
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, extra:scope

[sso-session empty]
sso_region = us-east-1
"""


@pytest.fixture
def config_file() -> Path:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG)
    return path


def test_sso_session_profile(config_file: Path) -> None:
    profile = load_sso_profile("dev")
    assert profile.start_url == "https://d-1234567890.awsapps.com/start"
    assert profile.sso_region == "us-east-1"
    assert profile.sso_session_name == "corp"
    assert (profile.account_id, profile.role_name) == ("111111111111", "ReadOnlyAccess")
    assert profile.registration_scopes == ("sso:account:access", "extra:scope")
    assert profile.region == "eu-central-1"


def test_legacy_profile(config_file: Path) -> None:
    profile = load_sso_profile("legacy")
    assert profile.sso_session_name is None
    assert profile.sso_region == "us-west-2"
    assert profile.sso_fields()["role_name"] == "AdministratorAccess"
    assert "registration_scopes" not in profile.sso_fields()


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("missing", ["'missing' not found", "dev", "legacy"]),
        ("static", ["not an IAM Identity Center (SSO) profile", "sso_session"]),
        ("default", ["not an IAM Identity Center (SSO) profile"]),
        ("no-role", ["incomplete", "'sso_role_name'"]),
        ("half-legacy", ["incomplete", "'sso_region'", "'sso_account_id'", "'sso_role_name'"]),
        ("dangling", ["[sso-session nowhere]"]),
        ("conflicting", ["differs"]),
        ("broken-session", ["[sso-session empty]: missing key 'sso_start_url'"]),
    ],
)
def test_bad_profiles_name_profile_and_key(
    config_file: Path, name: str, needles: list[str]
) -> None:
    with pytest.raises(ProfileError) as caught:
        load_sso_profile(name)
    message = str(caught.value)
    assert repr(name) in message
    for needle in needles:
        assert needle in message
    assert caught.value.problems


def test_no_config_file() -> None:
    with pytest.raises(ProfileError, match="no AWS config file"):
        load_sso_profile("dev")


def test_unparsable_config_file(config_file: Path) -> None:
    config_file.write_text("[profile dev\nsso_session = x\n")
    with pytest.raises(ProfileError, match="not a valid INI file"):
        load_sso_profile("dev")
