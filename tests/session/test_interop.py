"""Interop with plain boto3 through ~/.aws/config sso-session profiles and the shared token cache.

Both directions: a token our session wrote (after refreshing it) is used by unmodified boto3,
and a token file botocore itself wrote (after its own refresh) is used by ``from_profile``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError, ProfileError
from refreshable_sso.session import SSORefreshableSession

PROFILE_CONFIG = """
[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnlyAccess
region = eu-west-1

[profile legacy]
sso_start_url = {start_url}
sso_region = {region}
sso_account_id = 222222222222
sso_role_name = AdministratorAccess

[sso-session corp]
sso_start_url = {start_url}
sso_region = {region}
sso_registration_scopes = sso:account:access
"""


@pytest.fixture
def configured(sso_emulator_env: Emulator) -> Emulator:
    """~/.aws/config with an sso-session profile and a legacy one, endpoints in the environment."""
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        PROFILE_CONFIG.format(start_url=sso_emulator_env.start_url, region=sso_emulator_env.region)
    )
    return sso_emulator_env


def _plain_boto3_identity() -> dict[str, str]:
    """GetCallerIdentity by unmodified boto3 with profile 'dev', in its own process.

    A separate process, as another program on the machine would be (and because botocore
    fixes its token cache directory from HOME when it is first imported).
    """
    script = (
        "import json, boto3; print(json.dumps(boto3.Session(profile_name='dev')"
        ".client('sts').get_caller_identity()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def test_from_profile_sso_session(configured: Emulator) -> None:
    configured.seed_token_cache(sso_session_name="corp")
    session = SSORefreshableSession.from_profile("dev")
    assert session.sso_config.sso_session_name == "corp"
    assert session.region_name == "eu-west-1"
    assert session.profile_name == "dev"
    identity = session.whoami()
    assert (identity["Account"], identity["role_name"]) == ("111111111111", "ReadOnlyAccess")


def test_from_profile_legacy(configured: Emulator) -> None:
    configured.seed_token_cache()  # legacy profiles key the token file by start URL
    session = SSORefreshableSession.from_profile("legacy", region_name="us-west-2")
    assert session.region_name == "us-west-2"
    identity = session.whoami()
    assert (identity["Account"], identity["role_name"]) == ("222222222222", "AdministratorAccess")


def test_from_profile_errors(configured: Emulator) -> None:
    with pytest.raises(ProfileError, match="'nope' not found"):
        SSORefreshableSession.from_profile("nope")
    session = SSORefreshableSession.from_profile("dev")  # nobody signed in yet
    with pytest.raises(LoginRequiredError) as caught:
        session.whoami()
    assert caught.value.profile_name == "dev"
    assert "--profile dev" in str(caught.value)


def test_token_we_refreshed_works_with_plain_boto3(configured: Emulator) -> None:
    path = configured.seed_token_cache(sso_session_name="corp")
    seeded = json.loads(path.read_text())
    session = SSORefreshableSession.from_profile("dev")
    session.token_provider.get_token(force_refresh=True)  # we rewrite the file
    ours = json.loads(path.read_text())
    assert ours["accessToken"] != seeded["accessToken"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    answer = _plain_boto3_identity()
    assert answer["Account"] == "111111111111"
    assert "AWSReservedSSO_ReadOnlyAccess_" in answer["Arn"]
    # botocore used our token as written (it had no reason to refresh a fresh one).
    assert json.loads(path.read_text())["accessToken"] == ours["accessToken"]


def test_token_botocore_refreshed_works_with_from_profile(
    sso_emulator_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 10-minute token is inside botocore's fixed 15-minute refresh window: plain boto3
    # refreshes it and writes the file itself, in its own format.
    emu: Emulator = sso_emulator_factory(auto_approve=True, access_token_ttl=600)  # type: ignore[operator]
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(PROFILE_CONFIG.format(start_url=emu.start_url, region=emu.region))
    path = emu.seed_token_cache(sso_session_name="corp")
    seeded = json.loads(path.read_text())
    assert _plain_boto3_identity()["Account"] == "111111111111"
    written = json.loads(path.read_text())
    assert written["accessToken"] != seeded["accessToken"], "botocore did not refresh the token"
    session = SSORefreshableSession.from_profile("dev", cache_credentials=False)
    assert session.whoami()["Account"] == "111111111111"
    # Our session used botocore's token as it was: no refresh of our own was needed.
    assert json.loads(path.read_text())["accessToken"] == written["accessToken"]
