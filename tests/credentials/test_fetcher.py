"""RoleCredentialFetcher against the emulator: metadata, the shared CLI cache, and every failure."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import botocore.session
import pytest
from botocore.credentials import Credentials, SSOCredentialFetcher
from botocore.exceptions import ClientError
from botocore.utils import JSONFileCache, SSOTokenLoader, parse_timestamp

from refreshable_sso.aws.clients import HttpSettings, sts_client
from refreshable_sso.credentials.role import (
    RoleCredentialCache,
    RoleCredentialFetcher,
    RoleCredentials,
)
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import CacheFileError, CredentialRefreshError, LoginRequiredError
from refreshable_sso.storage.paths import cli_cache_dir, sso_cache_dir
from refreshable_sso.tokens.cached import CachedTokenProvider

SSO_SESSION = "dev"
FAST_FAIL = HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=1)


@pytest.fixture
def emu(sso_emulator_env: Emulator) -> Emulator:
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    return sso_emulator_env


def provider_for(emu: Emulator) -> CachedTokenProvider:
    return CachedTokenProvider(emu.start_url, emu.region, sso_session_name=SSO_SESSION)


def fetcher_for(
    emu: Emulator,
    *,
    cache: RoleCredentialCache | None = None,
    provider: CachedTokenProvider | None = None,
    **options: object,
) -> RoleCredentialFetcher:
    settings: dict[str, object] = {
        "account_id": emu.default_account_id,
        "role_name": emu.default_role_name,
        "sso_region": emu.region,
        "start_url": emu.start_url,
        "sso_session_name": SSO_SESSION,
    }
    settings.update(options)
    return RoleCredentialFetcher(
        provider or provider_for(emu),
        cache=cache,
        **settings,  # type: ignore[arg-type]
    )


def grc_calls(emu: Emulator) -> int:
    count: int = emu.calls("GetRoleCredentials")
    return count


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def botocore_fetcher(emu: Emulator) -> SSOCredentialFetcher:
    """botocore's own SSO fetcher on the CLI's cache directories (what `aws` does)."""
    session = botocore.session.Session()

    def client_creator(service: str, **kwargs: object) -> object:
        return session.create_client(service, region_name=emu.region, **kwargs)  # type: ignore[call-overload]

    return SSOCredentialFetcher(
        emu.start_url,
        emu.region,
        emu.default_role_name,
        emu.default_account_id,
        client_creator,
        token_loader=SSOTokenLoader(cache=JSONFileCache(str(sso_cache_dir()))),
        cache=JSONFileCache(str(cli_cache_dir())),
        sso_session_name=SSO_SESSION,
    )


# -- the credentials themselves --------------------------------------------------------------


def test_fetch_returns_botocore_metadata_that_works_with_sts(emu: Emulator) -> None:
    metadata = fetcher_for(emu).fetch()

    assert set(metadata) == {"access_key", "secret_key", "token", "expiry_time"}
    expiry = parse_timestamp(metadata["expiry_time"])  # as botocore reads it
    assert 3500 < (expiry - datetime.now(timezone.utc)).total_seconds() <= 3600
    credentials = Credentials(metadata["access_key"], metadata["secret_key"], metadata["token"])
    identity = sts_client(emu.region, credentials).get_caller_identity()
    assert identity["Account"] == emu.default_account_id
    assert f"AWSReservedSSO_{emu.default_role_name}_" in identity["Arn"]


def test_fetch_reuses_credentials_in_memory(emu: Emulator) -> None:
    fetcher = fetcher_for(emu)
    first = fetcher.fetch()
    assert fetcher.fetch() == first
    assert grc_calls(emu) == 1
    assert fetcher.fetch_count == 1
    assert fetcher.last_refreshed_at is not None
    assert list(cli_cache_dir().glob("*.json")) == []  # cache=None: nothing on disk


def test_sixteen_threads_make_one_call(emu: Emulator) -> None:
    fetcher = fetcher_for(emu, cache=RoleCredentialCache())
    barrier = threading.Barrier(16)
    keys: list[str] = []

    def work() -> None:
        barrier.wait(timeout=30)
        keys.append(fetcher.fetch()["access_key"])

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(keys) == 16
    assert len(set(keys)) == 1
    assert grc_calls(emu) == 1


# -- the disk cache (AWS CLI compatible) -------------------------------------------------------


def test_disk_cache_uses_the_aws_cli_key_and_format(emu: Emulator) -> None:
    fetcher = fetcher_for(emu, cache=RoleCredentialCache())
    metadata = fetcher.fetch()

    expected_name = botocore_fetcher(emu)._create_cache_key() + ".json"
    assert fetcher.entry is not None
    path = fetcher.entry.path
    assert path == cli_cache_dir() / expected_name
    entry = json.loads(path.read_text())
    assert entry == {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": metadata["access_key"],
            "SecretAccessKey": metadata["secret_key"],
            "SessionToken": metadata["token"],
            "Expiration": metadata["expiry_time"],
            "AccountId": emu.default_account_id,
        },
    }
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_legacy_profiles_key_the_cache_by_start_url(emu: Emulator) -> None:
    emu.seed_token_cache()
    fetcher = fetcher_for(
        emu,
        cache=RoleCredentialCache(),
        provider=CachedTokenProvider(emu.start_url, emu.region),
        sso_session_name=None,
    )
    fetcher.fetch()
    legacy = SSOCredentialFetcher(
        emu.start_url,
        emu.region,
        emu.default_role_name,
        emu.default_account_id,
        lambda *a, **k: None,
    )
    assert fetcher.entry is not None
    assert fetcher.entry.path.name == legacy._create_cache_key() + ".json"
    assert fetcher.entry.path.exists()


def test_aws_cli_reads_our_entry_without_calling_sso(emu: Emulator) -> None:
    ours = fetcher_for(emu, cache=RoleCredentialCache()).fetch()

    theirs = botocore_fetcher(emu).fetch_credentials()

    assert grc_calls(emu) == 1
    assert theirs["access_key"] == ours["access_key"]
    assert theirs["token"] == ours["token"]


def test_we_read_the_aws_cli_entry_without_calling_sso(emu: Emulator) -> None:
    emu.seed_token_cache()  # botocore's bare token loader reads the start-URL file
    theirs = botocore_fetcher(emu).fetch_credentials()  # botocore calls SSO and caches
    assert grc_calls(emu) == 1

    ours = fetcher_for(emu, cache=RoleCredentialCache()).fetch()

    assert grc_calls(emu) == 1
    assert ours["access_key"] == theirs["access_key"]
    assert ours["secret_key"] == theirs["secret_key"]


def test_another_fetcher_reuses_the_disk_entry(emu: Emulator) -> None:
    first = fetcher_for(emu, cache=RoleCredentialCache()).fetch()
    second = fetcher_for(emu, cache=RoleCredentialCache()).fetch()
    assert second == first
    assert grc_calls(emu) == 1


def _write_entry(path: Path, *, seconds_left: float, written_ago: float) -> None:
    expiration = datetime.fromtimestamp(time.time() + seconds_left, tz=timezone.utc)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "ProviderType": "sso",
                "Credentials": {
                    "AccessKeyId": "ASIAHANDWRITTEN00001",
                    "SecretAccessKey": "handwritten-secret",
                    "SessionToken": "handwritten-token",
                    "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "AccountId": "111111111111",
                },
            }
        )
    )
    then = time.time() - written_ago
    os.utime(path, (then, then))


@pytest.mark.parametrize(("seconds_left", "reused"), [(1800, True), (600, False), (-10, False)])
def test_cached_entry_is_reused_only_with_more_than_min_remaining_left(
    emu: Emulator, seconds_left: float, reused: bool
) -> None:
    fetcher = fetcher_for(emu, cache=RoleCredentialCache(), min_remaining=900)
    assert fetcher.entry is not None
    _write_entry(fetcher.entry.path, seconds_left=seconds_left, written_ago=1800)

    metadata = fetcher.fetch()

    assert (metadata["access_key"] == "ASIAHANDWRITTEN00001") is reused
    assert grc_calls(emu) == (0 if reused else 1)
    if not reused:  # the stale entry was replaced
        saved = json.loads(fetcher.entry.path.read_text())
        assert saved["Credentials"]["AccessKeyId"] == metadata["access_key"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"ProviderType": "sso", "Credentials": {"AccessKeyId": "AS',
        b"[1, 2, 3]",
        b'{"ProviderType": "sso", "Credentials": ["not", "an", "object"]}',
        b'{"ProviderType": "sso", "Credentials": {"AccessKeyId": 7, "SecretAccessKey": "x", '
        b'"SessionToken": "y", "Expiration": "2099-01-01T00:00:00Z"}}',
        b'{"ProviderType": "sso", "Credentials": {"AccessKeyId": "A", "SecretAccessKey": "x", '
        b'"SessionToken": "y", "Expiration": "next tuesday"}}',
        b'{"ProviderType": "assume-role", "Credentials": {}}',
    ],
    ids=["truncated", "list", "credentials-list", "key-not-string", "bad-date", "other-type"],
)
def test_corrupt_entry_is_set_aside_and_rewritten(
    emu: Emulator, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    fetcher = fetcher_for(emu, cache=RoleCredentialCache())
    assert fetcher.entry is not None
    path = fetcher.entry.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    metadata = fetcher.fetch()

    assert grc_calls(emu) == 1
    assert json.loads(path.read_text())["Credentials"]["AccessKeyId"] == metadata["access_key"]
    assert path.with_suffix(".corrupt").read_bytes() == content
    assert any(str(path) in r.getMessage() for r in caplog.records)


def test_invalidate_drops_memory_and_disk(emu: Emulator) -> None:
    fetcher = fetcher_for(emu, cache=RoleCredentialCache())
    first = fetcher.fetch()
    assert fetcher.entry is not None
    assert fetcher.entry.path.exists()

    fetcher.invalidate()

    assert not fetcher.entry.path.exists()
    second = fetcher.fetch()
    assert second["access_key"] != first["access_key"]
    assert grc_calls(emu) == 2


def test_cache_directory_that_is_a_file_is_a_clear_error(
    emu: Emulator, isolated_aws_home: Path
) -> None:
    (isolated_aws_home / ".aws" / "cli").mkdir(parents=True)
    (isolated_aws_home / ".aws" / "cli" / "cache").write_text("not a directory")
    with pytest.raises(CacheFileError, match="is a file, not a directory"):
        fetcher_for(emu, cache=RoleCredentialCache()).fetch()


# -- a rejected access token -----------------------------------------------------------------


def test_rejected_token_is_refreshed_once_and_the_call_retried(emu: Emulator) -> None:
    fetcher = fetcher_for(emu)
    emu.clock.advance(3601)  # the server now considers the access token expired

    metadata = fetcher.fetch()

    assert metadata["access_key"]
    assert emu.errors("GetRoleCredentials") == {"UnauthorizedException": 1}
    assert grc_calls(emu) == 2
    assert emu.calls("CreateToken") == 1


def test_token_rejected_even_after_refresh_is_login_required(emu: Emulator) -> None:
    emu.faults.fail_next("GetRoleCredentials", n=2, status=401, code="UnauthorizedException")

    with pytest.raises(LoginRequiredError) as caught:
        fetcher_for(emu).fetch()

    assert emu.calls("CreateToken") == 1
    assert grc_calls(emu) == 2
    assert emu.default_account_id in caught.value.reason
    assert "aws sso login --sso-session dev" in str(caught.value)
    cause = caught.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] == "UnauthorizedException"


def test_revoked_sign_in_is_login_required_with_the_refresh_failure_as_cause(
    emu: Emulator,
) -> None:
    emu.end_sign_in_sessions(revoke_access_tokens=True)

    with pytest.raises(LoginRequiredError) as caught:
        fetcher_for(emu).fetch()

    cause = caught.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] == "InvalidGrantException"
    assert emu.errors("GetRoleCredentials") == {"UnauthorizedException": 1}


# -- other failures ---------------------------------------------------------------------------


def test_role_not_assigned_is_a_credential_refresh_error(emu: Emulator) -> None:
    with pytest.raises(CredentialRefreshError) as caught:
        fetcher_for(emu, role_name="NoSuchRole").fetch()
    error = caught.value
    assert (error.account_id, error.role_name) == (emu.default_account_id, "NoSuchRole")
    assert (error.status_code, error.error_code) == (403, "ForbiddenException")
    assert "not allowed to use this role" in str(error)
    assert isinstance(error.__cause__, ClientError)


def test_resource_not_found_explains_what_to_check(emu: Emulator) -> None:
    emu.faults.fail_next("GetRoleCredentials", status=404, code="ResourceNotFoundException")
    with pytest.raises(CredentialRefreshError) as caught:
        fetcher_for(emu).fetch()
    assert caught.value.status_code == 404
    assert "check account_id and role_name" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [(429, "TooManyRequestsException", "throttled"), (500, None, "server error")],
)
def test_persistent_throttling_or_server_errors_are_reported_after_retries(
    emu: Emulator, status: int, code: str | None, words: str
) -> None:
    emu.faults.fail_next("GetRoleCredentials", n=5, status=status, code=code)
    with pytest.raises(CredentialRefreshError) as caught:
        fetcher_for(emu, http=FAST_FAIL).fetch()
    assert caught.value.status_code == status
    assert words in str(caught.value)
    assert 1 <= grc_calls(emu) <= 2  # bounded retries, no endless loop


def test_one_server_error_is_retried_by_botocore(emu: Emulator) -> None:
    emu.faults.fail_next("GetRoleCredentials", n=1, status=500)
    assert fetcher_for(emu).fetch()["access_key"]
    assert grc_calls(emu) == 2


def test_unreachable_endpoint_is_a_clear_error(emu: Emulator) -> None:
    fetcher = fetcher_for(emu, sso_endpoint_url=closed_port_url(), http=FAST_FAIL)
    with pytest.raises(CredentialRefreshError, match="could not connect to the SSO portal"):
        fetcher.fetch()
    assert grc_calls(emu) == 0  # the explicit endpoint won over AWS_ENDPOINT_URL_SSO


def test_slow_endpoint_times_out_with_a_clear_error(emu: Emulator) -> None:
    emu.faults.set("GetRoleCredentials", latency=1.5)
    slow = HttpSettings(connect_timeout=1, read_timeout=0.3, max_attempts=1)
    with pytest.raises(CredentialRefreshError, match="did not answer in time") as caught:
        fetcher_for(emu, http=slow).fetch()
    assert caught.value.error_code == "ReadTimeoutError"
    emu.faults.clear()


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_stay_out_of_reprs_and_debug_logs(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(emu)
    fetcher = fetcher_for(emu, cache=RoleCredentialCache(), provider=provider)
    metadata = fetcher.fetch()
    access_token = provider.get_token().access_token.get_secret_value()
    current = fetcher.current
    assert isinstance(current, RoleCredentials)

    shown = "\n".join([caplog.text, repr(fetcher), repr(current), str(current)])
    assert "GetRoleCredentials" in caplog.text
    for secret in (metadata["secret_key"], metadata["token"], access_token):
        assert secret not in shown


def test_short_lived_credentials_are_still_shared(
    sso_emulator_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = sso_emulator_factory(auto_approve=True, role_credentials_ttl=20)  # type: ignore[operator]
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    # min_remaining longer than the credentials live: reused for half their life instead.
    first = fetcher_for(emu, cache=RoleCredentialCache(), min_remaining=900).fetch()
    second = fetcher_for(emu, cache=RoleCredentialCache(), min_remaining=900).fetch()
    assert second["access_key"] == first["access_key"]
    assert grc_calls(emu) == 1


def test_reuse_is_decided_on_the_expiry_botocore_is_given() -> None:
    """botocore receives the exact expiry the fetcher decides reuse on (milliseconds kept).

    Handing botocore whole seconds let the fetcher reuse credentials with (say) 1.001 s left
    that botocore saw with 0.002 s left: "refreshed credentials are still expired".
    """
    credentials = RoleCredentials.from_api(
        {
            "accessKeyId": "ASIAEXAMPLE",
            "secretAccessKey": "secret",
            "sessionToken": "token",
            "expiration": 1_700_000_000_999,
        },
        "111111111111",
    )
    handed = parse_timestamp(credentials.to_botocore_metadata()["expiry_time"])
    assert handed == credentials.expiration
    assert handed.microsecond == 999_000
