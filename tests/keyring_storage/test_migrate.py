"""`refreshable-sso storage migrate`, against the emulator and a real Secret Service: a file
sign-in moves to the keyring (no refresh token or client secret left in any file under HOME)
and back to files, with an identity and a refresh at each step: nothing is lost, no sign-in is
needed, and ``refreshable_sso_token_storage`` in the sso-session section follows each way.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import SSORefreshableSession
from refreshable_sso._clock import OffsetClock
from refreshable_sso.cli.main import main
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.keyring import KeyringRecord
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.login.signin import login
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from tests.login.conftest import Prompt

from .conftest import files_containing
from .test_end_to_end import HOUR, SSO_SESSION, _endpoints, _write_config

pytestmark = [pytest.mark.keyring, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def emu(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """An emulator approving every sign-in, its endpoints in the environment."""
    started: Emulator = sso_emulator_factory(auto_approve=True)
    for name, value in started.env().items():
        monkeypatch.setenv(name, value)
    return started


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _identity(emu: Emulator) -> tuple[str, str]:
    session = SSORefreshableSession.from_profile("dev", endpoints=_endpoints(emu))
    who = session.whoami()
    return who["Account"], who["Arn"].split("/")[1]


def _storage_key(home: Path) -> str | None:
    for line in (home / ".aws" / "config").read_text().splitlines():
        if line.startswith("refreshable_sso_token_storage"):
            return line.split("=", 1)[1].strip()
    return None


def _paths(emu: Emulator) -> tuple[Path, Path]:
    return token_cache_path(emu.start_url, SSO_SESSION), registration_cache_path(
        emu.start_url, emu.region, list(DEFAULT_SCOPES), SSO_SESSION
    )


def test_migrate_to_keyring_and_back_loses_nothing(
    shared_clock: OffsetClock, emu: Emulator, isolated_aws_home: Path
) -> None:
    _write_config(isolated_aws_home, emu, "")
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        prompt_callback=Prompt(),
    )
    token_path, registration_path = _paths(emu)
    signed_in = json.loads(token_path.read_text())
    registration = json.loads(registration_path.read_text())
    long_lived = {
        signed_in["refreshToken"],
        signed_in["clientSecret"],
        registration["clientSecret"],
    }
    before = _identity(emu)
    assert before[0] == emu.default_account_id
    sign_ins = emu.calls("StartDeviceAuthorization")

    code, out, err = _cli("storage", "migrate", "--to", "keyring", "--sso-session", SSO_SESSION)
    assert code == 0, err
    assert "moved the token and registration to the OS keyring" in out
    assert _storage_key(isolated_aws_home) == "keyring"
    in_keyring = KeyringRecord(token_path).read()
    assert in_keyring is not None
    long_lived.add(in_keyring["refreshToken"])  # the identity above may have refreshed it
    assert files_containing(isolated_aws_home, long_lived) == {}
    exported = json.loads(token_path.read_text())  # the default export: the access token alone
    assert sorted(exported) == ["accessToken", "expiresAt", "region", "startUrl"]
    assert not registration_path.exists()
    assert KeyringRecord(registration_path).read() == registration

    again = _cli("storage", "migrate", "--to", "keyring", "--sso-session", SSO_SESSION)
    assert again[0] == 0
    assert "already live in the OS keyring" in again[1]

    assert _identity(emu) == before
    refreshes = emu.calls("CreateToken")
    shared_clock.advance(HOUR)  # the access token has expired: the keyring's refresh token works
    assert _identity(emu) == before
    assert emu.calls("CreateToken") > refreshes
    assert emu.errors("CreateToken") == {}
    refreshed = KeyringRecord(token_path).read()
    assert refreshed is not None
    long_lived.add(refreshed["refreshToken"])
    assert files_containing(isolated_aws_home, long_lived) == {}

    code, out, err = _cli("storage", "migrate", "--to", "file", "--sso-session", SSO_SESSION)
    assert code == 0, err
    assert _storage_key(isolated_aws_home) is None  # file: the default, the key is removed
    assert KeyringRecord(token_path).read() is None
    assert KeyringRecord(registration_path).read() is None
    back = json.loads(token_path.read_text())
    assert back["refreshToken"] == refreshed["refreshToken"]
    assert back["clientSecret"] == refreshed["clientSecret"]
    assert json.loads(registration_path.read_text()) == registration

    assert _identity(emu) == before
    shared_clock.advance(HOUR)
    assert _identity(emu) == before  # refreshed from the file again
    assert json.loads(token_path.read_text())["refreshToken"] != back["refreshToken"]
    assert emu.errors("CreateToken") == {}
    assert emu.calls("StartDeviceAuthorization") == sign_ins  # never a new sign-in


def test_nothing_to_migrate_is_a_clear_error(emu: Emulator, isolated_aws_home: Path) -> None:
    _write_config(isolated_aws_home, emu, "")
    for to in ("keyring", "file"):
        code, _out, err = _cli("storage", "migrate", "--to", to, "--sso-session", SSO_SESSION)
        assert code == 1
        assert "nothing to migrate" in err
        assert "refreshable-sso login" in err
        assert "Traceback" not in err
    assert _storage_key(isolated_aws_home) is None  # nothing remembered either
