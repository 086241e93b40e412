"""``login()``/``logout()`` and the ``refreshable-sso login``/``logout`` commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from refreshable_sso.cli.main import main
from refreshable_sso.credentials.role import RoleCredentialCache, RoleCredentials
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.login.signin import login, logout
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from tests.cli.helpers import cli_here
from tests.signals import default_sigint

from .conftest import SSO_SESSION, EmulatorFactory, Prompt

OTHER_SESSION = "other"


def _write_config(home: Path, emu: Emulator, extra: str = "") -> None:
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n\n"
        f"[profile dev]\nsso_session = {SSO_SESSION}\n"
        f"sso_account_id = {emu.default_account_id}\nsso_role_name = {emu.default_role_name}\n"
        + extra
    )


# -- login() ------------------------------------------------------------------------------------


def test_login_signs_in_then_returns_the_cached_token(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    prompt = Prompt()
    first = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, prompt_callback=prompt)
    assert len(prompt.seen) == 1  # no browser here: PKCE fell back to the device code
    again = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, prompt_callback=prompt)
    assert again.access_token.get_secret_value() == first.access_token.get_secret_value()
    assert len(prompt.seen) == 1
    forced = login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        prompt_callback=prompt,
        force=True,
        use_device_code=True,
    )
    assert forced.access_token.get_secret_value() != first.access_token.get_secret_value()
    assert len(prompt.seen) == 2
    assert emu.calls("StartDeviceAuthorization") == 2


def test_login_refreshes_a_nearly_expired_token_instead_of_asking(
    emu_factory: EmulatorFactory,
) -> None:
    emu = emu_factory(auto_approve=True, access_token_ttl=300)  # under the 15-minute minimum
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    prompt = Prompt()
    token = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, prompt_callback=prompt)
    assert prompt.seen == []
    assert emu.calls("CreateToken") == 1  # the refresh_token grant
    assert token.can_refresh()


def test_login_with_browser_uses_pkce(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)

    def browser(url: str) -> bool:
        # The emulator's loopback http:// authorize page; a redirect brings it to our listener.
        fetch = lambda: urllib.request.urlopen(url, timeout=10).read()  # noqa: E731, S310
        threading.Thread(target=fetch).start()
        return True

    token = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, browser_opener=browser)
    assert token.can_refresh()
    assert emu.calls("StartDeviceAuthorization") == 0


# -- logout() -----------------------------------------------------------------------------------


def _role_entry(emu: Emulator, account_id: str, role_name: str, **who: str) -> Path:
    """A role-credential cache entry, as a session (or the AWS CLI) would have left it."""
    creds = emu.role_credentials()
    entry = RoleCredentialCache().entry(account_id, role_name, **who)
    entry.save(
        RoleCredentials.from_cache_dict(
            {"ProviderType": "sso", "Credentials": {**creds, "AccountId": account_id}}
        )
    )
    return entry.path


def test_logout_removes_exactly_this_sign_ins_files(
    emu_factory: EmulatorFactory, isolated_aws_home: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    _write_config(
        isolated_aws_home,
        emu,
        f"\n[profile ghost]\nsso_session = {SSO_SESSION}\nsso_account_id = 444444444444\n"
        "sso_role_name = RetiredRole\n",
    )
    token = login(emu.start_url, emu.region, sso_session_name=SSO_SESSION, prompt_callback=Prompt())
    ours = [
        _role_entry(emu, "111111111111", "ReadOnlyAccess", sso_session_name=SSO_SESSION),
        _role_entry(emu, "333333333333", "AdministratorAccess", sso_session_name=SSO_SESSION),
        # Not reachable any more, but a profile of this sso-session names it.
        _role_entry(emu, "444444444444", "RetiredRole", sso_session_name=SSO_SESSION),
    ]
    other_token = emu.seed_token_cache(sso_session_name=OTHER_SESSION)
    legacy_token = emu.seed_token_cache()  # same start URL, legacy (start-URL keyed) sign-in
    theirs = [
        _role_entry(emu, "111111111111", "ReadOnlyAccess", sso_session_name=OTHER_SESSION),
        _role_entry(emu, "111111111111", "ReadOnlyAccess", start_url=emu.start_url),
    ]
    registration = registration_cache_path(
        emu.start_url, emu.region, list(DEFAULT_SCOPES), SSO_SESSION
    )
    assert registration.exists()

    result = logout(emu.start_url, emu.region, sso_session_name=SSO_SESSION)

    assert result.signed_out
    assert sorted(result.removed) == sorted([token_cache_path(emu.start_url, SSO_SESSION), *ours])
    for path in ours:
        assert not path.exists()
    for path in [*theirs, other_token, legacy_token, registration]:
        assert path.exists(), path
    assert emu.calls("Logout") == 1
    # The server ended the sign-in: the old access token is refused.
    sso = boto3.client("sso", region_name=emu.region)
    with pytest.raises(ClientError) as info:
        sso.get_role_credentials(
            roleName="ReadOnlyAccess",
            accountId="111111111111",
            accessToken=token.access_token.get_secret_value(),
        )
    assert info.value.response["Error"]["Code"] == "UnauthorizedException"


def test_logout_of_a_legacy_sign_in_leaves_sso_sessions_alone(
    emu_factory: EmulatorFactory,
) -> None:
    emu = emu_factory(auto_approve=True)
    legacy = emu.seed_token_cache()
    named = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    legacy_entry = _role_entry(emu, "111111111111", "ReadOnlyAccess", start_url=emu.start_url)
    named_entry = _role_entry(emu, "111111111111", "ReadOnlyAccess", sso_session_name=SSO_SESSION)
    result = logout(emu.start_url, emu.region)
    assert sorted(result.removed) == sorted([legacy, legacy_entry])
    assert named.exists()
    assert named_entry.exists()


def test_logout_with_an_expired_refreshable_token_refreshes_then_signs_out(
    emu_factory: EmulatorFactory,
) -> None:
    emu = emu_factory(auto_approve=True)
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    data = json.loads(path.read_text())
    data["expiresAt"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(data))
    entry = _role_entry(emu, "222222222222", "ReadOnlyAccess", sso_session_name=SSO_SESSION)
    result = logout(emu.start_url, emu.region, sso_session_name=SSO_SESSION)
    assert result.signed_out
    assert emu.calls("CreateToken") == 1
    assert not path.exists()
    assert not entry.exists()


def test_logout_without_a_token_still_removes_local_files(
    emu_factory: EmulatorFactory, isolated_aws_home: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    _write_config(isolated_aws_home, emu)
    entry = _role_entry(
        emu, emu.default_account_id, emu.default_role_name, sso_session_name=SSO_SESSION
    )
    result = logout(emu.start_url, emu.region, sso_session_name=SSO_SESSION)
    assert not result.signed_out
    assert result.removed == (entry,)
    assert emu.calls("Logout") == 0


# -- the commands -------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command's ``main`` in this process, isolated as a new process would be (what it
    does and prints is the subject; the Ctrl-C test below starts a real process)."""
    ran = cli_here(*args)
    return subprocess.CompletedProcess(
        ["refreshable-sso", *args], ran.returncode, ran.stdout, ran.stderr
    )


