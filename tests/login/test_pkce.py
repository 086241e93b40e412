"""The authorization-code + PKCE provider: loopback callback, state, errors, device fallback.

The "browser" here is urllib driving the emulator's real pages over HTTP (the real Chromium
runs in ``test_browser.py``); the provider's loopback listener is real.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.aws.clients import error_message
from refreshable_sso.config import SSOConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    ConfigurationError,
    LoginCancelledError,
    LoginDeniedError,
    LoginError,
    LoginStateMismatchError,
    LoginTimeoutError,
)
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.interactive import browser_unavailable_reason
from refreshable_sso.tokens.login.pkce import (
    AuthorizationCodeProvider,
    code_challenge,
    new_code_verifier,
)
from refreshable_sso.tokens.login.policy import default_interactive_provider
from refreshable_sso.tokens.registration import DEFAULT_SCOPES

from .conftest import SSO_SESSION, EmulatorFactory, Prompt, pkce_provider


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_no_redirect = urllib.request.build_opener(_NoRedirect)


def _get(url: str) -> tuple[int, str, str | None]:
    """GET without following redirects: (status, body, Location)."""
    try:
        with _no_redirect.open(url, timeout=10) as response:
            return response.status, response.read().decode(), response.headers.get("Location")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Location")


@dataclass
class Browser:
    """A browser opener that runs ``script(url)`` in a thread, as a person's browser would."""

    script: Callable[[str], None]
    urls: list[str] = field(default_factory=list)
    pages: list[tuple[int, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.urls.append(url)

        def run() -> None:
            try:
                self.script(url)
            except BaseException as exc:  # surfaced by the test
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def wait(self, timeout: float = 30) -> Browser:
        """Let the person's browser finish (its last page may arrive just after the sign-in
        itself has ended); returns itself, to read ``pages``."""
        for thread in self.threads:
            thread.join(timeout)
        return self

    def follow(self, url: str) -> None:
        """Follow redirects like a browser, recording the final page."""
        status, body, location = _get(url)
        while location:
            status, body, location = _get(location)
        self.pages.append((status, body))


def test_approve_through_loopback_callback(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    browser = Browser(script=lambda url: browser.follow(url))
    token = pkce_provider(emu, browser_opener=browser).get_token()

    assert token.can_refresh()
    assert emu.calls("StartDeviceAuthorization") == 0
    (url,) = browser.urls
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == emu.url
    assert parts.path == "/authorize"
    assert query["code_challenge_method"] == ["S256"]
    assert query["scopes"] == ["sso:account:access"]
    redirect = urlsplit(query["redirect_uri"][0])
    assert (redirect.hostname, redirect.path) == ("127.0.0.1", "/oauth/callback")
    assert redirect.port is not None
    assert redirect.port > 0
    status, page = browser.wait().pages[0]
    assert status == 200
    assert "You may close this tab" in page
    assert json.loads(token_cache_path(emu.start_url, SSO_SESSION).read_text())["refreshToken"]

    registration = json.loads(
        registration_cache_path(
            emu.start_url, emu.region, list(DEFAULT_SCOPES), SSO_SESSION
        ).read_text()
    )
    assert registration["grantTypes"] == ["authorization_code", "refresh_token"]
    assert registration["scopes"] == ["sso:account:access"]


def test_pending_then_approved_by_the_person(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)

    def person(url: str) -> None:
        status, page, _ = _get(url)
        assert status == 200
        assert "Allow access?" in page
        browser.follow(emu.approve_authorization())

    browser = Browser(script=person)
    token = pkce_provider(emu, browser_opener=browser).get_token()
    assert token.can_refresh()
    assert browser.wait().pages[0][0] == 200


def test_denied(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)

    def person(url: str) -> None:
        _get(url)
        browser.follow(emu.deny_authorization())

    browser = Browser(script=person)
    with pytest.raises(LoginDeniedError, match="denied in the browser"):
        pkce_provider(emu, browser_opener=browser).get_token()
    _status, page = browser.wait().pages[0]
    assert "access_denied" in page
    assert "You may close this tab" in page
    assert emu.calls("CreateToken") == 0


def test_state_mismatch_is_refused(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)

    def attacker(url: str) -> None:
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        browser.follow(f"{redirect_uri}?{urlencode({'code': 'forged', 'state': 'not-ours'})}")

    browser = Browser(script=attacker)
    with pytest.raises(LoginStateMismatchError, match="state"):
        pkce_provider(emu, browser_opener=browser).get_token()
    assert browser.wait().pages[0][0] == 400
    assert emu.calls("CreateToken") == 0


def test_wrong_verifier_is_rejected(emu_factory: EmulatorFactory) -> None:
    """A challenge swapped on the way (not ours): our verifier cannot redeem the code."""
    emu = emu_factory(auto_approve=True)

    def tamper(url: str) -> None:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["code_challenge"] = code_challenge(new_code_verifier())
        browser.follow(urlunsplit(parts._replace(query=urlencode(query))))

    browser = Browser(script=tamper)
    with pytest.raises(LoginError, match="verifier") as info:
        pkce_provider(emu, browser_opener=browser).get_token()
    assert emu.errors("CreateToken") == {"InvalidGrantException": 1}
    # the server's reason, in our message and in its cause (botocore 1.34 leaves it out of
    # the ClientError's text, so the cause's parsed response is read)
    assert "(InvalidGrant: codeVerifier does not match the code challenge)" in str(info.value)
    assert "codeVerifier" in (error_message(info.value.__cause__) or "")


def test_error_parameter_other_than_denied(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)

    def server_error(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        params = {
            "error": "server_error",
            "error_description": "try later",
            "state": query["state"][0],
        }
        browser.follow(f"{query['redirect_uri'][0]}?{urlencode(params)}")

    browser = Browser(script=server_error)
    with pytest.raises(LoginError, match=r"server_error.*try later"):
        pkce_provider(emu, browser_opener=browser).get_token()


def test_listener_ignores_other_paths_and_times_out(
    emu_factory: EmulatorFactory, shared_clock: OffsetClock
) -> None:
    """The 1.5 s the login may take pass on the shared virtual clock, once the wandering
    browser's request has been answered (so the timeout cannot race it)."""
    emu = emu_factory(auto_approve=False)

    def wanderer(url: str) -> None:
        redirect = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0])
        browser.pages.append(_get(f"http://127.0.0.1:{redirect.port}/favicon.ico")[:2])
        shared_clock.advance(2.0)  # past the login's timeout, with nothing but a 404 seen

    browser = Browser(script=wanderer)
    with pytest.raises(LoginTimeoutError):
        pkce_provider(emu, browser_opener=browser, timeout=1.5).get_token()
    assert browser.wait().pages[0][0] == 404


def test_cancel(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=False)
    cancel = threading.Event()
    browser = Browser(script=lambda _url: cancel.set())
    with pytest.raises(LoginCancelledError):
        pkce_provider(emu, browser_opener=browser, cancel_event=cancel, timeout=20).get_token()


# -- falling back to the device code ----------------------------------------------------------


def _device_fallback_used(emu: Emulator) -> bool:
    return emu.calls("StartDeviceAuthorization") == 1 and emu.pending_authorizations() == []


def test_no_browser_falls_back_to_device_code(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    opened: list[str] = []
    prompt = Prompt()
    token = pkce_provider(
        emu, open_browser=False, browser_opener=opened.append, prompt_callback=prompt
    ).get_token()
    assert token.can_refresh()
    assert _device_fallback_used(emu)
    assert opened == []
    assert len(prompt.seen) == 1  # the person was shown the device code


def test_disabled_browser_environment_falls_back(emu_factory: EmulatorFactory) -> None:
    # tests/conftest.py sets AWS_SSO_DISABLE_BROWSER=1 for every test.
    emu = emu_factory(auto_approve=True)
    pkce_provider(emu, prompt_callback=Prompt()).get_token()
    assert _device_fallback_used(emu)


def test_ssh_session_falls_back(
    emu_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emu_factory(auto_approve=True)
    monkeypatch.delenv("AWS_SSO_DISABLE_BROWSER")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    pkce_provider(emu, prompt_callback=Prompt()).get_token()
    assert _device_fallback_used(emu)


def test_opener_that_fails_falls_back(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    pkce_provider(emu, browser_opener=lambda _url: False, prompt_callback=Prompt()).get_token()
    assert emu.calls("StartDeviceAuthorization") == 1


def test_fallback_can_be_switched_off(emu_factory: EmulatorFactory) -> None:
    emu = emu_factory(auto_approve=True)
    with pytest.raises(LoginError, match="AWS_SSO_DISABLE_BROWSER is set"):
        pkce_provider(emu, fallback_to_device=False).get_token()
    assert emu.calls("StartDeviceAuthorization") == 0


def test_flow_chosen_once_in_environment(
    emu_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emu_factory(auto_approve=True)
    sso = SSOConfig(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        sso_session_name=SSO_SESSION,
    )
    assert isinstance(default_interactive_provider(sso), AuthorizationCodeProvider)
    monkeypatch.setenv("REFRESHABLE_SSO_LOGIN_FLOW", "device")
    assert isinstance(default_interactive_provider(sso), DeviceCodeProvider)
    monkeypatch.setenv("REFRESHABLE_SSO_LOGIN_FLOW", "pkce")
    pkce_only = default_interactive_provider(sso)
    assert isinstance(pkce_only, AuthorizationCodeProvider)
    assert pkce_only.fallback_to_device is False
    monkeypatch.setenv("REFRESHABLE_SSO_LOGIN_FLOW", "telepathy")
    with pytest.raises(ConfigurationError, match="REFRESHABLE_SSO_LOGIN_FLOW"):
        default_interactive_provider(sso)


@pytest.mark.parametrize(
    ("environ", "platform", "files", "expected"),
    [
        (
            {"AWS_SSO_DISABLE_BROWSER": "true", "DISPLAY": ":0"},
            "linux",
            (),
            "AWS_SSO_DISABLE_BROWSER",
        ),
        ({"SSH_CONNECTION": "a b c d"}, "darwin", (), "SSH session"),
        ({"SSH_TTY": "/dev/pts/1", "DISPLAY": "localhost:10.0"}, "linux", (), None),
        ({}, "linux", ("/.dockerenv",), "container"),
        ({"container": "podman"}, "linux", (), "container"),
        ({}, "linux", (), "no graphical display"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", (), None),
        ({}, "darwin", (), None),
        ({}, "win32", (), None),
    ],
)
def test_browser_availability(
    environ: dict[str, str], platform: str, files: tuple[str, ...], expected: str | None
) -> None:
    reason = browser_unavailable_reason(environ, platform=platform, path_exists=files.__contains__)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


def test_pkce_values() -> None:
    verifier = new_code_verifier()
    assert len(verifier) == 64
    assert set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert verifier != new_code_verifier()
    # RFC 7636 appendix B test vector.
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_idle_browser_connection_does_not_block_the_callback(emu_factory: EmulatorFactory) -> None:
    """Browsers open spare connections they never use; the callback must still get through."""
    emu = emu_factory(auto_approve=True)
    idle: list[socket.socket] = []

    def preconnecting_browser(url: str) -> None:
        redirect = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0])
        assert redirect.port is not None
        idle.append(socket.create_connection(("127.0.0.1", redirect.port)))
        browser.follow(url)

    browser = Browser(script=preconnecting_browser)
    try:
        token = pkce_provider(emu, browser_opener=browser, timeout=10).get_token()
    finally:
        for sock in idle:
            sock.close()
    assert token.can_refresh()
    assert browser.wait().pages[0][0] == 200
