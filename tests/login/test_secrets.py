"""No secret of a login (tokens, client secret, device code, authorization code, verifier)
shows up in logs (botocore's DEBUG wire logs included), reprs, or what the person is told."""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
from pathlib import Path

import pytest

from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.login.signin import logout
from refreshable_sso.tokens.registration import DEFAULT_SCOPES, ClientRegistrar

from .conftest import SSO_SESSION, EmulatorFactory, device_provider, pkce_provider


def _secrets(start_url: str, region: str) -> set[str]:
    token = json.loads(token_cache_path(start_url, SSO_SESSION).read_text())
    registration = json.loads(
        registration_cache_path(start_url, region, list(DEFAULT_SCOPES), SSO_SESSION).read_text()
    )
    return {
        token["accessToken"],
        token["refreshToken"],
        token["clientSecret"],
        registration["clientSecret"],
    }


def _browser(url: str) -> bool:
    fetch = lambda: urllib.request.urlopen(url, timeout=10).read()  # noqa: E731, S310 (loopback)
    threading.Thread(target=fetch).start()
    return True


@pytest.mark.parametrize("flow", ["device", "pkce"])
def test_no_secret_in_debug_logs_or_reprs(
    flow: str, emu_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emu_factory(auto_approve=True)
    caplog.set_level(logging.DEBUG)  # every logger, botocore's wire logs included
    told: list[str] = []
    provider = (
        device_provider(emu, notifier=told.append)
        if flow == "device"
        else pkce_provider(emu, browser_opener=_browser, notifier=told.append)
    )
    token = provider.get_token()
    registrar = ClientRegistrar(emu.start_url, emu.region, sso_session_name=SSO_SESSION)
    registration = registrar.cached()
    logout(emu.start_url, emu.region, sso_session_name=SSO_SESSION)

    secrets = {token.access_token.get_secret_value()}
    assert registration is not None
    secrets.add(registration.client_secret.get_secret_value())
    assert caplog.records
    text = caplog.text + "".join(repr(record.args) for record in caplog.records)
    shown = "".join(told) + repr(token) + str(token) + repr(registration) + repr(provider)
    for secret in secrets:
        assert secret not in text
        assert secret not in shown
    # the emulator's device codes are "dc-" + 64 url-safe characters (a request id such as
    # "...dddc-2d88-..." must not count, hence the look-behind and the length)
    assert re.search(r"(?<![A-Za-z0-9])dc-[A-Za-z0-9_-]{40,}", text) is None


def test_registration_file_secrets_only_in_the_file(
    emu_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emu_factory(auto_approve=True)
    caplog.set_level(logging.DEBUG)
    device_provider(emu, notifier=lambda _text: None).get_token()
    for secret in _secrets(emu.start_url, emu.region):
        assert secret not in caplog.text
    path: Path = token_cache_path(emu.start_url, SSO_SESSION)
    assert path.stat().st_mode & 0o077 == 0
