"""The same SSO session in asyncio code and in worker processes, offline against the emulator.

Runs with no AWS account and no network (needs ``refreshable-sso[aio]``). It starts the
emulator, caches a sign-in in a throw-away directory, then:

1. ``AioSSORefreshableSession``: 50 concurrent ``whoami`` tasks and an async client;
2. hands the sync and the async session to a ``ProcessPoolExecutor`` (spawn): the sessions
   travel as configuration, and all workers share one role-credential fetch.

    python examples/aio_workers.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from refreshable_sso import SSORefreshableSession
from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.emulator import Emulator


def whoami_in_worker(session: SSORefreshableSession) -> str:
    """Runs in a worker process: the session was rebuilt there from its configuration."""
    return f"pid {os.getpid()}: {session.whoami()['Arn']}"


def async_whoami_in_worker(session: AioSSORefreshableSession) -> str:
    async def main() -> str:
        async with session:
            return f"pid {os.getpid()} (asyncio): {(await session.whoami())['Arn']}"

    return asyncio.run(main())


async def use_async(session: AioSSORefreshableSession, sts_url: str) -> None:
    async with session:  # closes the cached clients at the end
        identities = await asyncio.gather(*(session.whoami() for _ in range(50)))
        print(f"{len(identities)} concurrent whoami calls as {identities[0]['Arn']}")
        # cached per event loop, signed with the refreshing role credentials
        sts = await session.client("sts", endpoint_url=sts_url)
        print("account via an async client:", (await sts.get_caller_identity())["Account"])
        async for account in session.list_accounts():
            print(f"  reachable account {account.account_id} {account.account_name}")


def main() -> None:
    with Emulator(auto_approve=True) as emu, tempfile.TemporaryDirectory() as tmp:
        tokens, credentials = Path(tmp, "sso-cache"), Path(tmp, "cli-cache")
        emu.seed_token_cache(tokens, sso_session_name="example")  # as if `aws sso login` ran
        options: dict[str, Any] = {
            "start_url": emu.start_url,
            "sso_region": emu.region,
            "sso_session_name": "example",
            "account_id": emu.default_account_id,
            "role_name": emu.default_role_name,
            "region_name": emu.region,
            "endpoints": {"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
            "token_cache_dir": tokens,
            "credential_cache_dir": credentials,
            "login": "never",
        }
        asyncio.run(use_async(AioSSORefreshableSession(**options), emu.url))

        sync_session = SSORefreshableSession(**options)
        async_session = AioSSORefreshableSession(**options)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
            jobs = [pool.submit(whoami_in_worker, sync_session) for _ in range(4)]
            jobs += [pool.submit(async_whoami_in_worker, async_session) for _ in range(4)]
            for job in jobs:
                print(job.result())
        print("GetRoleCredentials calls in total:", emu.calls("GetRoleCredentials"))


if __name__ == "__main__":
    main()
