"""A server's ExpiredToken / InvalidClientTokenId on an async client: one refresh, no loop.

The asyncio twin of ``tests/session/test_expired_token.py``: the emulator's clock jumps past
the credentials' expiry (the local clock still says they are fine), and the async session's
``needs-retry`` hook forces one refresh in a worker thread and re-sends. Concurrent tasks that
hit the same rejection share that one refresh.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from refreshable_sso.emulator import Emulator
from tests.aio.conftest import SSO_SESSION, aio_session_for


@pytest.fixture
def emu(sso_emulator_factory: Any) -> Emulator:
    started: Emulator = sso_emulator_factory(auto_approve=True, role_credentials_ttl=60)
    started.seed_token_cache(sso_session_name=SSO_SESSION)
    return started


def test_expired_token_on_an_async_client_refreshes_exactly_once(emu: Emulator) -> None:
    async def main() -> tuple[str, str, list[str]]:
        async with aio_session_for(emu) as session:
            sts = await session.client("sts", endpoint_url=emu.url)
            await sts.get_caller_identity()
            first = (await session.refreshable_credentials()).access_key
            emu.clock.advance(61)  # the server now considers the credentials expired
            accounts = await asyncio.gather(*(sts.get_caller_identity() for _ in range(10)))
            second = (await session.refreshable_credentials()).access_key
            assert await session.client("sts", endpoint_url=emu.url) is sts
            return first, second, [answer["Account"] for answer in accounts]

    first, second, accounts = asyncio.run(main())
    assert accounts == [emu.default_account_id] * 10
    assert second != first
    assert emu.calls("GetRoleCredentials") == 2  # ten rejected tasks, one shared refresh
    assert set(emu.errors("GetCallerIdentity")) == {"ExpiredToken"}


def test_async_whoami_survives_credentials_the_server_calls_expired(emu: Emulator) -> None:
    async def main() -> str:
        async with aio_session_for(emu) as session:
            await session.whoami()
            emu.clock.advance(61)
            return str((await session.whoami())["Account"])

    assert asyncio.run(main()) == emu.default_account_id
    assert emu.errors("GetCallerIdentity") == {"ExpiredToken": 1}
    assert emu.calls("GetRoleCredentials") == 2


def test_a_persisting_rejection_is_refreshed_once_and_reaches_the_caller(emu: Emulator) -> None:
    async def main() -> ClientError:
        async with aio_session_for(emu) as session:
            sts = await session.client("sts", endpoint_url=emu.url)
            await sts.get_caller_identity()
            emu.faults.fail_next("GetCallerIdentity", n=2, status=403, code="InvalidClientTokenId")
            with pytest.raises(ClientError) as info:
                await sts.get_caller_identity()
            assert await sts.get_caller_identity()  # the fault is gone: the new keys work
            return info.value

    error = asyncio.run(main())
    assert error.response["Error"]["Code"] == "InvalidClientTokenId"
    assert emu.calls("GetCallerIdentity") == 4  # first, failing, one re-send, the one after
    assert emu.calls("GetRoleCredentials") == 2


def test_other_errors_are_left_to_aiobotocore(emu: Emulator) -> None:
    async def main() -> None:
        async with aio_session_for(emu) as session:
            sts = await session.client("sts", endpoint_url=emu.url)
            await sts.get_caller_identity()
            emu.faults.fail_next("GetCallerIdentity", n=1, status=403, code="AccessDenied")
            with pytest.raises(ClientError):
                await sts.get_caller_identity()

    asyncio.run(main())
    assert emu.calls("GetRoleCredentials") == 1
