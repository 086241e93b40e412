"""The session inside Dask tasks on a real ``distributed.LocalCluster`` with worker processes.

One cluster serves the module (worker start-up is the slow part). Its workers get a HOME of
their own; the session carries explicit token and credential cache directories, so tasks use
the sign-in the test seeded there, whatever HOME the workers have.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.emulator import Emulator
from tests.workers import _tasks
from tests.workers.conftest import SSO_SESSION, options_for, sync_session_for

pytestmark = pytest.mark.peer

WORKERS = 4
TASKS = 40


@pytest.fixture(scope="module")
def cluster_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    home = tmp_path_factory.mktemp("dask-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                patch.delenv(name)
        patch.setenv("HOME", str(home))
        patch.setenv("AWS_CONFIG_FILE", str(home / "config"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        cluster = LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _caches(emu: Emulator, tmp_path: Path) -> dict[str, Path]:
    tokens, credentials = tmp_path / "sso-cache", tmp_path / "cli-cache"
    emu.seed_token_cache(tokens, sso_session_name=SSO_SESSION)
    return {"token_cache_dir": tokens, "credential_cache_dir": credentials}


def test_forty_whoami_tasks_on_four_workers_make_one_fetch(
    cluster_client: Any, sso_emulator: Emulator, tmp_path: Path
) -> None:
    session = sync_session_for(sso_emulator, **_caches(sso_emulator, tmp_path))
    futures = cluster_client.map(_tasks.sync_whoami, [session] * TASKS, pure=False)
    results = cluster_client.gather(futures)
    assert [account for _, account in results] == [sso_emulator.default_account_id] * TASKS
    assert len({pid for pid, _ in results}) > 1  # really ran on several worker processes
    assert sso_emulator.calls("GetRoleCredentials") == 1, sso_emulator.stats()


def test_async_session_in_dask_tasks(
    cluster_client: Any, sso_emulator: Emulator, tmp_path: Path
) -> None:
    session = AioSSORefreshableSession(
        **options_for(sso_emulator, **_caches(sso_emulator, tmp_path))
    )
    futures = cluster_client.map(_tasks.async_whoami, [session] * TASKS, pure=False)
    results = cluster_client.gather(futures)
    assert [account for _, account in results] == [sso_emulator.default_account_id] * TASKS
    assert sso_emulator.calls("GetRoleCredentials") == 1, sso_emulator.stats()

    async def driver() -> str:  # the driver reads the same cache entry: still one fetch
        async with session:
            return str((await session.whoami())["Account"])

    assert asyncio.run(driver()) == sso_emulator.default_account_id
    assert sso_emulator.calls("GetRoleCredentials") == 1
