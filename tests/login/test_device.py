"""The device-code provider against the emulator: every way a device authorization can end."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    LoginCancelledError,
    LoginDeniedError,
    LoginExpiredError,
    LoginTimeoutError,
)
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from tests.virtual_time import call_on_virtual_time

from .conftest import SSO_SESSION, EmulatorFactory, Prompt, device_provider


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _recorder(opened: list[str]) -> Callable[[str], bool]:
    """A browser opener that only remembers the URL it was asked to open."""

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    return open_url


def test_approved_after_pending_stores_a_refreshable_token(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)

    def approve_after_a_pending_poll(code: str) -> None:
        _wait_for(lambda: emu.errors("CreateToken").get("AuthorizationPendingException", 0) >= 1)
        emu.approve(code)

    prompt = Prompt(act=approve_after_a_pending_poll)
    token = device_provider(emu, prompt_callback=prompt).get_token()

    assert emu.errors("CreateToken") == {"AuthorizationPendingException": 1}
    assert emu.calls("StartDeviceAuthorization") == 1
    assert token.can_refresh()
    (uri, code, uri_complete, expires_at) = prompt.seen[0]
    assert uri == f"{emu.url}/device"
    assert code in uri_complete
    assert isinstance(expires_at, datetime)

    path = token_cache_path(emu.start_url, SSO_SESSION)
    data = json.loads(path.read_text())
    assert data["startUrl"] == emu.start_url
    assert data["region"] == emu.region
    for key in ("accessToken", "expiresAt", "refreshToken", "clientId", "clientSecret"):
        assert data[key]
    assert data["registrationExpiresAt"].endswith("Z")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_plain_boto3_uses_the_login(emu_factory: EmulatorFactory, isolated_aws_home: Path) -> None:
    """One login serves unmodified boto3 through an sso-session profile."""
    emu = emu_factory(auto_approve=True)
    device_provider(emu, prompt_callback=Prompt()).get_token()
    config = isolated_aws_home / ".aws" / "config"
    config.write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n\n"
        f"[profile dev]\nsso_session = {SSO_SESSION}\nsso_account_id = {emu.default_account_id}\n"
        f"sso_role_name = {emu.default_role_name}\nregion = eu-west-1\n"
    )
    # A fresh interpreter: botocore fixes its cache directory from HOME at import time.
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3, json; print(json.dumps("
            "boto3.Session(profile_name='dev').client('sts').get_caller_identity()))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    identity = json.loads(proc.stdout)
    assert identity["Account"] == emu.default_account_id
    assert identity["Arn"].endswith(f"/{emu.user_name}")


def test_cached_token_is_reused_without_asking(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    prompt = Prompt()
    provider = device_provider(emu, prompt_callback=prompt)
    first = provider.get_token()
    again = device_provider(emu, prompt_callback=prompt).get_token()
    assert again.access_token.get_secret_value() == first.access_token.get_secret_value()
    assert len(prompt.seen) == 1
    forced = provider.get_token(force_refresh=True)
    assert forced.access_token.get_secret_value() != first.access_token.get_secret_value()
    assert len(prompt.seen) == 2


def test_slow_down_adds_to_the_interval(
    emu_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture, shared_clock: OffsetClock
) -> None:
    emu = emu_factory(auto_approve=True, device_interval=1)  # the service's own interval
    emu.faults.fail_next("CreateToken", n=1, status=400, code="SlowDownException")
    caplog.set_level(logging.INFO, logger="refreshable_sso")
    provider = device_provider(emu, prompt_callback=Prompt(), slow_down_step=0.5)
    # the 1 s and 1.5 s between the polls pass on the clock the emulator also reads
    token = call_on_virtual_time(shared_clock, provider.get_token)
    assert token.can_refresh()
    # The injected SlowDown only: had we polled faster than the interval, the emulator
    # would have answered SlowDown on its own.
    assert emu.errors("CreateToken") == {"SlowDownException": 1}
    assert "polling every 1.5 s" in caplog.text


def test_expired_device_code(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False, device_code_ttl=600)
    prompt = Prompt(act=lambda _code: emu.clock.advance(601))
    with pytest.raises(LoginExpiredError, match="expired before anyone approved"):
        device_provider(emu, prompt_callback=prompt).get_token()
    assert not token_cache_path(emu.start_url, SSO_SESSION).exists()


def test_denied(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)
    prompt = Prompt(act=emu.deny)
    with pytest.raises(LoginDeniedError, match="denied"):
        device_provider(emu, prompt_callback=prompt).get_token()
    assert emu.errors("CreateToken").get("AccessDeniedException") == 1


def test_own_timeout(emu_factory: EmulatorFactory, shared_clock: OffsetClock) -> None:
    emu = emu_factory(auto_approve=False)
    provider = device_provider(emu, prompt_callback=Prompt(), timeout=1.5)
    with pytest.raises(LoginTimeoutError, match=r"within 1.5 s"):
        call_on_virtual_time(shared_clock, provider.get_token)  # 1.5 s on the shared clock
    assert emu.pending_user_codes()  # nobody approved; we simply stopped waiting


def test_cancel_event_stops_at_once(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False, device_interval=30)
    cancel = threading.Event()
    prompt = Prompt(act=lambda _code: cancel.set())
    with pytest.raises(LoginCancelledError, match="cancelled"):
        # The interval is 30 s; a cancel must not wait for the next poll.
        device_provider(emu, prompt_callback=prompt, cancel_event=cancel, timeout=20).get_token()
    assert emu.calls("CreateToken") == 0


def test_message_template_and_browser_opener(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    told: list[str] = []
    opened: list[str] = []
    provider = device_provider(
        emu,
        message="Visit {url} and type {code}",
        notifier=told.append,
        browser_opener=_recorder(opened),
    )
    provider.get_token()
    (user_code,) = [part for part in told[0].split() if "-" in part and len(part) == 9]
    assert told == [f"Visit {emu.url}/device and type {user_code}"]
    assert opened == [f"{emu.url}/device?user_code={user_code}"]


def test_default_notice_goes_to_stderr_without_browser(
    emu_factory: EmulatorFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = emu_factory(auto_approve=True)
    opened: list[str] = []
    device_provider(emu, open_browser=False, browser_opener=_recorder(opened)).get_token()
    captured = capsys.readouterr()
    assert f"{emu.url}/device" in captured.err
    assert captured.out == ""
    assert opened == []


def test_bad_message_template_fails_at_construction(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    with pytest.raises(ConfigurationError, match="message template"):
        device_provider(emu, message="Go to {uri}")
    with pytest.raises(ConfigurationError, match="timeout must be a positive"):
        device_provider(emu, timeout=0)


# -- client registration ----------------------------------------------------------------------


def _registration_file(emu_start_url: str, region: str) -> Path:
    return registration_cache_path(emu_start_url, region, list(DEFAULT_SCOPES), SSO_SESSION)


def test_registration_is_cached_in_cli_format_and_reused(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    path = _registration_file(emu.start_url, emu.region)
    data = json.loads(path.read_text())
    assert set(data) == {"clientId", "clientSecret", "expiresAt", "scopes"}
    assert data["scopes"] == ["sso:account:access"]
    assert data["expiresAt"].endswith("Z")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    assert emu.calls("RegisterClient") == 1
    assert json.loads(path.read_text())["clientId"] == data["clientId"]


def test_registration_renewed_when_under_15_minutes_left(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    path = _registration_file(emu.start_url, emu.region)
    data = json.loads(path.read_text())
    soon = datetime.fromtimestamp(time.time() + 14 * 60).astimezone()
    data["expiresAt"] = soon.strftime("%Y-%m-%dT%H:%M:%S%z")
    path.write_text(json.dumps(data))

    token = device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    assert emu.calls("RegisterClient") == 2
    renewed = json.loads(path.read_text())
    assert renewed["clientId"] != data["clientId"]
    assert token.client_id == renewed["clientId"]


def test_registration_rejected_by_server_is_replaced(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True, registration_ttl=3600)
    device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    path = _registration_file(emu.start_url, emu.region)
    data = json.loads(path.read_text())
    data["expiresAt"] = "2100-01-01T00:00:00Z"  # we believe it is good; the server knows better
    path.write_text(json.dumps(data))
    emu.clock.advance(3601)

    token = device_provider(emu, prompt_callback=Prompt()).get_token(force_refresh=True)
    assert emu.errors("StartDeviceAuthorization") == {"InvalidClientException": 1}
    assert emu.calls("RegisterClient") == 2
    assert token.client_id == json.loads(path.read_text())["clientId"] != data["clientId"]


def test_corrupt_registration_file_is_replaced(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    path = _registration_file(emu.start_url, emu.region)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text('{"clientId": ')
    device_provider(emu, prompt_callback=Prompt()).get_token()
    assert json.loads(path.read_text())["clientId"]
    assert emu.calls("RegisterClient") == 1


def test_registration_of_wrong_kind_is_not_reused(emu_factory: EmulatorFactory) -> None:
    """A PKCE-only registration (authorization_code grant) cannot do a device login."""
    emu = emu_factory(auto_approve=True)
    path = _registration_file(emu.start_url, emu.region)
    path.parent.mkdir(parents=True, mode=0o700)
    oidc = boto3.client("sso-oidc", region_name=emu.region)
    pkce_client = oidc.register_client(
        clientName="pkce-only",
        clientType="public",
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=emu.start_url,
    )
    path.write_text(
        json.dumps(
            {
                "clientId": pkce_client["clientId"],
                "clientSecret": pkce_client["clientSecret"],
                "expiresAt": "2100-01-01T00:00:00Z",
                "scopes": ["sso:account:access"],
                "grantTypes": ["authorization_code", "refresh_token"],
            }
        )
    )
    token = device_provider(emu, prompt_callback=Prompt()).get_token()
    assert token.client_id != pkce_client["clientId"]
    assert emu.errors("StartDeviceAuthorization") == {}


def test_environment_endpoint_is_honoured(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    assert os.environ["AWS_ENDPOINT_URL_SSO_OIDC"] == emu.url
    device_provider(emu, prompt_callback=Prompt()).get_token()
    assert emu.calls("CreateToken") == 1


def test_unusable_cache_directory_fails_before_asking_anyone(
    emu_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emu_factory(auto_approve=True)
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("I am a file")
    prompt = Prompt()
    with pytest.raises(CacheFileError) as info:
        device_provider(emu, prompt_callback=prompt, cache_dir=not_a_dir).get_token()
    assert str(not_a_dir) in str(info.value)
    assert prompt.seen == []
    assert emu.calls("StartDeviceAuthorization") == 0


def test_a_zero_interval_is_polled_at_the_floor_not_in_a_busy_loop(
    emu_factory: EmulatorFactory,
) -> None:
    # A sub-second interval reaches botocore clients as 0 (it parses an integer): we poll
    # every MIN_INTERVAL, which the emulator's own SlowDown check (it knows 0.05 s) accepts.
    emu = emu_factory(auto_approve=False, device_interval=0.05)

    def approve_after_some_polls(code: str) -> None:
        _wait_for(lambda: emu.errors("CreateToken").get("AuthorizationPendingException", 0) >= 5)
        emu.approve(code)

    token = device_provider(emu, prompt_callback=Prompt(act=approve_after_some_polls)).get_token()
    assert token.can_refresh()
    errors = emu.errors("CreateToken")
    assert "SlowDownException" not in errors
    assert errors["AuthorizationPendingException"] >= 5
