"""What the async session gained from the shared core, against the emulator.

Role chains, dict-like token and credential caches, the sign-in watch, forced and
ensured refreshes, the console URL and the container-credentials endpoint: each was the sync
session's only, and each is exercised here on ``AioSSORefreshableSession`` over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.credentials
import pytest

from refreshable_sso import _clock
from refreshable_sso._clock import OffsetClock
from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.config import AssumeRoleConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.sign_in_watch import SignInExpiringEvent
from tests.aio.conftest import SSO_SESSION, aio_session_for
from tests.session.conftest import sign_in_with_our_login

DEPLOY = "arn:aws:iam::222222222222:role/Deploy"
AUDIT = "arn:aws:iam::333333333333:role/Audit"
SESSION_TTL = 20.0


def _chained(emu: Emulator, assume_role: Any, **overrides: Any) -> AioSSORefreshableSession:
    """alice's AdministratorAccess in the first account (what the chain tests start from)."""
    return aio_session_for(
        emu,
        account_id="111111111111",
        role_name="AdministratorAccess",
        assume_role=assume_role,
        **overrides,
    )


def test_assume_role_chain_and_one_hop_further(signed_in: Emulator) -> None:
    session = _chained(signed_in, [{"role_arn": DEPLOY, "role_session_name": "deployer"}])
    assert session.assume_role_config == (
        AssumeRoleConfig(role_arn=DEPLOY, role_session_name="deployer"),
    )
    assert session.credentials_account_id == "222222222222"
    further = session.assume_role(AUDIT)
    assert isinstance(further, AioSSORefreshableSession)
    assert further.token_provider is session.token_provider  # the same sign-in

    async def main() -> tuple[dict[str, Any], dict[str, Any], str | None]:
        async with session, further:
            first = dict(await session.whoami())
            second = dict(await further.whoami())
            return first, second, await further.credentials_role_arn()

    first, second, arn = asyncio.run(main())
    assert first["Arn"].startswith("arn:aws:sts::222222222222:assumed-role/Deploy/deployer")
    assert second["Account"] == "333333333333"
    assert second["role_name"] == "Audit"
    assert arn == AUDIT  # known from the chain, no call needed
    assert session.role_chain is not None
    assert [f.call_count for f in session.role_chain.fetchers] == [1]
    assert signed_in.calls("GetRoleCredentials") == 1  # one SSO role below both sessions


def test_from_profile_follows_a_role_arn_chain(
    signed_in: Emulator, isolated_aws_home: Path
) -> None:
    config = isolated_aws_home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {signed_in.start_url}\n"
        f"sso_region = {signed_in.region}\n\n"
        f"[profile base]\nsso_session = {SSO_SESSION}\nsso_account_id = 111111111111\n"
        "sso_role_name = AdministratorAccess\nregion = us-east-1\n\n"
        f"[profile deploy]\nrole_arn = {DEPLOY}\nsource_profile = base\n"
    )
    session = AioSSORefreshableSession.from_profile(
        "deploy",
        endpoints={"sso": signed_in.url, "sso_oidc": signed_in.url, "sts": signed_in.url},
        login="never",
    )
    assert [hop.role_arn for hop in session.assume_role_config] == [DEPLOY]

    async def main() -> str:
        async with session:
            return (await session.whoami())["Account"]

    assert asyncio.run(main()) == "222222222222"


def test_credential_cache_mapping_is_shared_and_nothing_goes_to_disk(
    signed_in: Emulator, isolated_aws_home: Path
) -> None:
    store: dict[str, Any] = {}

    async def key_of(session: AioSSORefreshableSession) -> str:
        async with session:
            return (await session.credentials).access_key

    first = asyncio.run(key_of(aio_session_for(signed_in, credential_cache=store)))
    assert store, "the role credentials were not put in the mapping"
    second = asyncio.run(key_of(aio_session_for(signed_in, credential_cache=store)))
    assert first == second
    assert signed_in.calls("GetRoleCredentials") == 1  # the second session read the mapping
    assert not (isolated_aws_home / ".aws" / "cli" / "cache").exists()


def test_token_cache_mapping_sign_in_and_its_end(
    sso_emulator_factory: Any, isolated_aws_home: Path
) -> None:
    """login="auto" into a dict: the sign-in is recorded there, so its end is known."""
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=3600)
    store: dict[str, Any] = {}
    session = aio_session_for(
        emu,
        token_cache=store,
        login="auto",
        login_flow="device",
        sso_session_duration=timedelta(hours=8),
        on_login=lambda *args, **kwargs: None,
    )
    assert session.sign_in_expires_at is None  # nobody signed in yet

    async def main() -> str:
        async with session:
            return (await session.whoami())["Account"]

    before = time.time()
    assert asyncio.run(main()) == emu.default_account_id
    assert store, "the token was not put in the mapping"
    assert not (isolated_aws_home / ".aws" / "sso" / "cache").exists()
    end = session.sign_in_expires_at
    assert end is not None
    assert before + 8 * 3600 - 5 <= end.timestamp() <= time.time() + 8 * 3600 + 5
    remaining = session.sign_in_remaining
    assert remaining is not None
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)
    assert emu.calls("StartDeviceAuthorization") == 1


