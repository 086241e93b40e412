"""A caller who passes a dict as the cache keeps every secret of ours off disk.

aws-sso-lib keeps both the token and the OIDC client registration in the dict it is given
(botocore's ``SSOTokenFetcher`` stores the registration in the cache it was handed), so a
person who passes a dict expects nothing under ``~/.aws``: no registration file (a 90-day
client secret), no lock file. These tests sign in for real against the emulator, with HOME
an empty folder, and then walk the whole of HOME.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import compat
from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.storage.mapping import tracked_mappings
from refreshable_sso.storage.paths import registration_cache_key
from refreshable_sso.tokens.registration import DEFAULT_SCOPES


@pytest.fixture
def emu(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """An emulator the tests approve sign-ins on (through its API), AWS_ENDPOINT_URL_* set."""
    emulator: Emulator = sso_emulator_factory(auto_approve=False)  # the suite's sub-second interval
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def home(isolated_aws_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's HOME, empty; the working folder is elsewhere (and must stay empty too)."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert _everything_under(isolated_aws_home) == []
    return isolated_aws_home


def _everything_under(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in dirs + files]
    return sorted(found)


def _token_key(start_url: str) -> str:
    return hashlib.sha1(start_url.encode()).hexdigest()  # noqa: S324 - botocore's cache key


def _registration_key(emu: Emulator, session_name: str | None = None) -> str:
    """botocore's ``SSOTokenFetcher._registration_cache_key``, computed here by hand."""
    args = {
        "tool": "botocore",
        "startUrl": emu.start_url,
        "region": emu.region,
        "scopes": list(DEFAULT_SCOPES) if session_name else None,
        "session_name": session_name,
    }
    text = json.dumps(args, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - botocore's cache key


def _approver(emu: Emulator) -> Any:
    def handler(**kwargs: Any) -> None:
        emu.approve(kwargs["userCode"])

    return handler


def test_compat_login_keeps_token_and_registration_in_the_dict_and_nothing_under_home(
    emu: Emulator, home: Path
) -> None:
    cache: dict[str, Any] = {}
    token = compat.login(
        emu.start_url, emu.region, user_auth_handler=_approver(emu), message=False, sso_cache=cache
    )
    assert _everything_under(home) == []
    assert list(Path.cwd().iterdir()) == []
    registration_key = _registration_key(emu)
    assert registration_key == registration_cache_key(emu.start_url, emu.region, None, None)
    assert set(cache) == {_token_key(emu.start_url), registration_key}
    registration = cache[registration_key]
    assert {"clientId", "clientSecret", "expiresAt", "scopes"} <= set(registration)
    assert cache[_token_key(emu.start_url)]["clientId"] == registration["clientId"]
    assert cache[_token_key(emu.start_url)]["accessToken"] == token["accessToken"]
    assert emu.calls("RegisterClient") == 1

    # a second sign-in reuses the registration it finds in the dict
    again = compat.login(
        emu.start_url,
        emu.region,
        force_refresh=True,
        user_auth_handler=_approver(emu),
        message=False,
        sso_cache=cache,
    )
    assert again["accessToken"] != token["accessToken"]
    assert emu.calls("StartDeviceAuthorization") == 2
    assert emu.calls("RegisterClient") == 1
    assert _everything_under(home) == []


def test_compat_login_uses_a_registration_botocore_put_into_the_dict(
    emu: Emulator, home: Path
) -> None:
    """A registration aws-sso-lib (botocore's SSOTokenFetcher) stored in the dict is used:
    its shape there has ``expiresAt`` as a datetime and a ``receivedAt``."""
    first: dict[str, Any] = {}
    compat.login(
        emu.start_url, emu.region, user_auth_handler=_approver(emu), message=False, sso_cache=first
    )
    ours = first[_registration_key(emu)]
    expires = datetime.fromisoformat(ours["expiresAt"].replace("Z", "+00:00"))
    botocores = {**ours, "expiresAt": expires, "receivedAt": "2026-01-01T00:00:00UTC"}
    shared: dict[str, Any] = {_registration_key(emu): botocores}
    compat.login(
        emu.start_url, emu.region, user_auth_handler=_approver(emu), message=False, sso_cache=shared
    )
    assert emu.calls("RegisterClient") == 1
    assert shared[_token_key(emu.start_url)]["clientId"] == ours["clientId"]
    assert shared[_registration_key(emu)] is botocores  # reused as it was, not rewritten
    assert _everything_under(home) == []


def _session(emu: Emulator, token_cache: Any, credential_cache: Any) -> SSORefreshableSession:
    return SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name="corp",
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        region_name="eu-west-1",
        login="auto",
        login_flow="device",
        token_cache=token_cache,
        credential_cache=credential_cache,
        sso_session_duration=3600,
    )


