"""A person in a real (headless) Chromium approves or denies the sign-in.

The login runs in a background thread exactly as in a program (here: a session with
``login="auto"`` calling ``whoami()``); the provider hands the URL to this test through its
``prompt_callback`` / ``browser_opener`` hook instead of ``webbrowser``, and the test drives
the emulator's device verification and authorization pages in Chromium, then checks that the
provider completed and the session's ``whoami()`` succeeded (or that the denial surfaced).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginDeniedError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.base import TokenProvider
from tests.browser import chromium, new_page

from .conftest import SSO_SESSION, EmulatorFactory, device_provider, pkce_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@dataclass
class Handoff:
    """URLs the provider wants a person to open, handed from the login thread to the test."""

    urls: queue.Queue[tuple[str, str]] = field(default_factory=queue.Queue)

    def prompt(self, uri: str, code: str, _complete: str, _expires: datetime) -> None:
        self.urls.put((uri, code))

    def opener(self, url: str) -> bool:
        self.urls.put((url, ""))
        return True

    def next(self) -> tuple[str, str]:
        return self.urls.get(timeout=30)


@dataclass
class Background:
    """Runs ``call`` in a thread; ``result()`` returns its value or raises its exception."""

    call: Callable[[], Any]
    value: Any = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> Background:
        def run() -> None:
            try:
                self.value = self.call()
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def result(self) -> Any:
        assert self.thread is not None
        self.thread.join(60)
        assert not self.thread.is_alive(), "the login did not finish"
        if self.error is not None:
            raise self.error
        return self.value


def _session(emu: Emulator, provider: TokenProvider) -> SSORefreshableSession:
    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        sso_session_name=SSO_SESSION,
        region_name="eu-west-1",
        login="auto",
        login_provider=provider,
    )


def test_device_code_approved_in_browser(emu_factory: EmulatorFactory, browser: Any) -> None:
    emu = emu_factory(auto_approve=False)
    handoff = Handoff()
    session = _session(emu, device_provider(emu, prompt_callback=handoff.prompt))
    whoami = Background(session.whoami).start()

    uri, code = handoff.next()
    with new_page(browser) as page:
        page.goto(uri)  # the plain verification page: the person types the code
        page.fill("#user_code", code)
        page.click("#next")
        assert page.inner_text("#user-code") == code
        page.click("#approve")
        assert "Request approved" in page.inner_text("#status")

    identity = whoami.result()
    assert identity["Account"] == emu.default_account_id
    assert emu.calls("StartDeviceAuthorization") == 1


def test_device_code_denied_in_browser(emu_factory: EmulatorFactory, browser: Any) -> None:
    emu = emu_factory(auto_approve=False)
    handoff = Handoff()
    provider = device_provider(emu, prompt_callback=handoff.prompt)
    login = Background(provider.get_token).start()

    uri, code = handoff.next()
    with new_page(browser) as page:
        page.goto(f"{uri}?user_code={code}")
        page.click("#deny")
        assert "Request denied" in page.inner_text("#status")

    with pytest.raises(LoginDeniedError):
        login.result()


def test_pkce_approved_in_browser(emu_factory: EmulatorFactory, browser: Any) -> None:
    emu = emu_factory(auto_approve=False)
    handoff = Handoff()
    session = _session(emu, pkce_provider(emu, browser_opener=handoff.opener))
    whoami = Background(session.whoami).start()

    url, _ = handoff.next()
    with new_page(browser) as page:
        page.goto(url)
        assert "Allow access?" in page.inner_text("h1")
        page.click("#approve")
        page.wait_for_url("http://127.0.0.1:*/oauth/callback?*")
        assert page.inner_text("h1") == "Signed in"
        assert "You may close this tab" in page.content()

    identity = whoami.result()
    assert identity["Account"] == emu.default_account_id
    assert emu.calls("StartDeviceAuthorization") == 0


def test_pkce_denied_in_browser(emu_factory: EmulatorFactory, browser: Any) -> None:
    emu = emu_factory(auto_approve=False)
    handoff = Handoff()
    provider = pkce_provider(emu, browser_opener=handoff.opener)
    login = Background(provider.get_token).start()

    url, _ = handoff.next()
    with new_page(browser) as page:
        page.goto(url)
        page.click("#deny")
        page.wait_for_url("http://127.0.0.1:*/oauth/callback?*")
        assert page.inner_text("h1") == "Sign-in not completed"
        assert "access_denied" in page.content()

    with pytest.raises(LoginDeniedError):
        login.result()
    assert emu.calls("CreateToken") == 0
