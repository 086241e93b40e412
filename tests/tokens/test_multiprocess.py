"""Eight real processes refreshing one token at the same moment spend its refresh token once."""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.base import SSOToken
from tests.fork_server import ForkServer
from tests.start_line import release_when_ready

from .helpers import SSO_SESSION, age_token, read_json

PROCESSES = 8

_WORKER = textwrap.dedent(
    """
    import hashlib, json, sys, time
    from pathlib import Path
    from refreshable_sso.tokens.cached import CachedTokenProvider

    start_url, region, session, rendezvous, index = sys.argv[1:6]
    provider = CachedTokenProvider(start_url, region, sso_session_name=session)
    Path(rendezvous, "ready-" + index).touch()
    go = Path(rendezvous, "go")
    deadline = time.monotonic() + 120
    while not go.exists():  # everyone starts at the same moment
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.002)
    try:
        token = provider.get_token()
        digest = hashlib.sha256(token.access_token.get_secret_value().encode()).hexdigest()
        print(json.dumps({"ok": True, "token": digest}))
    except Exception as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__ + ": " + str(exc)}))
    """
)


#: What every worker imports, done once in the fork server's parent.
PRELOAD = ("refreshable_sso.tokens.cached",)


def run_together(emu: Emulator, rendezvous: Path, server: ForkServer) -> list[dict[str, object]]:
    """Start the workers (real processes, forked from ``server``), wait until all are ready,
    release them at once, collect results."""
    rendezvous.mkdir()
    workers = [
        server.popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                emu.start_url,
                emu.region,
                SSO_SESSION,
                str(rendezvous),
                str(index),
            ]
        )
        for index in range(PROCESSES)
    ]
    try:
        release_when_ready(rendezvous, workers)
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
        return results
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@pytest.mark.multiprocess
@pytest.mark.parametrize("seconds_left", [60, -60], ids=["near-expiry", "expired"])
def test_eight_processes_refresh_one_token_exactly_once(
    sso_emulator_env: Emulator,
    tmp_path: Path,
    seconds_left: int,
    fork_server: Callable[..., ForkServer],
) -> None:
    emu = sso_emulator_env
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    old = age_token(path, seconds_left=seconds_left)

    results = run_together(emu, tmp_path / "rendezvous", fork_server(PRELOAD))

    assert all(r["ok"] for r in results), results
    # One refresh grant, and no refresh token was presented twice (that would be an
    # InvalidGrantException counted by the emulator).
    assert emu.calls("CreateToken") == 1
    assert emu.errors("CreateToken") == {}
    saved = read_json(path)  # still one valid JSON document
    token = SSOToken.from_cache_dict(saved)
    assert not token.expires_within(600)
    assert saved["refreshToken"] != old["refreshToken"]
    digest = hashlib.sha256(saved["accessToken"].encode()).hexdigest()
    assert {r["token"] for r in results} == {digest}  # everyone uses the refreshed token
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [
        path.name
    ]  # no temporary or .corrupt files left
