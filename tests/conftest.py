"""Test isolation: no test may read or write the real ~/.aws or talk to a real AWS endpoint."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.credentials
import botocore.tokens
import pytest

if TYPE_CHECKING:
    from refreshable_sso.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated_aws_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Give every test its own HOME (so ~/.aws is empty) and no AWS_* settings from outside."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    # Never fall back to the instance metadata service or open a browser from a test.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SSO_DISABLE_BROWSER", "1")
    monkeypatch.setenv("BROWSER", "true")
    # botocore fixes its SSO token cache directory when it is imported; follow the new HOME.
    sso_cache = str(home / ".aws" / "sso" / "cache")
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", sso_cache)
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", sso_cache)
    return home


#: The emulator's device-code poll interval in this suite. IAM Identity Center answers 1 s
#: (the emulator's default, kept for the real-peer tests, whose SDKs decode a whole number);
#: here each device-code sign-in waits milliseconds instead of a second.
TEST_DEVICE_INTERVAL = 0.05


@pytest.fixture
def sso_emulator_factory(
    sso_emulator_factory: Callable[..., Emulator], request: pytest.FixtureRequest
) -> Callable[..., Emulator]:
    """The plugin's factory, with a sub-second device interval unless a test names its own."""
    if request.node.get_closest_marker("peer") is not None:
        return sso_emulator_factory

    def factory(**options: Any) -> Emulator:
        options.setdefault("device_interval", TEST_DEVICE_INTERVAL)
        return sso_emulator_factory(**options)

    return factory
