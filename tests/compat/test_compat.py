"""refreshable_sso.compat: aws-sso-lib's functions against the emulator."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import compat
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError, LoginRequiredError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.storage.paths import registration_cache_key


@pytest.fixture
def emu(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """An emulator nobody approves for (the tests do), AWS_ENDPOINT_URL_* set."""
    emulator: Emulator = sso_emulator_factory(auto_approve=False)  # the suite's sub-second interval
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return emulator


def _key(start_url: str) -> str:
    return hashlib.sha1(start_url.encode()).hexdigest()  # noqa: S324 - botocore's cache key


def test_login_with_user_auth_handler_and_no_message(
    emu: Emulator, capsys: pytest.CaptureFixture[str], isolated_aws_home: Path
) -> None:
    seen: list[dict[str, Any]] = []

    def handler(**kwargs: Any) -> None:
        seen.append(kwargs)
        emu.approve(kwargs["userCode"])

    cache: dict[str, Any] = {}
    token = compat.login(
        emu.start_url, emu.region, user_auth_handler=handler, message=False, sso_cache=cache
    )
    assert set(seen[0]) == {"verificationUri", "userCode", "verificationUriComplete", "expiresAt"}
    assert isinstance(seen[0]["expiresAt"], datetime)
    assert seen[0]["userCode"] in seen[0]["verificationUriComplete"]
    assert token["accessToken"]
    assert token["startUrl"] == emu.start_url
    assert token["expiresAt"].endswith("Z")
    # aws-sso-lib's / botocore's keys: the token, and the client registration beside it
    registration = registration_cache_key(emu.start_url, emu.region, None, None)
    assert set(cache) == {_key(emu.start_url), registration}
    assert cache[registration]["clientId"] == cache[_key(emu.start_url)]["clientId"]
    assert cache[_key(emu.start_url)]["accessToken"] == token["accessToken"]
    assert not (
        isolated_aws_home / ".aws" / "sso" / "cache" / f"{_key(emu.start_url)}.json"
    ).exists()
    assert capsys.readouterr().err == ""
    # valid: returned from the cache, no second sign-in
    emu.reset_counters()
    again = compat.login(emu.start_url, emu.region, sso_cache=cache, message=False)
    assert again["accessToken"] == token["accessToken"]
    assert emu.calls("StartDeviceAuthorization") == 0


def _approve_when_asked(emu: Emulator) -> threading.Thread:
    def approve() -> None:
        for _ in range(200):
            codes = emu.pending_user_codes()
            if codes:
                emu.approve(codes[0])
                return
            time.sleep(0.05)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def test_login_message_template_to_outfile_without_browser(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SSO_DISABLE_BROWSER", "1")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    out = io.StringIO()
    thread = _approve_when_asked(emu)
    token = compat.login(
        emu.start_url, emu.region, message="go to {url} and type {code}", outfile=out
    )
    thread.join(5)
    assert token["accessToken"]
    assert out.getvalue().startswith("go to http")
    assert opened == []
    # force_refresh signs in again even though the file token is valid
    thread = _approve_when_asked(emu)
    fresh = compat.login(emu.start_url, emu.region, force_refresh=True, outfile=io.StringIO())
    thread.join(5)
    assert fresh["accessToken"] != token["accessToken"]


def test_get_boto3_session_and_dict_caches_shared_by_two_sessions(
    emu: Emulator, isolated_aws_home: Path
) -> None:
    sso_cache: dict[str, Any] = {_key(emu.start_url): emu.sign_in()}
    credential_cache: dict[str, Any] = {}
    first = compat.get_boto3_session(
        emu.start_url,
        emu.region,
        emu.default_account_id,
        emu.default_role_name,
        region="eu-west-1",
        sso_cache=sso_cache,
        credential_cache=credential_cache,
    )
    assert isinstance(first, SSORefreshableSession)
    assert first.region_name == "eu-west-1"
    assert first.whoami()["account_id"] == emu.default_account_id
    assert len(credential_cache) == 1
    (entry,) = credential_cache.values()
    assert entry["ProviderType"] == "sso"
    second = compat.get_boto3_session(
        emu.start_url,
        emu.region,
        int(emu.default_account_id),
        emu.default_role_name,
        region="eu-west-1",
        sso_cache=sso_cache,
        credential_cache=credential_cache,
    )
    assert second.refreshable_credentials().access_key == first.refreshable_credentials().access_key
    assert emu.calls("GetRoleCredentials") == 1
    # a token refreshed by one session is what the other reads next
    emu.clock.advance(3600 - 60)
    first.refresh_credentials()
    refreshed = sso_cache[_key(emu.start_url)]["accessToken"]
    assert second.token_provider.get_token().access_token.get_secret_value() == refreshed
    assert not (isolated_aws_home / ".aws" / "cli" / "cache").exists()
    assert not (
        isolated_aws_home / ".aws" / "sso" / "cache" / f"{_key(emu.start_url)}.json"
    ).exists()


def test_get_boto3_session_with_login_signs_in_first(emu: Emulator) -> None:
    cache: dict[str, Any] = {}
    thread = _approve_when_asked(emu)
    session = compat.get_boto3_session(
        emu.start_url,
        emu.region,
        emu.default_account_id,
        emu.default_role_name,
        region="us-east-1",
        login=True,
        sso_cache=cache,
    )
    thread.join(5)
    assert session.whoami()["role_name"] == emu.default_role_name


def test_list_available_accounts_and_roles_yield_aws_sso_libs_tuples(emu: Emulator) -> None:
    cache: dict[str, Any] = {_key(emu.start_url): emu.sign_in()}
    accounts = list(compat.list_available_accounts(emu.start_url, emu.region, sso_cache=cache))
    assert accounts == [
        ("111111111111", "Development"),
        ("222222222222", "Staging"),
        ("333333333333", "Production"),
    ]
    roles = list(compat.list_available_roles(emu.start_url, emu.region, sso_cache=cache))
    assert ("111111111111", "Development", "PowerUserAccess") in roles
    assert len(roles) == 7
    named = list(
        compat.list_available_roles(emu.start_url, emu.region, 222222222222, sso_cache=cache)
    )
    assert named == [
        ("222222222222", "UNKNOWN", "AdministratorAccess"),
        ("222222222222", "UNKNOWN", "ReadOnlyAccess"),
    ]


def test_list_available_accounts_with_login(emu: Emulator) -> None:
    thread = _approve_when_asked(emu)
    cache: dict[str, Any] = {}
    accounts = list(
        compat.list_available_accounts(emu.start_url, emu.region, login=True, sso_cache=cache)
    )
    thread.join(5)
    assert len(accounts) == 3


class _Store(MutableMapping[str, Any]):
    """An application's own store (not a dict)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes = 0

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def test_session_accepts_any_mutable_mapping(emu: Emulator) -> None:
    store = _Store()
    store[_key(emu.start_url)] = emu.sign_in()
    creds = _Store()
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        token_cache=store,
        credential_cache=creds,
    )
    assert session.whoami()["account_id"] == emu.default_account_id
    assert creds.writes == 1
    store[_key(emu.start_url)] = "not a token"
    with pytest.raises(LoginRequiredError, match=r"no cached SSO token"):
        session.refresh_credentials()
    assert (
        _key(emu.start_url) not in store
    )  # an unusable value is dropped, as a bad file is set aside


