"""AioSSORefreshableSession against the emulator: identity, clients, discovery, configuration."""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import AioSession

from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.config import RefreshConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError, LoginRequiredError
from refreshable_sso.session import SSORefreshableSession
from tests.aio.conftest import SSO_SESSION, aio_session_for, endpoints


def test_is_an_aiobotocore_session_and_whoami_works(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in)
    assert isinstance(session, AioSession)

    async def main() -> dict[str, Any]:
        async with session:
            identity = dict(await session.whoami())
            async with session.create_client("sts", endpoint_url=signed_in.url) as sts:
                raw = await sts.get_caller_identity()
            assert raw["Arn"] == identity["Arn"]
            return identity

    identity = asyncio.run(main())
    assert identity["account_id"] == signed_in.default_account_id
    assert identity["role_name"] == signed_in.default_role_name
    assert identity["is_sso_role"] is True
    assert signed_in.calls("GetRoleCredentials") == 1


def test_shares_role_credentials_with_the_sync_session(signed_in: Emulator) -> None:
    """Same cache files and key names: the sync session reuses what the async one fetched."""

    async def main() -> str:
        async with aio_session_for(signed_in) as session:
            return (await session.refreshable_credentials()).access_key

    key = asyncio.run(main())
    sync = SSORefreshableSession(
        start_url=signed_in.start_url,
        sso_region=signed_in.region,
        sso_session_name=SSO_SESSION,
        account_id=signed_in.default_account_id,
        role_name=signed_in.default_role_name,
        endpoints=endpoints(signed_in),
        login="never",
    )
    assert sync.credentials.access_key == key
    assert signed_in.calls("GetRoleCredentials") == 1


def test_client_cache_hits_misses_and_close(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in, max_size=2)

    async def main() -> None:
        first = await session.client("sts", endpoint_url=signed_in.url)
        again = await session.client("sts", endpoint_url=signed_in.url)
        assert first is again
        other = await session.client("sts", region_name="eu-west-1", endpoint_url=signed_in.url)
        assert other is not first
        fresh = await session.client("sts", endpoint_url=signed_in.url, cache=False)
        assert fresh is not first
        await fresh.close()
        # built once by the first of many tasks asking for the same key at once
        many = await asyncio.gather(
            *(session.client("s3", endpoint_url=signed_in.url) for _ in range(10))
        )
        assert all(client is many[0] for client in many)
        info = session.cache_info()
        assert (info.size, info.evictions, info.max_size) == (2, 1, 2)
        assert info.misses == 4
        assert info.hits == 10
        await session.close()
        assert session.cache_info().size == 0

    asyncio.run(main())


def test_async_with_closes_cached_clients(signed_in: Emulator) -> None:
    async def main() -> Any:
        async with aio_session_for(signed_in) as session:
            sts = await session.client("sts", endpoint_url=signed_in.url)
            await sts.get_caller_identity()
            assert sts._endpoint.http_session._sessions, "no open HTTP session after a call"
        return sts

    sts = asyncio.run(main())
    # aiobotocore empties (2.x) or drops (3.x) its aiohttp sessions when the client closes
    assert sts._endpoint.http_session._sessions in (None, {})


def test_defer_refresh_false_fetches_on_entry(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in, defer_refresh=False)
    assert signed_in.calls("GetRoleCredentials") == 0  # a constructor cannot await

    async def main() -> None:
        async with session:
            assert signed_in.calls("GetRoleCredentials") == 1
            assert session.credentials_expiration is not None

    asyncio.run(main())


def test_refresh_credentials_forces_a_new_fetch(signed_in: Emulator) -> None:
    async def main() -> tuple[str, str]:
        async with aio_session_for(signed_in) as session:
            first = (await session.refreshable_credentials()).access_key
            second = (await session.refresh_credentials()).access_key
            return first, second

    first, second = asyncio.run(main())
    assert first != second
    assert signed_in.calls("GetRoleCredentials") == 2


