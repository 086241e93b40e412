"""Shared pieces of the login tests: an emulator with its endpoints in the environment,
providers wired to it, and a prompt that records what the person would have been told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.pkce import AuthorizationCodeProvider

SSO_SESSION = "corp"

EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def emu_factory(
    sso_emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> EmulatorFactory:
    """Start an emulator with the given options and point AWS_ENDPOINT_URL_* at it."""

    def start(**options: Any) -> Emulator:
        emu = sso_emulator_factory(**options)
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        return emu

    return start


@dataclass
class Prompt:
    """A ``prompt_callback`` that remembers every prompt and can act on it (approve/deny)."""

    act: Callable[[str], None] | None = None
    seen: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    shown: threading.Event = field(default_factory=threading.Event)

    def __call__(self, uri: str, code: str, uri_complete: str, expires_at: datetime) -> None:
        self.seen.append((uri, code, uri_complete, expires_at))
        self.shown.set()
        if self.act is not None:
            # Act from another thread, as a person would, while the provider polls.
            threading.Thread(target=self.act, args=(code,), daemon=True).start()

    @property
    def codes(self) -> list[str]:
        return [code for _, code, _, _ in self.seen]


def device_provider(emu: Emulator, **options: Any) -> DeviceCodeProvider:
    options.setdefault("sso_session_name", SSO_SESSION)
    options.setdefault("timeout", 30)
    return DeviceCodeProvider(emu.start_url, emu.region, **options)


def pkce_provider(emu: Emulator, **options: Any) -> AuthorizationCodeProvider:
    options.setdefault("sso_session_name", SSO_SESSION)
    options.setdefault("timeout", 30)
    return AuthorizationCodeProvider(emu.start_url, emu.region, **options)
