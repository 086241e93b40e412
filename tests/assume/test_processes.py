"""Eight real processes on one chained profile share one AssumeRole call per hop."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from tests.fork_server import ForkServer
from tests.start_line import release_when_ready

from .conftest import write_config

PROCESSES = 8

_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from refreshable_sso import SSORefreshableSession

    rendezvous, index = sys.argv[1:3]
    session = SSORefreshableSession.from_profile("audit")
    Path(rendezvous, "ready-" + index).touch()
    go = Path(rendezvous, "go")
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.002)
    try:
        creds = session.refreshable_credentials()
        print(json.dumps({"ok": True, "access_key": creds.access_key,
                          "calls": [f.call_count for f in session.role_chain.fetchers]}))
    except Exception as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__ + ": " + str(exc)}))
    """
)


@pytest.mark.multiprocess
def test_eight_processes_one_assume_role_per_hop(
    signed_in: Emulator,
    isolated_aws_home: Path,
    tmp_path: Path,
    fork_server: Callable[..., ForkServer],
) -> None:
    write_config(isolated_aws_home, signed_in)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    env = {**os.environ, **signed_in.env()}
    # real processes, forked from one parent that has imported the library with this env
    server = fork_server(["refreshable_sso.session"], env)
    workers = [
        server.popen([sys.executable, "-c", _WORKER, str(rendezvous), str(i)])
        for i in range(PROCESSES)
    ]
    try:
        release_when_ready(rendezvous, workers)
        results = []
        for w in workers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert all(r["ok"] for r in results), results
    assert len({r["access_key"] for r in results}) == 1
    assert signed_in.calls("AssumeRole") == 2  # Deploy once, Audit once
    assert signed_in.calls("GetRoleCredentials") == 1
    # each hop was assumed by exactly one process (not necessarily the same one for both)
    assert [sum(r["calls"][hop] for r in results) for hop in (0, 1)] == [1, 1]
