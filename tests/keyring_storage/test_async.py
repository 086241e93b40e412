"""The async session on keyring storage: every keyring call runs in a worker thread, never on
the event loop (a Secret Service round trip blocks), against a real Secret Service."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from refreshable_sso._clock import OffsetClock
from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.login.signin import login
from tests.login.conftest import Prompt

pytestmark = [pytest.mark.keyring, pytest.mark.usefixtures("secret_service")]

SSO_SESSION = "vault"


def test_the_async_session_calls_the_keyring_off_the_loop(
    sso_emulator_factory: Any, shared_clock: OffsetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    emu: Emulator = sso_emulator_factory(auto_approve=True)
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        prompt_callback=Prompt(),
        oidc_endpoint_url=emu.url,
        token_storage="keyring",
        token_export="none",
    )
    backend = keyring.get_keyring()
    threads: list[threading.Thread] = []
    real_get = backend.get_password

    def get_password(service: str, name: str) -> Any:  # the real backend, watched
        threads.append(threading.current_thread())
        return real_get(service, name)

    monkeypatch.setattr(backend, "get_password", get_password)

    async def run() -> tuple[str, str, threading.Thread]:
        session = AioSSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name=SSO_SESSION,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            region_name=emu.region,
            endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            token_storage="keyring",
            token_export="none",
            login="never",
        )
        first = (await session.whoami())["Account"]
        shared_clock.advance(3600)  # the token is refreshed: read and written in the keyring
        second = (await session.whoami())["Account"]
        return first, second, threading.current_thread()

    first, second, loop_thread = asyncio.run(run())
    assert first == second == emu.default_account_id
    assert emu.calls("CreateToken") >= 2  # the sign-in and a refresh through the keyring
    assert threads, "the keyring was never read"
    assert loop_thread not in threads
