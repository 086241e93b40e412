"""Shared helpers for the session tests: a signed-in emulator and a session factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import _clock, login
from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "corp"

SessionFactory = Callable[..., SSORefreshableSession]


def endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def session_for(emu: Emulator, **overrides: Any) -> SSORefreshableSession:
    """A session on the emulator's default account/role, endpoints given explicitly."""
    options: dict[str, Any] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "region_name": "eu-west-1",
        "endpoints": endpoints(emu),
    }
    options.update(overrides)
    return SSORefreshableSession(**options)


@pytest.fixture
def signed_in(sso_emulator: Emulator) -> Emulator:
    """The default emulator with a refreshable token in ~/.aws/sso/cache for sso-session 'corp'."""
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    return sso_emulator


def sign_in_with_our_login(emu: Emulator) -> float:
    """Our own device-code login (approved by the emulator), which records the sign-in; returns
    when it started, which is when the sign-in record says the session began (the safe side)."""
    started = _clock.wall()
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        open_browser=False,
        prompt_callback=lambda *args, **kwargs: None,
        oidc_endpoint_url=emu.url,
        timeout=30,
    )
    return started


def seed(emu: Emulator, cache_dir: Path | None = None) -> Path:
    return emu.seed_token_cache(cache_dir, sso_session_name=SSO_SESSION)
