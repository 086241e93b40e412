"""A large directory loaded into the emulator, and token providers over its sign-ins."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.cached import CachedTokenProvider

N_ACCOUNTS = 250
MANY_ROLES_ACCOUNT = "200000000007"  # has more roles than one page (100) holds
SSO_SESSION = "discovery-tests"


def roles_of(index: int) -> list[str]:
    """Accounts get 1-3 roles; one gets 130 (two pages of ListAccountRoles)."""
    if f"{200000000000 + index}" == MANY_ROLES_ACCOUNT:
        return [f"Role{n:03d}" for n in range(130)]
    return ["ReadOnlyAccess", "AdministratorAccess", "PowerUserAccess"][: 1 + index % 3]


def directory_dict(n: int = N_ACCOUNTS) -> dict[str, Any]:
    return {
        "users": [{"user_name": "alice", "email_address": "alice@example.com"}],
        "accounts": [
            {
                "account_id": f"{200000000000 + i}",
                "account_name": f"Team {i:03d}",
                "email_address": f"team{i}@example.com",
                "roles": roles_of(i),
            }
            for i in range(n)
        ],
    }


def expected_roles(n: int = N_ACCOUNTS) -> list[tuple[str, str, str]]:
    return [
        (f"{200000000000 + i}", role, f"Team {i:03d}") for i in range(n) for role in roles_of(i)
    ]


@pytest.fixture
def big_directory_file(tmp_path: Path) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(directory_dict()), encoding="utf-8")
    return path


@pytest.fixture
def big_emulator(sso_emulator_factory: Any, big_directory_file: Path) -> Emulator:
    """An emulator serving 250 accounts loaded from a JSON directory file."""
    emu: Emulator = sso_emulator_factory(
        auto_approve=True, directory=big_directory_file, fault_seed=7
    )
    return emu


def cached_provider(emu: Emulator, **options: Any) -> CachedTokenProvider:
    """The default token provider, over a token seeded into ~/.aws/sso/cache."""
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    return CachedTokenProvider(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        oidc_endpoint_url=emu.url,
        **options,
    )


class CountingProvider:
    """Delegates to a real provider and records each ``force_refresh`` it was asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.requests: list[bool] = []

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        with self.lock:
            self.requests.append(force_refresh)
        token: SSOToken = self.inner.get_token(force_refresh=force_refresh)
        return token

    @property
    def forced(self) -> int:
        with self.lock:
            return sum(self.requests)
