"""Plain boto3 with an sso-session profile, a token file and emu.env() works against the emulator.

boto3 runs in a child process whose HOME is the test's temporary home: botocore fixes its
``~/.aws/sso/cache`` path when it is imported, so only a fresh process honours a new HOME.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from refreshable_sso.emulator import Emulator

PluginFactory = Any

_WHOAMI = """
import json, sys, boto3
session = boto3.Session(profile_name=sys.argv[1])
print(json.dumps(session.client("sts").get_caller_identity()["Arn"]))
"""


def _write_config(home: Path, text: str) -> None:
    aws = home / ".aws"
    aws.mkdir(exist_ok=True)
    (aws / "config").write_text(text)


def _sso_session_profile(emu: Emulator) -> str:
    return f"""
[profile emu-dev]
sso_session = emu
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
region = us-east-1

[sso-session emu]
sso_start_url = {emu.start_url}
sso_region = {emu.region}
sso_registration_scopes = sso:account:access
"""


def _whoami(emu: Emulator, home: Path, profile: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emu.env())
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / ".aws" / "config"))
    proc = subprocess.run(
        [sys.executable, "-c", _WHOAMI, profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    arn: str = json.loads(proc.stdout)
    return arn


def test_boto3_session_with_sso_session_profile(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    _write_config(isolated_aws_home, _sso_session_profile(sso_emulator))
    token_file = sso_emulator.seed_token_cache(sso_session_name="emu")
    assert token_file.parent == isolated_aws_home / ".aws" / "sso" / "cache"
    arn = _whoami(sso_emulator, isolated_aws_home, "emu-dev")
    assert arn.startswith(
        "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_"
    )
    assert arn.endswith("/alice")
    assert sso_emulator.calls("GetRoleCredentials") == 1
    assert sso_emulator.calls("GetCallerIdentity") == 1


def test_botocore_refreshes_a_nearly_expired_token_and_saves_the_rotated_one(
    sso_emulator_factory: PluginFactory, isolated_aws_home: Path
) -> None:
    emu: Emulator = sso_emulator_factory(access_token_ttl=300)
    _write_config(isolated_aws_home, _sso_session_profile(emu))
    token_file = emu.seed_token_cache(sso_session_name="emu")
    before = json.loads(token_file.read_text())
    assert _whoami(emu, isolated_aws_home, "emu-dev").endswith("/alice")
    # Under 15 minutes left: botocore used the refresh_token grant and wrote the new tokens.
    assert emu.calls("CreateToken") == 1
    after = json.loads(token_file.read_text())
    assert after["refreshToken"] != before["refreshToken"]
    assert after["accessToken"] != before["accessToken"]


def test_legacy_profile_uses_start_url_token_file(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    emu = sso_emulator
    _write_config(
        isolated_aws_home,
        f"""
[profile legacy]
sso_start_url = {emu.start_url}
sso_region = {emu.region}
sso_account_id = 333333333333
sso_role_name = ReadOnlyAccess
region = us-east-1
""",
    )
    emu.seed_token_cache()
    assert ":333333333333:assumed-role/" in _whoami(emu, isolated_aws_home, "legacy")
