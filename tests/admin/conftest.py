"""An emulator serving an organization (60 accounts, 3 OUs, 6 permission sets, users, groups)
and sessions whose role may, or may not, call the admin APIs."""

from __future__ import annotations

from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import GeneratedOrg
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "admin-tests"
# Filters and specifications are exercised on a small organization (fast); the peer
# comparisons run on one of 60 accounts.
ORG = GeneratedOrg(n_accounts=8, n_permission_sets=6, n_users=6, n_groups=3)
BIG_ORG = GeneratedOrg(n_accounts=60, n_permission_sets=6, n_users=8, n_groups=4)


def admin_session(
    emu: Emulator, role_name: str = "AdministratorAccess", **options: Any
) -> SSORefreshableSession:
    """A session for the first user's role in the management (first) account."""
    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name=SSO_SESSION,
        account_id=emu.default_account_id,
        role_name=role_name,
        region_name="us-east-1",
        **options,
    )


def start_org(factory: Any, monkeypatch: pytest.MonkeyPatch, spec: GeneratedOrg) -> Emulator:
    """An emulator for ``spec``, signed in as its first user, AWS_ENDPOINT_URL_* set."""
    emu: Emulator = factory(
        auto_approve=True, directory=Directory.generated_organization(spec), fault_seed=3
    )
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    return emu


@pytest.fixture
def org_emulator(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    return start_org(sso_emulator_factory, monkeypatch, ORG)


@pytest.fixture
def big_org_emulator(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    return start_org(sso_emulator_factory, monkeypatch, BIG_ORG)


@pytest.fixture
def admin(org_emulator: Emulator) -> SSORefreshableSession:
    return admin_session(org_emulator)
