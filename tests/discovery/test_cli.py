"""`refreshable-sso accounts` / `roles` against the emulator.

The command's ``main`` runs in this process (:func:`tests.cli.helpers.cli_here`, isolated as a
new process would be): the subject is what it prints and its exit status, not a process.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from tests.cli.helpers import cli_here

SSO_SESSION = "corp"


def _run(emu: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    ran = cli_here(*args, env=emu.env())
    return subprocess.CompletedProcess(
        ["refreshable-sso", *args], ran.returncode, ran.stdout, ran.stderr
    )


def _by_url(emu: Emulator) -> list[str]:
    return ["--start-url", emu.start_url, "--sso-region", emu.region, "--sso-session", SSO_SESSION]


@pytest.fixture
def signed_in(sso_emulator: Emulator) -> Emulator:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    return sso_emulator


def test_accounts_rows(signed_in: Emulator) -> None:
    result = _run(signed_in, "accounts", *_by_url(signed_in))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ACCOUNT ID    NAME         EMAIL",
        "111111111111  Development  dev@example.com",
        "222222222222  Staging      staging@example.com",
        "333333333333  Production   prod@example.com",
    ]


def test_roles_of_every_account_as_json(signed_in: Emulator) -> None:
    result = _run(signed_in, "roles", *_by_url(signed_in), "--json", "--max-workers", "2")
    assert result.returncode == 0, result.stderr
    roles = json.loads(result.stdout)
    assert len(roles) == 7
    assert roles[0] == {
        "account_id": "111111111111",
        "role_name": "AdministratorAccess",
        "account_name": "Development",
    }


def test_roles_of_named_accounts_through_a_config_sso_session(
    signed_in: Emulator, isolated_aws_home: Path
) -> None:
    config = isolated_aws_home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {signed_in.start_url}\n"
        f"sso_region = {signed_in.region}\nsso_registration_scopes = sso:account:access\n",
        encoding="utf-8",
    )
    result = _run(
        signed_in,
        "roles",
        "--sso-session",
        SSO_SESSION,
        "--account-id",
        "222222222222",
        "--account-id",
        "333333333333",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ACCOUNT ID    ROLE                 ACCOUNT NAME",
        "222222222222  AdministratorAccess",
        "222222222222  ReadOnlyAccess",
        "333333333333  AdministratorAccess",
        "333333333333  ReadOnlyAccess",
    ]


def test_unknown_account_is_one_clear_line(signed_in: Emulator) -> None:
    result = _run(signed_in, "roles", *_by_url(signed_in), "--account-id", "999999999999")
    assert result.returncode == 1
    assert "Account 999999999999 is not available to this sign-in" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_signed_in_says_how_to_sign_in(sso_emulator: Emulator) -> None:
    result = _run(sso_emulator, "accounts", *_by_url(sso_emulator))
    assert result.returncode == 1
    assert "Login required" in result.stderr
    assert "refreshable-sso login" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_sign_in_named(sso_emulator: Emulator) -> None:
    result = _run(sso_emulator, "roles")
    assert result.returncode == 1
    assert "--start-url" in result.stderr
    assert "Traceback" not in result.stderr
