"""``refreshable-sso serve`` (a real process, read by botocore) and ``refreshable-sso export``."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import urllib.request
from pathlib import Path

import botocore.credentials
import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.serving.shells import render
from tests.serving.conftest import ACCOUNT, CLI, ROLE, call_cli

NASTY = 'a\'b "c" $(touch pwned) `id` \\ $HOME ;|&'


def _restore_default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _exports(lines: list[str]) -> dict[str, str]:
    """The export lines that are not commented out, as name -> value (values have no quotes)."""
    found = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            found[name] = value.strip("'")
    return found


def test_serve_two_profiles_with_a_token_file(emu: Emulator, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    proc = subprocess.Popen(
        [
            *CLI,
            "serve",
            "--profile",
            "dev",
            "--profile",
            "dev-admin",
            "--token-file",
            str(token_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_default_signals,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or "TOKEN_FILE" not in lines[-1]:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            lines.append(line.strip())
        assert lines[0] == "# profile dev"
        assert lines[2] == "# profile dev-admin"
        assert lines[3].startswith("# export AWS_CONTAINER_CREDENTIALS_FULL_URI=")
        exports = _exports(lines)
        admin_url = lines[3].partition("=")[2]
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert exports["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == str(token_file.resolve())
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in exports
        keys = set()
        for url in (exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"], admin_url):
            env = {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
            }
            credentials = botocore.credentials.ContainerProvider(environ=env).load()
            keys.add(credentials.get_frozen_credentials().access_key)
        assert len(keys) == 2
        assert emu.calls("GetRoleCredentials") == 2
        assert emu.calls("CreateToken") == 0  # one sign-in, no refresh needed
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_names_the_role_of_each_profile(emu: Emulator) -> None:
    """``serve --profile dev --profile legacy``: two roles in two accounts, each path's answer
    names its own role (RoleArn) as the emulator's STS knows it."""
    proc = subprocess.Popen(
        [*CLI, "serve", "--profile", "dev", "--profile", "legacy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_default_signals,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or "AUTHORIZATION_TOKEN=" not in lines[-1]:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            lines.append(line.strip())
        token = _exports(lines)["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        urls = {
            "dev": _exports(lines)["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            "legacy": lines[3].partition("=")[2],
        }
        expected = {
            "dev": emu.sso_role_arn(ACCOUNT, ROLE),
            "legacy": emu.sso_role_arn("222222222222", ROLE),
        }
        for name, url in urls.items():
            assert url.endswith("/" + name)
            request = urllib.request.Request(url, headers={"Authorization": token})  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
                body = json.loads(response.read())
            assert body["RoleArn"] == expected[name], name
            assert body["AccountId"] == expected[name].split(":")[4], name
            env = {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": token,
            }
            loaded = botocore.credentials.ContainerProvider(environ=env).load()
            assert loaded.get_frozen_credentials().access_key == body["AccessKeyId"]
        assert emu.calls("GetCallerIdentity") == 2  # one per role, then remembered
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_one_profile_prints_the_token(emu: Emulator) -> None:
    proc = subprocess.Popen(
        [*CLI, "serve", "--profile", "dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_default_signals,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip(), proc.stdout.readline().strip()]
        exports = _exports(lines)
        assert exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].endswith("/credentials")
        assert len(exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) >= 43
        credentials = botocore.credentials.ContainerProvider(environ=exports).load()
        assert credentials.get_frozen_credentials().access_key.startswith("ASIA")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"] not in err


def test_export_env_is_safe_to_eval_in_a_posix_shell(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = call_cli(capsys, ["export", "--profile", "dev"])
    assert code == 0, err
    script = (
        out + 'printf "%s|%s|%s" "$AWS_ACCESS_KEY_ID" "$AWS_REGION" "$AWS_CREDENTIAL_EXPIRATION"'
    )
    shown = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    key, region, expiry = shown.split("|")
    assert key.startswith("ASIA")
    assert region == "eu-west-1"
    assert expiry.endswith("Z")
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        assert f"export {name}=" in out
    # Hostile values stay values.
    nasty = render({"AWS_X": NASTY}, "env") + 'printf "%s" "$AWS_X"'
    result = subprocess.run(
        ["sh", "-c", nasty], capture_output=True, text=True, check=True, timeout=30, cwd=tmp_path
    )
    assert result.stdout == NASTY
    assert not (tmp_path / "pwned").exists()


def test_export_formats(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {}
    for fmt in ("dotenv", "fish", "powershell", "json"):
        code, out, err = call_cli(capsys, ["export", "--profile", "dev", "--format", fmt])
        assert code == 0, err
        outputs[fmt] = out
    document = json.loads(outputs["json"])
    key = document["AccessKeyId"]
    assert document["Version"] == 1
    assert f"AWS_ACCESS_KEY_ID={key}\n" in outputs["dotenv"]
    assert f"set -gx AWS_ACCESS_KEY_ID '{key}'\n" in outputs["fish"]
    assert f'$Env:AWS_ACCESS_KEY_ID = "{key}"\n' in outputs["powershell"]
    assert "AWS_REGION" in outputs["powershell"]
    assert emu.calls("GetRoleCredentials") == 1  # every run after the first reads the cache


def test_export_quoting_of_the_other_formats() -> None:
    assert (
        render({"A": NASTY}, "fish")
        == "set -gx A 'a\\'b \"c\" $(touch pwned) `id` \\\\ $HOME ;|&'\n"
    )
    assert render({"A": NASTY}, "powershell") == (
        '$Env:A = "a\'b `"c`" `$(touch pwned) ``id`` \\ `$HOME ;|&"\n'
    )
    assert render({"A": NASTY}, "dotenv") == (
        'A="a\'b \\"c\\" \\$(touch pwned) `id` \\\\ \\$HOME ;|&"\n'
    )
    assert render({"A": "abc+/=="}, "dotenv") == "A=abc+/==\n"


def test_export_legacy_profile_without_region(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call_cli(capsys, ["export", "--profile", "legacy", "--format", "dotenv"])
    assert code == 0, err
    assert "AWS_REGION" not in out
    assert "AWS_CREDENTIAL_EXPIRATION=" in out
