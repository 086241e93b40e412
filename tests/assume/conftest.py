"""Shared helpers for role-chaining tests: a signed-in emulator and chained sessions on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "corp"
DEPLOY = "arn:aws:iam::222222222222:role/Deploy"
AUDIT = "arn:aws:iam::333333333333:role/Audit"
PARTNER = "arn:aws:iam::222222222222:role/ExternalPartner"
MFA_ROLE = "arn:aws:iam::222222222222:role/MfaProtected"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/alice"


def endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def chained(emu: Emulator, assume_role: Any, **overrides: Any) -> SSORefreshableSession:
    """A session on alice's AdministratorAccess in the first account, then ``assume_role``."""
    options: dict[str, Any] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": "111111111111",
        "role_name": "AdministratorAccess",
        "region_name": "us-east-1",
        "endpoints": endpoints(emu),
        "assume_role": assume_role,
    }
    options.update(overrides)
    return SSORefreshableSession(**options)


def write_config(home: Path, emu: Emulator, extra: str = "") -> Path:
    """~/.aws/config: sso-session corp, profile base (SSO), deploy -> base, audit -> deploy."""
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[sso-session {SSO_SESSION}]\n"
        f"sso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\n\n"
        "[profile base]\n"
        f"sso_session = {SSO_SESSION}\n"
        "sso_account_id = 111111111111\n"
        "sso_role_name = AdministratorAccess\n"
        "region = us-east-1\n\n"
        "[profile deploy]\n"
        f"role_arn = {DEPLOY}\n"
        "source_profile = base\n"
        "role_session_name = deployer\n\n"
        "[profile audit]\n"
        f"role_arn = {AUDIT}\n"
        "source_profile = deploy\n"
        "role_session_name = auditor\n"
        "duration_seconds = 3600\n"
        "region = us-east-1\n" + extra
    )
    return config


@pytest.fixture
def signed_in(sso_emulator: Emulator) -> Emulator:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    return sso_emulator