def test_a_cache_that_is_not_a_mapping_is_refused(emu: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="token_cache: expected a dict"):
        SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            token_cache=["no"],  # type: ignore[arg-type]
        )


def test_a_token_cache_beside_a_token_provider_is_refused_not_ignored(emu: Emulator) -> None:
    from datetime import timedelta, timezone

    from refreshable_sso.tokens import StaticTokenProvider

    provider = StaticTokenProvider(
        "not-a-real-token", expires_at=datetime.now(timezone.utc) + timedelta(hours=1)
    )
    with pytest.raises(ConfigurationError, match="token_cache: read only by") as info:
        SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            account_id=emu.default_account_id,
            role_name=emu.default_role_name,
            token_provider=provider,
            token_cache={},
        )
    assert "pass one of the two" in str(info.value)
    assert "not-a-real-token" not in str(info.value)


def test_a_dict_token_written_the_way_botocore_writes_it_is_read(emu: Emulator) -> None:
    """botocore's (and aws-sso-lib's) token fetcher puts datetimes, not text, into a dict cache."""
    token: dict[str, Any] = dict(emu.sign_in())
    token["expiresAt"] = datetime.fromisoformat(token["expiresAt"].replace("Z", "+00:00"))
    cache: dict[str, Any] = {_key(emu.start_url): token}
    accounts = list(compat.list_available_accounts(emu.start_url, emu.region, sso_cache=cache))
    assert len(accounts) == 3
    assert isinstance(cache[_key(emu.start_url)]["expiresAt"], datetime)  # not rewritten


def test_a_session_that_signs_in_stores_the_token_in_its_mapping(
    sso_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    isolated_aws_home: Path,
    tmp_path: Path,
) -> None:
    for name, value in sso_emulator.env().items():
        monkeypatch.setenv(name, value)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # nothing of a mapping-backed cache may land here
    cache: dict[str, Any] = {}
    session = SSORefreshableSession(
        start_url=sso_emulator.start_url,
        sso_region=sso_emulator.region,
        account_id=sso_emulator.default_account_id,
        role_name=sso_emulator.default_role_name,
        login="auto",
        login_flow="device",
        token_cache=cache,
        sso_session_duration=3600,
    )
    assert session.whoami()["account_id"] == sso_emulator.default_account_id  # auto-approved
    assert cache[_key(sso_emulator.start_url)]["accessToken"]
    assert not (
        isolated_aws_home / ".aws" / "sso" / "cache" / f"{_key(sso_emulator.start_url)}.json"
    ).exists()
    # our sign-in record is neither in the caller's mapping nor in the working folder; the
    # client registration is in the mapping, as aws-sso-lib keeps it
    assert set(cache) == {
        _key(sso_emulator.start_url),
        registration_cache_key(sso_emulator.start_url, sso_emulator.region, None, None),
    }
    assert list(workdir.iterdir()) == []
    assert session.sign_in_remaining is not None  # the record is read back from memory
    assert 3500 < session.sign_in_remaining.total_seconds() <= 3600


def test_two_mappings_for_one_start_url_keep_their_own_sign_in_records(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores in one process (say two tenants), one start URL: records never mix."""
    from refreshable_sso.tokens.base import SSOToken
    from refreshable_sso.tokens.store import TokenCache

    monkeypatch.chdir(tmp_path)
    first_store: dict[str, Any] = {}
    second_store: dict[str, Any] = {}
    first = TokenCache(emu.start_url, mapping=first_store)
    second = TokenCache(emu.start_url, mapping=second_store)
    first_token = SSOToken.from_cache_dict(emu.sign_in())
    second_token = SSOToken.from_cache_dict(emu.sign_in())
    first.save(first_token, signed_in=True)
    second.save(second_token, signed_in=True)
    assert first.signed_in_at(first_token) is not None  # not overwritten by the second store
    assert second.signed_in_at(second_token) is not None
    assert set(first_store) == set(second_store) == {_key(emu.start_url)}
    assert list(tmp_path.iterdir()) == []
