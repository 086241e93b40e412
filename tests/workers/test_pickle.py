"""Sessions pickle to their configuration only, and rebuild in other processes on shared caches."""

from __future__ import annotations

import json
import multiprocessing.context
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.aio import AioSSORefreshableSession
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.base import SSOToken, utcnow
from refreshable_sso.tokens.login import policy
from refreshable_sso.tokens.simple import StaticTokenProvider
from tests.workers import _tasks
from tests.workers.conftest import SSO_SESSION, options_for, sync_session_for

WORKERS = 8
TASKS_PER_WORKER = 10


class PicklableProvider:
    """A custom provider from a module-level class: reads the token file the CLI writes."""

    def __init__(self, path: str) -> None:
        self.path = path

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        data = json.loads(Path(self.path).read_text())
        return SSOToken.from_cache_dict(data)


def roundtrip(session: Any) -> Any:
    return pickle.loads(pickle.dumps(session))  # noqa: S301 - our own bytes


def _token_secrets(home: Path) -> list[str]:
    token = json.loads(next((home / ".aws" / "sso" / "cache").glob("*.json")).read_text())
    return [token["accessToken"], token["refreshToken"], token["clientSecret"]]


def _seed(emu: Emulator) -> Path:
    return emu.seed_token_cache(sso_session_name=SSO_SESSION)


def test_sync_session_pickles_without_secrets_and_rebuilds(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    _seed(sso_emulator)
    session = sync_session_for(sso_emulator, advisory_timeout=120, mandatory_timeout=60)
    credentials = session.credentials
    session.whoami()
    data = pickle.dumps(session)
    for secret in [
        *_token_secrets(isolated_aws_home),
        credentials.access_key,
        credentials.secret_key,
        credentials.token,
    ]:
        assert secret.encode() not in data
    clone = pickle.loads(data)  # noqa: S301 - our own bytes
    assert isinstance(clone, SSORefreshableSession)
    assert clone.sso_config == session.sso_config
    assert clone.refresh_config == session.refresh_config
    assert clone.endpoint_config == session.endpoint_config
    assert clone.region_name == session.region_name
    assert clone.credentials.access_key == credentials.access_key  # the shared cache
    assert sso_emulator.calls("GetRoleCredentials") == 1


def test_an_automatic_login_policy_arrives_as_never(
    sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver at a terminal gets login="auto" by default; its workers must not sign in."""
    monkeypatch.setattr(policy, "default_login_policy", lambda: "auto")
    for make in (sync_session_for, lambda emu: AioSSORefreshableSession(**options_for(emu))):
        session = make(sso_emulator)
        clone = roundtrip(session)  # rebuilt while the default is still "auto"
        # no token cached: the clone says a login is needed instead of starting one
        call = clone.whoami if isinstance(clone, SSORefreshableSession) else None
        with pytest.raises(LoginRequiredError):
            call() if call is not None else _tasks.async_whoami(clone)
    assert sso_emulator.calls("StartDeviceAuthorization") == 0
    assert sso_emulator.calls("RegisterClient") == 0
    explicit = roundtrip(sync_session_for(sso_emulator, login="auto"))
    assert explicit._config.login == "auto"  # configured explicitly: it travels


def test_custom_token_provider_travels_if_picklable(sso_emulator: Emulator) -> None:
    path = _seed(sso_emulator)
    session = sync_session_for(sso_emulator, token_provider=PicklableProvider(str(path)))
    clone = roundtrip(session)
    assert isinstance(clone.token_provider, PicklableProvider)
    assert clone.whoami()["Account"] == sso_emulator.default_account_id


def test_unpicklable_or_secret_token_provider_is_named(sso_emulator: Emulator) -> None:
    class LocalProvider:  # a local class cannot be pickled by reference
        def get_token(self, *, force_refresh: bool = False) -> SSOToken:
            raise NotImplementedError

    session = sync_session_for(sso_emulator, token_provider=LocalProvider())
    with pytest.raises(pickle.PicklingError, match=r"token_provider \(.*LocalProvider\)"):
        pickle.dumps(session)
    static = StaticTokenProvider("a-static-access-token", utcnow() + timedelta(hours=1))
    for session in (
        sync_session_for(sso_emulator, token_provider=static),
        AioSSORefreshableSession(**options_for(sso_emulator, token_provider=static)),
    ):
        with pytest.raises(pickle.PicklingError, match=r"StaticTokenProvider.*secret") as caught:
            pickle.dumps(session)
        assert "a-static-access-token" not in str(caught.value)


@pytest.mark.multiprocess
def test_process_pool_of_eight_spawned_workers_makes_one_fetch(
    sso_emulator: Emulator, fresh_forkserver: multiprocessing.context.BaseContext
) -> None:
    """8 x 10 tasks (sync and async sessions alternating) in 8 worker processes: 1 fetch.

    The workers come from a fresh forkserver (one new interpreter that did the imports; see
    the fixture), not from this process: the sessions reach them pickled, as with ``spawn``.
    """
    _seed(sso_emulator)
    sync_session = sync_session_for(sso_emulator)
    async_session = AioSSORefreshableSession(**options_for(sso_emulator))
    results: list[tuple[int, str]] = []
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=fresh_forkserver) as pool:
        futures: list[Any] = []
        for index in range(WORKERS * TASKS_PER_WORKER):
            if index % 2:
                futures.append(pool.submit(_tasks.async_whoami, async_session))
            else:
                futures.append(pool.submit(_tasks.sync_whoami, sync_session))
        results = [future.result(timeout=120) for future in futures]
    assert [account for _, account in results] == [sso_emulator.default_account_id] * 80
    assert len({pid for pid, _ in results}) > 1  # really spread over worker processes
    assert sso_emulator.calls("GetRoleCredentials") == 1, sso_emulator.stats()
    assert sso_emulator.calls("CreateToken") == 0
