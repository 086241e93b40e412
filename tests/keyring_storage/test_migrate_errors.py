"""`refreshable-sso storage migrate` fails clearly, without a traceback and without touching
the plain-text token, when the keyring cannot be used or the sign-in is not named (no Secret
Service needed: these run in the normal suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refreshable_sso.storage.paths import token_cache_path

_MAIN = "from refreshable_sso.cli.main import main; raise SystemExit(main())"
START_URL = "https://example.awsapps.com/start"
TOKEN = {
    "accessToken": "access-0123456789",
    "expiresAt": "2099-01-01T00:00:00Z",
    "startUrl": START_URL,
    "region": "eu-west-1",
    "refreshToken": "refresh-0123456789",
    "clientId": "client-id",
    "clientSecret": "client-secret-0123456789",
    "registrationExpiresAt": "2099-01-01T00:00:00Z",
}


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
        and not key.startswith("AWS_")
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home / "no-runtime"),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
    )
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "storage", "migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _seed(home: Path) -> Path:
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(
        f"[sso-session vault]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
    )
    path = token_cache_path(START_URL, "vault", home / ".aws" / "sso" / "cache")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(TOKEN))
    path.chmod(0o600)
    return path


def test_no_keyring_is_a_clear_error_and_the_token_stays(tmp_path: Path) -> None:
    pytest.importorskip("keyring")
    path = _seed(tmp_path)
    done = _run(tmp_path, "--to", "keyring", "--sso-session", "vault")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "The OS keyring is missing" in done.stderr
    assert "dbus-run-session" in done.stderr  # names the fix
    assert json.loads(path.read_text()) == TOKEN  # nothing removed, nothing lost
    assert "refreshable_sso_token_storage" not in (tmp_path / ".aws" / "config").read_text()


def test_an_unknown_sign_in_is_a_clear_error(tmp_path: Path) -> None:
    _seed(tmp_path)
    done = _run(tmp_path, "--to", "keyring", "--sso-session", "nowhere")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "sso-session 'nowhere' is not in" in done.stderr


def test_the_destination_is_required(tmp_path: Path) -> None:
    _seed(tmp_path)
    done = _run(tmp_path, "--sso-session", "vault")
    assert done.returncode == 2
    assert "--to" in done.stderr
