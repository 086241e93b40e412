"""Eight real processes started together share one GetRoleCredentials call through the disk cache."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from refreshable_sso.credentials.role import RoleCredentials
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.paths import cli_cache_dir
from tests.fork_server import ForkServer
from tests.start_line import release_when_ready

PROCESSES = 8
SSO_SESSION = "dev"

_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from refreshable_sso.credentials.role import RoleCredentialCache, RoleCredentialFetcher
    from refreshable_sso.tokens.cached import CachedTokenProvider

    start_url, region, session, account, role, rendezvous, index = sys.argv[1:8]
    provider = CachedTokenProvider(start_url, region, sso_session_name=session)
    fetcher = RoleCredentialFetcher(
        provider, account_id=account, role_name=role, sso_region=region,
        start_url=start_url, sso_session_name=session, cache=RoleCredentialCache(),
    )
    Path(rendezvous, "ready-" + index).touch()
    go = Path(rendezvous, "go")
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.002)
    try:
        metadata = fetcher.fetch()
        print(json.dumps({"ok": True, "access_key": metadata["access_key"],
                          "calls": fetcher.fetch_count}))
    except Exception as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__ + ": " + str(exc)}))
    """
)


@pytest.mark.multiprocess
def test_eight_processes_call_get_role_credentials_once(
    sso_emulator_env: Emulator, tmp_path: Path, fork_server: Callable[..., ForkServer]
) -> None:
    emu = sso_emulator_env
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    argv = [
        emu.start_url,
        emu.region,
        SSO_SESSION,
        emu.default_account_id,
        emu.default_role_name,
        str(rendezvous),
    ]
    # real processes, forked from one parent that has done the imports
    server = fork_server(["refreshable_sso.credentials", "refreshable_sso.tokens.cached"])
    workers = [
        server.popen([sys.executable, "-c", _WORKER, *argv, str(index)])
        for index in range(PROCESSES)
    ]
    try:
        release_when_ready(rendezvous, workers)
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    assert all(r["ok"] for r in results), results
    assert emu.calls("GetRoleCredentials") == 1
    assert sum(int(r["calls"]) for r in results) == 1
    assert len({r["access_key"] for r in results}) == 1
    entries = list(cli_cache_dir().glob("*.json"))
    assert len(entries) == 1
    cached = RoleCredentials.from_cache_dict(json.loads(entries[0].read_text()))
    assert cached.access_key_id == results[0]["access_key"]