def test_a_session_signing_in_into_dicts_writes_nothing_under_home(
    sso_emulator_env: Emulator, home: Path
) -> None:
    emu = sso_emulator_env  # approves every device code at once
    tokens: dict[str, Any] = {}
    credentials: dict[str, Any] = {}
    session = _session(emu, tokens, credentials)
    assert session.whoami()["account_id"] == emu.default_account_id
    session.close()
    assert _everything_under(home) == []
    assert list(Path.cwd().iterdir()) == []
    token_key = hashlib.sha1(b"corp").hexdigest()  # noqa: S324 - botocore's cache key
    registration_key = _registration_key(emu, "corp")
    assert set(tokens) == {token_key, registration_key}
    assert tokens[registration_key]["clientId"] == tokens[token_key]["clientId"]
    assert len(credentials) == 1
    assert emu.calls("RegisterClient") == 1

    # signed out (the token gone from the dict): the next sign-in registers no new client
    del tokens[token_key]
    credentials.clear()
    again = _session(emu, tokens, credentials)
    assert again.whoami()["account_id"] == emu.default_account_id
    again.close()
    assert emu.calls("StartDeviceAuthorization") == 2
    assert emu.calls("RegisterClient") == 1
    assert _everything_under(home) == []


class _Store(dict[str, Any]):
    """A dict that can be weakly referenced (a plain dict cannot)."""


def test_a_sessions_mappings_are_not_kept_alive_by_us(
    sso_emulator_env: Emulator, home: Path
) -> None:
    emu = sso_emulator_env
    gc.collect()
    tracked_before = tracked_mappings()
    tokens, credentials = _Store(), _Store()
    session = _session(emu, tokens, credentials)
    assert session.whoami()["account_id"] == emu.default_account_id
    assert tracked_mappings() > tracked_before  # the locks shared by the users of each store
    session.close()  # its sign-in watch thread lets go of the session when it wakes
    gone = [weakref.ref(tokens), weakref.ref(credentials)]
    del session, tokens, credentials
    deadline = time.monotonic() + 10
    while any(ref() is not None for ref in gone) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert [ref() is None for ref in gone] == [True, True]
    assert tracked_mappings() <= tracked_before  # and what we kept beside them is gone too


def test_threads_sharing_one_dict_sign_in_once(emu: Emulator, home: Path) -> None:
    """The registration's lock for a dict is in this process: threads still take turns."""
    cache: dict[str, Any] = {}
    results: list[str] = []
    errors: list[BaseException] = []

    def login() -> None:
        try:
            token = compat.login(
                emu.start_url,
                emu.region,
                user_auth_handler=_approver(emu),
                message=False,
                sso_cache=cache,
            )
            results.append(token["accessToken"])
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=login) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 4
    assert emu.calls("RegisterClient") == 1
    assert _everything_under(home) == []


def test_threads_of_a_dict_backed_session_sign_in_once_without_lock_files(
    sso_emulator_env: Emulator, home: Path
) -> None:
    """The sign-in lock of a mapping is in this process: one sign-in, the others wait for it."""
    emu = sso_emulator_env
    tokens: dict[str, Any] = {}
    session = _session(emu, tokens, {})
    with ThreadPoolExecutor(8) as pool:
        tokens_seen = set(
            pool.map(
                lambda _: session.token_provider.get_token().access_token.get_secret_value(),
                range(8),
            )
        )
    session.close()
    assert len(tokens_seen) == 1
    assert emu.calls("StartDeviceAuthorization") == 1
    assert emu.calls("RegisterClient") == 1
    assert _everything_under(home) == []


def test_assumed_role_hops_cache_into_the_credential_dict_not_under_home(
    sso_emulator_env: Emulator, home: Path
) -> None:
    emu = sso_emulator_env
    tokens: dict[str, Any] = {_token_key(emu.start_url): emu.sign_in()}
    credentials: dict[str, Any] = {}
    deploy = "arn:aws:iam::222222222222:role/Deploy"
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id="111111111111",
        role_name="AdministratorAccess",
        region_name="us-east-1",
        login="never",
        token_cache=tokens,
        credential_cache=credentials,
        assume_role=[{"role_arn": deploy, "role_session_name": "deployer"}],
    )
    assert session.whoami()["account_id"] == "222222222222"
    assert _everything_under(home) == []
    assert len(credentials) == 2  # the SSO role's and the hop's, as the AWS CLI keys them
    hop = [value for value in credentials.values() if "ProviderType" not in value]
    assert hop[0]["AssumedRoleUser"]["Arn"].startswith("arn:aws:sts::222222222222:")
    assert emu.calls("AssumeRole") == 1
    again = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id="111111111111",
        role_name="AdministratorAccess",
        region_name="us-east-1",
        login="never",
        token_cache=tokens,
        credential_cache=credentials,
        assume_role=[{"role_arn": deploy, "role_session_name": "deployer"}],
    )
    assert again.whoami()["account_id"] == "222222222222"
    assert emu.calls("AssumeRole") == 1  # the hop's credentials came from the dict
    assert _everything_under(home) == []