def test_on_sign_in_expiring_fires_before_the_end(
    sso_emulator_factory: Any, shared_clock: OffsetClock
) -> None:
    """Every duration is 100 times the real-time version's (a 2000 s sign-in, warned 800 s
    ahead): the virtual clock also flows in real time, and a watch thread kept from running
    for a second or two on a busy machine made the old 2 s margins fail; each bound says the
    same, scaled."""
    scale = 100.0
    ttl = SESSION_TTL * scale
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=ttl)
    signed_in = sign_in_with_our_login(emu)
    session = aio_session_for(emu, sso_session_duration=ttl)
    events: list[SignInExpiringEvent] = []
    fired = threading.Event()

    def on_expiring(event: SignInExpiringEvent) -> None:
        events.append(event)
        fired.set()

    session.on_sign_in_expiring(on_expiring, before=timedelta(seconds=8 * scale))
    shared_clock.advance(max(0.0, signed_in + 10.5 * scale - _clock.wall()))
    assert not fired.wait(0.3)  # not due yet
    shared_clock.advance(max(0.0, signed_in + 12.5 * scale - _clock.wall()))
    assert fired.wait(10)
    asyncio.run(session.close())
    assert [event.reason for event in events] == ["scheduled"]
    assert timedelta(seconds=6 * scale) <= events[0].remaining <= timedelta(seconds=9 * scale)


def test_server_ending_the_sign_in_is_reported_at_once(sso_emulator: Emulator) -> None:
    sign_in_with_our_login(sso_emulator)
    session = aio_session_for(sso_emulator, sso_session_duration=timedelta(hours=8))
    events: list[SignInExpiringEvent] = []
    session.on_sign_in_expiring(events.append)
    sso_emulator.end_sign_in_sessions()

    async def main() -> None:
        # the access token's refresh, refused, as a fetch makes it (in a worker thread)
        await asyncio.to_thread(session.token_provider.get_token, force_refresh=True)

    with pytest.raises(LoginRequiredError):
        asyncio.run(main())
    assert [event.reason for event in events] == ["InvalidGrantException"]


def test_ensure_valid_and_needs_refresh(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in)
    assert session.needs_refresh  # nothing fetched yet
    assert session.expiration_time is None

    async def main() -> tuple[str, str, str]:
        async with session:
            ensured = await session.ensure_valid_credentials()
            assert not session.needs_refresh
            assert session.expiration_time == ensured.expiry_time
            again = await session.ensure_valid_credentials()  # fresh: no new fetch
            unforced = await session.refresh_credentials(force=False)
            return ensured.access_key, again.access_key, unforced.access_key

    first, second, third = asyncio.run(main())
    assert first == second == third
    assert signed_in.calls("GetRoleCredentials") == 1
    assert session.refresh_count == 1
    assert session.last_refresh_time is not None


def test_ensure_valid_raises_when_the_refresh_cannot_happen(sso_emulator: Emulator) -> None:
    session = aio_session_for(sso_emulator)  # no sign-in at all

    async def main() -> None:
        await session.ensure_valid_credentials()

    with pytest.raises(LoginRequiredError):
        asyncio.run(main())


def test_console_url_does_not_block_the_loop(signed_in: Emulator) -> None:
    session = aio_session_for(
        signed_in,
        region_name="eu-west-1",
        endpoints={
            "sso": signed_in.url,
            "sso_oidc": signed_in.url,
            "sts": signed_in.url,
            "federation": f"{signed_in.url}/federation",
        },
    )

    async def main() -> tuple[str, int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0)

        running = asyncio.create_task(ticker())
        async with session:
            url = await session.console_url(destination="/ec2/home", duration=3600)
        stop.set()
        await running
        return url, ticks

    url, ticks = asyncio.run(main())
    assert ticks > 1  # the loop ran other tasks while the fetch and the federation call ran
    assert url.startswith(f"{signed_in.url}/federation?")
    query = parse_qs(urlsplit(url).query)
    assert query["Destination"] == ["https://console.aws.amazon.com/ec2/home?region=eu-west-1"]
    assert query["SigninToken"][0]
    assert signed_in.calls("Federation") == 1


def test_serve_container_credentials_from_a_running_loop(signed_in: Emulator) -> None:
    session = aio_session_for(signed_in)

    def fetch(url: str, token: str) -> dict[str, Any]:
        request = urllib.request.Request(url)  # noqa: S310 (http to loopback)
        request.add_header("Authorization", token)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            body: dict[str, Any] = json.loads(response.read())
            return body

    async def main() -> tuple[dict[str, Any], str | None, str]:
        async with session:
            with session.serve_container_credentials() as server:
                # the server's thread awaits the session on its own loop while this one runs
                body = await asyncio.to_thread(fetch, server.url, server.token)
                env = server.env()
                provider = botocore.credentials.ContainerProvider(environ=env)
                loaded = await asyncio.to_thread(provider.load)
                frozen = loaded.get_frozen_credentials()
            mine = (await session.credentials).access_key
            return body, frozen.access_key, mine

    body, provided, mine = asyncio.run(main())
    assert body["AccessKeyId"] == provided == mine
    assert body["AccountId"] == signed_in.default_account_id
    assert body["RoleArn"].startswith(f"arn:aws:iam::{signed_in.default_account_id}:role/")
    assert signed_in.calls("GetRoleCredentials") == 1
    assert signed_in.calls("GetCallerIdentity") == 1  # the role ARN, learned once
