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


@pytest.mark.parametrize(
    ("code", "failures", "sent", "fetches"),
    [
        # refreshed once, re-sent once, still refused: the caller sees it
        ("InvalidClientTokenId", 2, 4, 2),
        # not about credentials: left to aiobotocore, no refresh, no re-send
        ("AccessDenied", 1, 3, 1),
    ],
)
def test_a_rejection_that_persists_reaches_the_caller(
    emu: Emulator, code: str, failures: int, sent: int, fetches: int
) -> None:
    async def main() -> ClientError:
        async with aio_session_for(emu) as session:
            sts = await session.client("sts", endpoint_url=emu.url)
            await sts.get_caller_identity()
            emu.faults.fail_next("GetCallerIdentity", n=failures, status=403, code=code)
            with pytest.raises(ClientError) as info:
                await sts.get_caller_identity()
            assert await sts.get_caller_identity()  # the fault is gone: the keys work
            return info.value

    error = asyncio.run(main())
    assert error.response["Error"]["Code"] == code
    assert emu.calls("GetCallerIdentity") == sent  # first, the failing one(s), the one after
    assert emu.calls("GetRoleCredentials") == fetches
