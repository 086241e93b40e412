"""Eight real processes start together on one sign-in: one token refresh, one GetRoleCredentials.

Each process builds its own ``SSORefreshableSession`` from the same ``~/.aws/config`` profile
and calls ``whoami()`` at the same moment. The token (2 minutes left, inside the 15-minute
refresh window) must be refreshed once, and role credentials fetched once, for all of them:
the session wires the shared, locked token and role-credential caches by default.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.base import format_cache_time, utcnow
from tests.fork_server import ForkServer
from tests.session.test_interop import PROFILE_CONFIG
from tests.start_line import release_when_ready

PROCESSES = 8

WORKER = """
import os, sys, time
from datetime import timedelta
from pathlib import Path
from refreshable_sso.session import SSORefreshableSession
session = SSORefreshableSession.from_profile("dev")
rendezvous = Path(sys.argv[1])
Path(rendezvous, f"ready-{os.getpid()}").touch()
go = rendezvous / "go"
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
print(session.whoami()["Account"])
"""


@pytest.mark.multiprocess
def test_processes_share_one_refresh_and_one_fetch(
    sso_emulator_factory: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fork_server: Callable[..., ForkServer],
) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True)  # type: ignore[operator]
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(PROFILE_CONFIG.format(start_url=emu.start_url, region=emu.region))
    path = emu.seed_token_cache(sso_session_name="corp")
    # As if `aws sso login` ran 58 minutes ago: 2 minutes left, inside the 15-minute window.
    token = json.loads(path.read_text())
    token["expiresAt"] = format_cache_time(utcnow() + timedelta(minutes=2))
    path.write_text(json.dumps(token))
    written = time.time() - 58 * 60
    os.utime(path, (written, written))
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    # real processes, forked from one parent that has imported the session module
    server = fork_server(["refreshable_sso.session"])
    workers = [
        server.popen([sys.executable, "-c", WORKER, str(rendezvous)]) for _ in range(PROCESSES)
    ]
    release_when_ready(rendezvous, workers)  # every process imported, its session built
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert out.strip() == "111111111111"
    assert emu.calls("CreateToken") == 1, emu.stats()
    assert emu.calls("GetRoleCredentials") == 1, emu.stats()
