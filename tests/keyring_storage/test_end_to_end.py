"""Keyring token storage end to end, against the emulator and a real Secret Service.

Mode (a), ``token_export="none"``: after a keyring sign-in and hours of (virtual) refreshes no
access token, refresh token or client secret is in any file under HOME. Mode (b), the default:
only the access token is, in the AWS CLI's file, and plain boto3 works from it before and after
one of our refreshes. Eight processes near expiry refresh once. A locked keyring gives our clear
error, and nothing falls back to a plain file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from refreshable_sso import SSORefreshableSession
from refreshable_sso._clock import OffsetClock
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.keyring import SERVICE, KeyringRecord
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.login.signin import login
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from tests.aws_cli_v2 import aws_cli_v2, endpoint_data
from tests.login.conftest import Prompt
from tests.start_line import release_when_ready

from .conftest import files_containing

pytestmark = [pytest.mark.keyring, pytest.mark.usefixtures("secret_service")]

SSO_SESSION = "vault"
HOUR = 3600.0
PROCESSES = 8


@pytest.fixture
def emu(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """An emulator approving every sign-in, its endpoints in the environment (for boto3)."""
    started: Emulator = sso_emulator_factory(auto_approve=True)
    for name, value in started.env().items():
        monkeypatch.setenv(name, value)
    return started


def _endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def _write_config(home: Path, emu: Emulator, storage_lines: str) -> None:
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n"
        f"{storage_lines}\n"
        f"[profile dev]\nsso_session = {SSO_SESSION}\n"
        f"sso_account_id = {emu.default_account_id}\nsso_role_name = {emu.default_role_name}\n"
        "region = eu-west-1\n"
    )


def _sign_in(emu: Emulator, export: str | None = None) -> None:
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        prompt_callback=Prompt(),
        token_storage="keyring",
        token_export=export,
    )


def _token_record(emu: Emulator) -> KeyringRecord:
    return KeyringRecord(token_cache_path(emu.start_url, SSO_SESSION))


def _stored_secrets(emu: Emulator) -> set[str]:
    """The secrets the keyring holds now for this sign-in (token and registration)."""
    token = _token_record(emu).read()
    assert token is not None, "the keyring holds no token"
    registration = KeyringRecord(
        registration_cache_path(emu.start_url, emu.region, list(DEFAULT_SCOPES), SSO_SESSION)
    ).read()
    assert registration is not None, "the keyring holds no client registration"
    found = {token["accessToken"], token["refreshToken"], token["clientSecret"]}
    found.add(registration["clientSecret"])
    return found


def _plain_boto3_account() -> str:
    """The account plain boto3 reaches with profile 'dev' (botocore's own SSO providers)."""
    sts = boto3.Session(profile_name="dev").client("sts")
    account: str = sts.get_caller_identity()["Account"]
    return account


def _aws_cli_v2_account(emu: Emulator, home: Path) -> str:
    """The account the real AWS CLI v2 reaches with profile 'dev' (its own SSO providers)."""
    ran = subprocess.run(
        [str(aws_cli_v2()), "sts", "get-caller-identity", "--profile", "dev", "--output", "json"],
        env={
            **os.environ,
            "AWS_DATA_PATH": str(endpoint_data(home / "aws-data", emu.url)),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    account: str = json.loads(ran.stdout)["Account"]
    return account


def test_mode_a_nothing_secret_reaches_a_file_in_hours_of_refreshes(
    shared_clock: OffsetClock, emu: Emulator, isolated_aws_home: Path
) -> None:
    _sign_in(emu, export="none")
    seen = _stored_secrets(emu)
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name=SSO_SESSION,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        region_name="eu-west-1",
        endpoints=_endpoints(emu),
        token_storage="keyring",
        token_export="none",
    )
    assert session.whoami()["Account"] == emu.default_account_id
    refreshes_before = emu.calls("CreateToken")
    for _ in range(8):  # two hours, in quarter hours: the token is refreshed at least twice
        shared_clock.advance(HOUR / 4)
        assert session.whoami()["Account"] == emu.default_account_id
        seen |= _stored_secrets(emu)
    assert emu.calls("CreateToken") - refreshes_before >= 2
    assert emu.errors("CreateToken") == {}
    assert len(seen) >= 5  # several access and refresh tokens went through the keyring
    assert files_containing(isolated_aws_home, seen) == {}
    assert not token_cache_path(emu.start_url, SSO_SESSION).exists()
    # the refresh-ahead logic read writtenAt: the last refresh was written on the shared clock
    written = _token_record(emu).written_at()
    assert written is not None
    assert abs(written - time.time()) < 60  # system seconds, as a file's mtime would be


def test_mode_b_exports_only_the_access_token_and_plain_boto3_uses_it(
    shared_clock: OffsetClock, emu: Emulator, isolated_aws_home: Path
) -> None:
    _write_config(isolated_aws_home, emu, "refreshable_sso_token_storage = keyring\n")
    _sign_in(emu)  # the default export: short-lived
    exported_path = token_cache_path(emu.start_url, SSO_SESSION)
    first = json.loads(exported_path.read_text())
    assert sorted(first) == ["accessToken", "expiresAt", "region", "startUrl"]
    stored = _token_record(emu).read()
    assert stored is not None
    assert first["accessToken"] == stored["accessToken"]
    long_lived = _stored_secrets(emu) - {stored["accessToken"]}
    assert files_containing(isolated_aws_home, long_lived) == {}
    exported_name = str(exported_path.relative_to(isolated_aws_home))
    hits = files_containing(isolated_aws_home, {stored["accessToken"]})
    assert list(hits) == [exported_name]
    assert oct(exported_path.stat().st_mode & 0o777) == "0o600"

    assert _plain_boto3_account() == emu.default_account_id  # botocore ignores our key
    assert _aws_cli_v2_account(emu, isolated_aws_home) == emu.default_account_id  # the CLI too

    session = SSORefreshableSession.from_profile("dev", endpoints=_endpoints(emu))
    assert session.sso_config.token_storage == "keyring"  # remembered in ~/.aws/config
    assert session.whoami()["Account"] == emu.default_account_id
    shared_clock.advance(HOUR)  # the exported token has expired on the emulator
    assert session.whoami()["Account"] == emu.default_account_id  # our refresh re-exports
    second = json.loads(exported_path.read_text())
    assert sorted(second) == ["accessToken", "expiresAt", "region", "startUrl"]
    assert second["accessToken"] != first["accessToken"]
    refreshed = _token_record(emu).read()
    assert refreshed is not None
    assert second["accessToken"] == refreshed["accessToken"]
    assert refreshed["refreshToken"] != stored["refreshToken"]
    long_lived |= _stored_secrets(emu) - {refreshed["accessToken"]}
    assert files_containing(isolated_aws_home, long_lived | {first["accessToken"]}) == {}
    assert _plain_boto3_account() == emu.default_account_id  # with the re-exported token
    assert _aws_cli_v2_account(emu, isolated_aws_home) == emu.default_account_id


def _seed_near_expiry(emu: Emulator, seconds_left: float, written_ago: float) -> dict[str, Any]:
    """A signed-in token in the keyring that looks ``written_ago`` seconds old."""
    import keyring

    token: dict[str, Any] = emu.sign_in()
    moment = time.gmtime(time.time() + seconds_left)
    token["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)
    record = _token_record(emu)
    written = int((time.time() - written_ago) * 1e9)
    keyring.set_password(SERVICE, record.entry, json.dumps({"writtenAt": written, "data": token}))
    return token


_WORKER = textwrap.dedent(
    """
    import hashlib, json, sys, time
    from pathlib import Path
    from refreshable_sso.storage.keyring import TokenStorage
    from refreshable_sso.tokens.cached import CachedTokenProvider

    start_url, region, session, rendezvous, index = sys.argv[1:6]
    provider = CachedTokenProvider(
        start_url, region, sso_session_name=session, token_storage=TokenStorage("keyring")
    )
    Path(rendezvous, "ready-" + index).touch()
    go = Path(rendezvous, "go")
    deadline = time.monotonic() + 120
    while not go.exists():  # everyone starts at the same moment
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.002)
    try:
        token = provider.get_token()
        digest = hashlib.sha256(token.access_token.get_secret_value().encode()).hexdigest()
        print(json.dumps({"ok": True, "token": digest}))
    except Exception as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__ + ": " + str(exc)}))
    """
)


@pytest.mark.multiprocess
def test_eight_processes_near_expiry_refresh_the_keyring_token_once(
    emu: Emulator, tmp_path: Path
) -> None:
    old = _seed_near_expiry(emu, seconds_left=60, written_ago=3000)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                emu.start_url,
                emu.region,
                SSO_SESSION,
                str(rendezvous),
                str(index),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    try:
        release_when_ready(rendezvous, workers)
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert all(r["ok"] for r in results), [r.get("error") for r in results]
    assert emu.calls("CreateToken") == 1  # one refresh grant for the eight processes
    assert emu.errors("CreateToken") == {}  # no refresh token presented twice (InvalidGrant)
    saved = _token_record(emu).read()
    assert saved is not None
    assert saved["refreshToken"] != old["refreshToken"]
    digest = hashlib.sha256(saved["accessToken"].encode()).hexdigest()
    assert {r["token"] for r in results} == {digest}
    exported = json.loads(token_cache_path(emu.start_url, SSO_SESSION).read_text())
    assert exported["accessToken"] == saved["accessToken"]
    assert "refreshToken" not in exported


_LOCKED = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import secretstorage
    from refreshable_sso.errors import KeyringUnavailableError
    from refreshable_sso.storage.keyring import TokenStorage
    from refreshable_sso.tokens.cached import CachedTokenProvider
    from refreshable_sso.tokens.store import TokenCache

    start_url, token_json = sys.argv[1:3]
    storage = TokenStorage("keyring")
    cache = TokenCache(start_url, "vault", storage=storage)
    from refreshable_sso.tokens.base import SSOToken
    cache.save(SSOToken.from_cache_dict(json.loads(token_json)))
    assert cache.load() is not None
    with secretstorage.dbus_init() as conn:
        secretstorage.get_default_collection(conn).lock()
    outcome = {}
    for name, action in (
        ("load", cache.load),
        ("get_token", CachedTokenProvider(start_url, "us-east-1", sso_session_name="vault",
                                          token_storage=storage).get_token),
    ):
        try:
            action()
            outcome[name] = "no error"
        except KeyringUnavailableError as exc:
            outcome[name] = [exc.reason, str(exc)]
    outcome["files"] = sorted(
        str(p.relative_to(Path.home())) for p in Path.home().rglob("*.json")
    )
    print(json.dumps(outcome))
    """
)


def _own_secret_service(home: Path) -> list[str]:
    """A command prefix running its command in a new D-Bus session with its own keyring."""
    return [
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        "printf %s pw | gnome-keyring-daemon --unlock --components=secrets --daemonize "
        '>/dev/null; exec "$@"',
        "sh",
    ]


def test_a_locked_keyring_gives_the_clear_error_and_no_plain_file(
    emu: Emulator, tmp_path: Path
) -> None:
    """In a Secret Service of its own (locking the shared one would stop the other tests)."""
    home = tmp_path / "own-home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")
    }
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"))
    token = emu.sign_in()
    done = subprocess.run(
        [
            *_own_secret_service(home),
            sys.executable,
            "-c",
            _LOCKED,
            emu.start_url,
            json.dumps(token),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("load", "get_token"):
        reason, message = outcome[name]
        assert reason == "locked"
        assert "The OS keyring is locked" in message
        assert "gnome-keyring-daemon --unlock" in message  # names the fix
        assert token["refreshToken"] not in message
        assert token["accessToken"] not in message
    # the short-lived export of the save before the lock, and nothing else
    (exported,) = outcome["files"]
    exported_data = json.loads((home / exported).read_text())
    assert "refreshToken" not in exported_data


def test_the_command_line_signs_in_to_the_keyring_and_remembers_it(
    emu: Emulator, isolated_aws_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from refreshable_sso.cli.main import main

    _write_config(isolated_aws_home, emu, "")
    argv = ["login", "--sso-session", SSO_SESSION, "--use-device-code", "--no-browser"]
    assert main([*argv, "--storage", "keyring", "--export", "none"]) == 0
    config = (isolated_aws_home / ".aws" / "config").read_text()
    assert "refreshable_sso_token_storage = keyring" in config
    assert "refreshable_sso_token_export = none" in config
    assert "Remembered token storage 'keyring'" in capsys.readouterr().out
    secrets = _stored_secrets(emu)
    assert files_containing(isolated_aws_home, secrets) == {}
    session = SSORefreshableSession.from_profile("dev", endpoints=_endpoints(emu))
    assert session.sso_config.storage().export == "none"
    assert session.whoami()["Account"] == emu.default_account_id  # read from the keyring
    assert main(["login", "--sso-session", SSO_SESSION]) == 0  # remembered: reads the keyring
    assert emu.calls("StartDeviceAuthorization") == 1  # no second sign-in
    assert not token_cache_path(emu.start_url, SSO_SESSION).exists()
    assert main(["logout", "--sso-session", SSO_SESSION]) == 0
    assert _token_record(emu).read() is None  # logout removed the keyring entry
