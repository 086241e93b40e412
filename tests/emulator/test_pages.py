"""The device verification page and the PKCE authorize page, over HTTP and in real Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from browser import chromium, new_page

from refreshable_sso.emulator import Emulator

from .helpers import DEVICE_GRANT, NO_RETRY, authorize_url, client, pkce_pair, query_of, raw

PluginFactory = Any
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def emu(sso_emulator_factory: PluginFactory) -> Emulator:
    return sso_emulator_factory()  # type: ignore[no-any-return]


def _device(emu: Emulator) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg = oidc.register_client(
        clientName="pages", clientType="public", scopes=["sso:account:access"]
    )
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    return oidc, reg, dev


def _poll(oidc: Any, reg: dict[str, Any], dev: dict[str, Any]) -> Any:
    return oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=dev["deviceCode"],
    )


# -- plain HTTP (always runs) ----------------------------------------------------------------
def test_device_page_over_http(emu: Emulator) -> None:
    oidc, reg, dev = _device(emu)
    status, headers, body = raw(emu, "GET", "/device")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b'name="user_code"' in body
    status, _, body = raw(emu, "GET", f"/device?user_code={dev['userCode']}")
    assert dev["userCode"].encode() in body
    assert b"Approve" in body
    assert b"Deny" in body
    form = urlencode({"user_code": dev["userCode"], "decision": "approve"}).encode()
    status, _, body = raw(emu, "POST", "/device", form, FORM)
    assert status == 200
    assert b"Request approved" in body
    assert _poll(oidc, reg, dev)["accessToken"]
    status, _, _ = raw(emu, "POST", "/device", form, FORM)  # already answered
    assert status == 404
    status, _, body = raw(emu, "GET", f"/device?user_code={dev['userCode']}")
    assert (status, b"Request approved" in body) == (200, True)
    status, _, body = raw(emu, "GET", "/device?user_code=ZZZZ-ZZZZ")
    assert (status, b"unknown, expired" in body) == (404, True)
    status, _, _ = raw(emu, "POST", "/device", b"decision=maybe", FORM)
    assert status == 400


def test_device_page_when_auto_approved(sso_emulator: Emulator) -> None:
    _, _, dev = _device(sso_emulator)
    path = dev["verificationUriComplete"].removeprefix(sso_emulator.url)
    status, _, body = raw(sso_emulator, "GET", path)
    assert status == 200
    assert b"Request approved" in body


def test_index_page(emu: Emulator) -> None:
    status, _, body = raw(emu, "GET", "/")
    assert status == 200
    assert emu.start_url.encode() in body


# -- real browser -------------------------------------------------------------------------
class _Callback(BaseHTTPRequestHandler):
    """The loopback listener a PKCE client runs; records the query it receives."""

    received: list[str]

    def do_GET(self) -> None:
        self.received.append(self.path)
        body = b"<html><body><p id='done'>You can close this window.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[tuple[str, list[str]]]:
    received: list[str] = []
    handler = type("Handler", (_Callback,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/oauth/callback", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with new_page(browser) as fresh:
        yield fresh


@pytest.mark.browser
@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_device_page_in_chromium(emu: Emulator, page: Any, decision: str) -> None:
    oidc, reg, dev = _device(emu)
    page.goto(dev["verificationUri"])
    page.fill("#user_code", dev["userCode"].lower())
    page.click("#next")
    assert page.inner_text("#user-code") == dev["userCode"]
    page.click(f"#{decision}")
    status = page.inner_text("#status")
    if decision == "approve":
        assert "approved" in status
        assert _poll(oidc, reg, dev)["accessToken"]
    else:
        assert "denied" in status
        with pytest.raises(oidc.exceptions.AccessDeniedException):
            _poll(oidc, reg, dev)


@pytest.mark.browser
@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_authorize_page_in_chromium(
    emu: Emulator, page: Any, callback: tuple[str, list[str]], decision: str
) -> None:
    redirect, received = callback
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg = oidc.register_client(
        clientName="browser-pkce",
        clientType="public",
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=emu.start_url,
    )
    verifier, challenge = pkce_pair()
    page.goto(emu.url + authorize_url(reg["clientId"], redirect, challenge, state="s-42"))
    assert page.inner_text("#client-name") == "browser-pkce"
    page.click(f"#{decision}")
    page.wait_for_selector("#done")
    callbacks = [path for path in received if path.startswith("/oauth/callback")]
    assert len(callbacks) == 1
    params = query_of(callbacks[0])
    assert params["state"] == "s-42"
    if decision == "deny":
        assert params["error"] == "access_denied"
        return
    token = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="authorization_code",
        code=params["code"],
        redirectUri=redirect,
        codeVerifier=verifier,
    )
    assert token["refreshToken"]