def test_list_accounts_and_roles_are_async_iterators(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in)

    async def main() -> tuple[list[str], list[tuple[str, str]]]:
        accounts = [account.account_id async for account in session.list_accounts()]
        roles = [
            (role.account_id, role.role_name)
            async for role in session.list_roles(signed_in.default_account_id)
        ]
        return accounts, roles

    accounts, roles = asyncio.run(main())
    assert signed_in.default_account_id in accounts
    assert len(accounts) >= 2
    assert (signed_in.default_account_id, signed_in.default_role_name) in roles


def test_for_role_and_from_profile(signed_in: Emulator, isolated_aws_home: Path) -> None:
    config = isolated_aws_home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[profile dev]\nsso_session = {SSO_SESSION}\n"
        f"sso_account_id = {signed_in.default_account_id}\n"
        f"sso_role_name = {signed_in.default_role_name}\nregion = eu-west-1\n\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {signed_in.start_url}\n"
        f"sso_region = {signed_in.region}\n"
    )
    session = AioSSORefreshableSession.from_profile(
        "dev", endpoints=endpoints(signed_in), login="never"
    )
    assert session.region_name == "eu-west-1"
    sibling = session.for_role("222222222222", signed_in.default_role_name)

    async def main() -> tuple[str, str]:
        mine = await session.whoami()
        theirs = await sibling.whoami()
        await session.close()
        await sibling.close()
        return mine["Account"], theirs["Account"]

    assert asyncio.run(main()) == (signed_in.default_account_id, "222222222222")


def test_configuration_errors_name_the_field() -> None:
    with pytest.raises(ConfigurationError, match="account_id"):
        AioSSORefreshableSession(
            start_url="https://d-1234567890.awsapps.com/start",
            sso_region="us-east-1",
            account_id="123",
            role_name="ReadOnly",
        )
    with pytest.raises(ConfigurationError, match="botocore_session"):
        AioSSORefreshableSession(botocore_session=object())
    with pytest.raises(ConfigurationError, match="aws_secret_access_key") as caught:
        AioSSORefreshableSession(aws_secret_access_key="do-not-echo-me")
    assert "do-not-echo-me" not in str(caught.value)
    session = AioSSORefreshableSession(
        start_url="https://d-1234567890.awsapps.com/start",
        sso_region="us-east-1",
        account_id="123456789012",
        role_name="ReadOnly",
        refresh=RefreshConfig(advisory_timeout=60, mandatory_timeout=30),
    )
    assert session.refresh_config.advisory_timeout == 60


def test_without_a_sign_in_login_required_is_raised(sso_emulator: Emulator) -> None:
    session = aio_session_for(sso_emulator)

    async def main() -> None:
        async with session:
            await session.whoami()

    with pytest.raises(LoginRequiredError):
        asyncio.run(main())


def test_pickles_to_configuration_without_secrets(
    signed_in: Emulator, isolated_aws_home: Path
) -> None:
    session = aio_session_for(signed_in, advisory_timeout=120, mandatory_timeout=60)

    async def use() -> Any:
        async with session:
            await session.whoami()
            return await session.refreshable_credentials()

    credentials = asyncio.run(use())
    data = pickle.dumps(session)
    token = json.loads(
        next((isolated_aws_home / ".aws" / "sso" / "cache").glob("*.json")).read_text()
    )
    for secret in (
        token["accessToken"],
        token["refreshToken"],
        token["clientSecret"],
        credentials.secret_key,
        credentials.token,
        credentials.access_key,
    ):
        assert secret.encode() not in data
    clone = pickle.loads(data)  # noqa: S301 - our own bytes
    assert isinstance(clone, AioSSORefreshableSession)
    assert clone.sso_config == session.sso_config
    assert clone.refresh_config.advisory_timeout == 120
    assert clone.region_name == session.region_name

    async def use_clone() -> str:
        async with clone:
            return (await clone.refreshable_credentials()).access_key

    assert asyncio.run(use_clone()) == credentials.access_key  # read from the shared cache
    assert signed_in.calls("GetRoleCredentials") == 1
