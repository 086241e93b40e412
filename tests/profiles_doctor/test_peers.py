"""Real peers on the same emulator directory: aws-sso-util's `configure populate` and ours,
plain boto3 over every profile either writes, and the AWS CLI over ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.configloader import load_config

from refreshable_sso.emulator import Emulator

from .conftest import SSO_SESSION, directory
from .peers import clean_env, peer_venv

pytestmark = pytest.mark.peer

N_ACCOUNTS = 12
OUR_BIN = Path(sys.executable).parent

# Plain boto3 in a fresh process (botocore fixes its token cache path at import).
_IDENTITIES = """
import json, sys, boto3
from botocore.configloader import load_config
out = {}
for name in load_config(sys.argv[1])["profiles"]:
    arn = boto3.Session(profile_name=name).client("sts").get_caller_identity()["Arn"]
    out[name] = arn
print(json.dumps(out))
"""


def _installed_or_venv(script: str, package: str) -> Path:
    """Our own environment's copy (tox env 'peers' installs the extra), else a venv of its own."""
    if (OUR_BIN / script).exists():
        return OUR_BIN
    return peer_venv(package)


@pytest.fixture(scope="session")
def aws_cli_bin() -> Path:
    return _installed_or_venv("aws", "awscli")


@pytest.fixture(scope="session")
def aws_sso_util_bin() -> Path:
    return _installed_or_venv("aws-sso-util", "aws-sso-util")


@pytest.fixture
def emu(sso_emulator_factory: Any) -> Emulator:
    emulator: Emulator = sso_emulator_factory(directory=directory(N_ACCOUNTS))
    emulator.seed_token_cache(sso_session_name=SSO_SESSION)  # read by ours
    emulator.seed_token_cache()  # aws-sso-util (legacy, keyed by the start URL)
    return emulator


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{cmd[:3]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def _ours(emu: Emulator, home: Path, config: Path, *extra: str) -> None:
    env = clean_env(home, config, emu.env(), [OUR_BIN])
    _run(
        [
            str(OUR_BIN / "refreshable-sso"),
            "configure",
            "populate",
            "--sso-session",
            SSO_SESSION,
            "--start-url",
            emu.start_url,
            "--sso-region",
            emu.region,
            "--region",
            "eu-west-1",
            *extra,
        ],
        env,
    )


def _identities(emu: Emulator, home: Path, config: Path) -> dict[str, str]:
    env = clean_env(home, config, emu.env(), [OUR_BIN])
    proc = _run([sys.executable, "-c", _IDENTITIES, str(config)], env)
    result: dict[str, str] = json.loads(proc.stdout)
    return result


def _account_role(arn: str) -> tuple[str, str]:
    # arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_ROLE_<hex>/USER
    account = arn.split(":")[4]
    role = arn.split("/")[1].removeprefix("AWSReservedSSO_").rsplit("_", 1)[0]
    return account, role


def test_aws_sso_util_and_ours_give_boto3_the_same_identities(
    emu: Emulator, isolated_aws_home: Path, aws_sso_util_bin: Path
) -> None:
    home = isolated_aws_home
    ours, theirs = home / ".aws" / "config-ours", home / ".aws" / "config-theirs"
    _ours(emu, home, ours)
    env = clean_env(home, theirs, {**emu.env(), "AWS_SSO_DISABLE_BROWSER": "1"}, [aws_sso_util_bin])
    _run(
        [
            str(aws_sso_util_bin / "aws-sso-util"),
            "configure",
            "populate",
            "--sso-start-url",
            emu.start_url,
            "--sso-region",
            emu.region,
            "--region",
            "eu-west-1",
            "--no-credential-process",
        ],
        env,
    )
    assert len(load_config(str(theirs))["profiles"]) == N_ACCOUNTS * 2

    our_ids = _identities(emu, home, ours)
    their_ids = _identities(emu, home, theirs)
    assert len(our_ids) == len(their_ids) == N_ACCOUNTS * 2
    assert sorted(map(_account_role, our_ids.values())) == sorted(
        map(_account_role, their_ids.values())
    )
    assert set(our_ids.values()) == set(their_ids.values())


def _aws_identity(
    emu: Emulator, home: Path, config: Path, cli: Path, profile: str
) -> dict[str, Any]:
    env = clean_env(home, config, emu.env(), [cli, OUR_BIN])
    proc = _run(
        [str(cli / "aws"), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        env,
    )
    identity: dict[str, Any] = json.loads(proc.stdout)
    return identity


def test_aws_cli_uses_our_sso_profiles(
    emu: Emulator, isolated_aws_home: Path, aws_cli_bin: Path
) -> None:
    config = isolated_aws_home / ".aws" / "config"
    _ours(emu, isolated_aws_home, config)
    identity = _aws_identity(emu, isolated_aws_home, config, aws_cli_bin, "Team-007.ReadOnlyAccess")
    assert identity["Account"] == "100000000007"
    assert "AWSReservedSSO_ReadOnlyAccess_" in identity["Arn"]


def test_aws_cli_uses_our_credential_process_profiles(
    emu: Emulator, isolated_aws_home: Path, aws_cli_bin: Path
) -> None:
    probe = subprocess.run(
        [str(OUR_BIN / "refreshable-sso"), "credential-process", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    config = isolated_aws_home / ".aws" / "config"
    _ours(
        emu,
        isolated_aws_home,
        config,
        "--credential-process",
        "--command",
        str(OUR_BIN / "refreshable-sso"),
    )
    identity = _aws_identity(
        emu, isolated_aws_home, config, aws_cli_bin, "Team-003.AdministratorAccess"
    )
    assert identity["Account"] == "100000000003"
    assert "AWSReservedSSO_AdministratorAccess_" in identity["Arn"]
