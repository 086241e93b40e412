"""Helpers for the worker-process tests: sessions on the emulator, both kinds."""

from __future__ import annotations

from typing import Any

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "corp"


def endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def options_for(emu: Emulator, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "region_name": emu.region,
        "endpoints": endpoints(emu),
    }
    options.update(overrides)
    return options


def sync_session_for(emu: Emulator, **overrides: Any) -> SSORefreshableSession:
    return SSORefreshableSession(**options_for(emu, **overrides))
