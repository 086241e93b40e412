"""Helpers for the worker-process tests: sessions on the emulator, both kinds."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
from collections.abc import Iterator
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession

SSO_SESSION = "corp"


def endpoints(emu: Emulator) -> dict[str, str]:
    return {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url}


def options_for(emu: Emulator, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "start_url": emu.start_url,
        "sso_region": emu.region,
        "sso_session_name": SSO_SESSION,
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "region_name": emu.region,
        "endpoints": endpoints(emu),
    }
    options.update(overrides)
    return options


def sync_session_for(emu: Emulator, **overrides: Any) -> SSORefreshableSession:
    return SSORefreshableSession(**options_for(emu, **overrides))


@pytest.fixture
def fresh_forkserver() -> Iterator[multiprocessing.context.BaseContext]:
    """multiprocessing's ``forkserver`` start method, with a server started for this test only.

    Why: eight ``spawn`` workers each start an interpreter and import boto3, aiobotocore and the
    library (1-2 s apiece on a busy 2-core machine). A forkserver is one fresh interpreter (not
    this process: none of its state, threads or caches) that imports those once and forks the
    workers. Work still reaches them pickled, and each is a process of its own. The server is
    started in the test, so it (and every worker) has the test's environment, and stopped
    after it (``_stop``, multiprocessing's own reset, in every Python we support), so no later
    test gets workers with this test's HOME.
    """
    server = multiprocessing.forkserver._forkserver
    server._stop()  # type: ignore[attr-defined]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["refreshable_sso.session", "refreshable_sso.aio", "tests.workers._tasks"]
    )
    try:
        yield context
    finally:
        server._stop()  # type: ignore[attr-defined]
        context.set_forkserver_preload([])
