"""Helpers for the async session tests: a signed-in emulator and a session factory."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.base import format_cache_time, utcnow

SSO_SESSION = "corp"


def endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def aio_session_for(emu: Emulator, **overrides: Any) -> AioSSORefreshableSession:
    """An async session on the emulator's default account/role, endpoints given explicitly."""
    options: dict[str, Any] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "region_name": emu.region,
        "endpoints": endpoints(emu),
        "login": "never",
    }
    options.update(overrides)
    return AioSSORefreshableSession(**options)


def seed_inside_refresh_window(emu: Emulator, seconds_left: float = 120.0) -> Path:
    """A cached token as if `aws sso login` ran long ago: the first use must refresh it."""
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    token = json.loads(path.read_text())
    token["expiresAt"] = format_cache_time(utcnow() + timedelta(seconds=seconds_left))
    path.write_text(json.dumps(token))
    written = time.time() - 3600 + seconds_left
    os.utime(path, (written, written))
    return path


@pytest.fixture
def signed_in(sso_emulator: Emulator) -> Emulator:
    """The default emulator with a refreshable token in ~/.aws/sso/cache for sso-session 'corp'."""
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    return sso_emulator