def test_cli_login_and_logout_with_a_profile(
    emu_factory: EmulatorFactory, isolated_aws_home: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    _write_config(isolated_aws_home, emu)
    done = _cli("login", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert f"Signed in to {SSO_SESSION}" in done.stdout
    assert f"{emu.url}/device" in done.stderr  # no browser in tests: the device code was shown
    path = token_cache_path(emu.start_url, SSO_SESSION)
    assert path.exists()

    again = _cli("login", "--sso-session", SSO_SESSION)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""  # still signed in: nobody was asked
    assert emu.calls("StartDeviceAuthorization") == 1

    out = _cli("logout", "--profile", "dev")
    assert out.returncode == 0, out.stderr
    assert "signed out" in out.stdout
    assert str(path) in out.stdout
    assert not path.exists()


def test_cli_login_with_start_url_and_device_code(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    done = _cli(
        "login",
        "--start-url",
        emu.start_url,
        "--sso-region",
        emu.region,
        "--use-device-code",
        "--no-browser",
    )
    assert done.returncode == 0, done.stderr
    assert token_cache_path(emu.start_url).exists()


def test_cli_login_names_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "--start-url", "https://d-1.awsapps.com/start"]) == 1
    assert "--sso-region" in capsys.readouterr().err
    assert main(["login", "--sso-session", "nowhere"]) == 1
    assert "sso-session 'nowhere' is not in" in capsys.readouterr().err
    assert main(["logout", "--profile", "absent"]) == 1
    assert "absent" in capsys.readouterr().err
    assert main(["login", "--profile", "p", "--start-url", "https://x"]) == 1
    assert "not both" in capsys.readouterr().err


def test_cli_ctrl_c_cancels_cleanly(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "refreshable_sso.cli.main",
            "login",
            "--start-url",
            emu.start_url,
            "--sso-region",
            emu.region,
            "--use-device-code",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # we send it SIGINT: never inherit an ignored one
    )
    try:
        deadline = time.monotonic() + 30
        while not emu.pending_user_codes():
            assert time.monotonic() < deadline, "the login never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "cancelled (Ctrl-C)" in err
    assert "Traceback" not in err
    assert out == ""
    assert not token_cache_path(emu.start_url).exists()
