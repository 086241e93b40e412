"""Test isolation: no test may read or write the real ~/.aws or talk to a real AWS endpoint."""

from __future__ import annotations

import os
import time
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.credentials
import botocore.tokens
import pytest

if TYPE_CHECKING:
    from refreshable_sso._clock import OffsetClock
    from refreshable_sso.emulator import Emulator
    from tests.fork_server import ForkServer


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


@pytest.fixture
def fork_server() -> Iterator[Callable[..., ForkServer]]:
    """Start a :class:`tests.fork_server.ForkServer` (warm parent of real worker processes).

    Call it once the test's environment is set (HOME, AWS_*, endpoints): the server is started
    with ``os.environ`` as it is then. Servers are stopped, and their children killed, at teardown.

    Args of the returned callable:
        preload: modules to import once before forking the workers.
        env: the environment of the server and its children (default ``os.environ``).
    """
    from tests.fork_server import ForkServer

    servers: list[ForkServer] = []

    def start(preload: Sequence[str] = (), env: dict[str, str] | None = None) -> ForkServer:
        server = ForkServer(preload, env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def virtual_backoff(shared_clock: OffsetClock, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry backoff passes on the shared virtual clock instead of in real time.

    botocore's endpoint sleeps between attempts (``time.sleep`` in ``botocore.endpoint``, its
    only use of the clock; exponential, with jitter: up to 1, 2, 4, 8 s). Here that wait
    advances ``shared_clock`` (the library's and the emulator's time) by the same delay and
    returns at once; every attempt is still made, over HTTP, after the delay botocore chose.
    Returns the delays botocore asked for, in order.
    """
    import botocore.endpoint

    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        shared_clock.advance(seconds)
        time.sleep(0)  # let other threads run, as a real wait would

    clock = types.ModuleType("time", "the time module, with botocore's backoff on the shared clock")
    clock.__dict__.update({k: v for k, v in vars(time).items() if not k.startswith("__")})
    clock.sleep = sleep  # type: ignore[attr-defined]
    monkeypatch.setattr(botocore.endpoint, "time", clock)
    return delays
