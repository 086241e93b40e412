"""CachedTokenProvider against the emulator over real HTTP: reading, refreshing, failing well."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from refreshable_sso.aws.clients import HttpSettings, oidc_client
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    CacheFileError,
    LoginRequiredError,
    TokenProviderError,
)
from refreshable_sso.storage.files import CacheLockTimeoutError, JsonCacheFile
from refreshable_sso.tokens.base import TokenProvider
from refreshable_sso.tokens.cached import CachedTokenProvider

from .helpers import SSO_SESSION, age_token, read_json, refresh_calls

# Few attempts, short timeouts: failures come quickly. (Injected faults outnumber attempts.)
FAST_FAIL = HttpSettings(connect_timeout=1, read_timeout=2, max_attempts=1)


@pytest.fixture
def emu(sso_emulator_env: Emulator) -> Emulator:
    return sso_emulator_env


@pytest.fixture
def token_path(emu: Emulator) -> Path:
    """A token as `aws sso login --sso-session dev` leaves it in ~/.aws/sso/cache."""
    return emu.seed_token_cache(sso_session_name=SSO_SESSION)


def provider_for(emu: Emulator, **options: object) -> CachedTokenProvider:
    return CachedTokenProvider(
        emu.start_url,
        emu.region,
        sso_session_name=options.pop("sso_session_name", SSO_SESSION),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def write_sso_profile(home: Path, emu: Emulator) -> None:
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[profile dev]\n"
        f"sso_session = {SSO_SESSION}\n"
        f"sso_account_id = {emu.default_account_id}\n"
        f"sso_role_name = {emu.default_role_name}\n"
        f"region = {emu.region}\n\n"
        f"[sso-session {SSO_SESSION}]\n"
        f"sso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\n"
        f"sso_registration_scopes = sso:account:access\n"
    )


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- reading ------------------------------------------------------------------------------


def test_reads_the_token_aws_sso_login_wrote_without_refreshing(
    emu: Emulator, token_path: Path
) -> None:
    provider = provider_for(emu)
    assert isinstance(provider, TokenProvider)

    token = provider.get_token()

    assert token.access_token.get_secret_value() == read_json(token_path)["accessToken"]
    assert token.start_url == emu.start_url
    assert provider.path == token_path
    assert refresh_calls(emu) == 0


def test_legacy_profiles_use_the_start_url_file(emu: Emulator) -> None:
    path = emu.seed_token_cache()  # no sso-session: file named after the start URL
    provider = CachedTokenProvider(emu.start_url, emu.region)
    assert provider.path == path
    assert provider.get_token().access_token.get_secret_value() == read_json(path)["accessToken"]


def test_token_is_kept_in_memory_until_the_file_changes(emu: Emulator, token_path: Path) -> None:
    provider = provider_for(emu)
    first = provider.get_token()
    assert provider.get_token() is first  # not re-read while the file is unchanged

    emu.seed_token_cache(sso_session_name=SSO_SESSION)  # a new login replaces the file
    second = provider.get_token()

    assert second is not first
    assert second.access_token.get_secret_value() == read_json(token_path)["accessToken"]


# -- refreshing ---------------------------------------------------------------------------


def test_refreshes_inside_the_window_and_saves_the_rotated_refresh_token(
    emu: Emulator, token_path: Path
) -> None:
    old = age_token(token_path, seconds_left=120)
    provider = provider_for(emu, refresh_window=900)

    token = provider.get_token()

    saved = read_json(token_path)
    assert refresh_calls(emu) == 1
    assert token.access_token.get_secret_value() == saved["accessToken"] != old["accessToken"]
    assert saved["refreshToken"] != old["refreshToken"]
    assert token.seconds_left() > 3000
    for key in ("clientId", "clientSecret", "registrationExpiresAt", "startUrl", "region"):
        assert saved[key] == old[key]
    assert JsonCacheFile(token_path).version() is not None
    assert oct(token_path.stat().st_mode & 0o777) == "0o600"
    # The old refresh token is spent: the emulator refuses it now.
    with pytest.raises(ClientError) as spent:
        oidc_client(emu.region).create_token(
            grantType="refresh_token",
            clientId=old["clientId"],
            clientSecret=old["clientSecret"],
            refreshToken=old["refreshToken"],
        )
    assert spent.value.response["Error"]["Code"] == "InvalidGrantException"
    # Fresh now: no further refresh (the one extra call was ours, just above).
    assert provider.get_token() is token
    assert refresh_calls(emu) == 2


def test_refreshes_an_expired_token(emu: Emulator, token_path: Path) -> None:
    age_token(token_path, seconds_left=-600)
    token = provider_for(emu).get_token()
    assert not token.expires_within(0)
    assert refresh_calls(emu) == 1


def test_short_lived_tokens_are_refreshed_at_half_life_not_on_every_call(
    sso_emulator_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = sso_emulator_factory(auto_approve=True, access_token_ttl=40)  # type: ignore[operator]
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    provider = provider_for(emu, refresh_window=900)  # window longer than the token lives

    for _ in range(5):
        provider.get_token()

    assert refresh_calls(emu) == 0


def test_unknown_keys_in_the_file_survive_a_refresh(emu: Emulator, token_path: Path) -> None:
    age_token(token_path, seconds_left=60, futureKey={"nested": [1, 2]}, otherTool="kept")
    provider_for(emu).get_token()
    saved = read_json(token_path)
    assert saved["futureKey"] == {"nested": [1, 2]}
    assert saved["otherTool"] == "kept"
    assert refresh_calls(emu) == 1


def test_uses_a_token_another_process_refreshed_while_it_waited_for_the_lock(
    emu: Emulator, token_path: Path
) -> None:
    age_token(token_path, seconds_left=60)
    provider = provider_for(emu)
    holder = provider_for(emu)
    result: list[object] = []
    with provider.cache.lock(timeout=30):
        waiter = threading.Thread(target=lambda: result.append(provider.get_token()))
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # it decided to refresh and now waits for the lock
        # Meanwhile "another process" refreshes (this thread holds the lock: it may).
        fresh = holder._refresh_locked(None, force=True)
    waiter.join(timeout=30)

    assert refresh_calls(emu) == 1
    assert [t.access_token for t in result] == [fresh.access_token]  # type: ignore[attr-defined]


def test_sixteen_threads_refresh_once(emu: Emulator, token_path: Path) -> None:
    age_token(token_path, seconds_left=30)
    shared = provider_for(emu)
    barrier = threading.Barrier(16)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        provider = shared if index % 2 else provider_for(emu)  # shared and separate instances
        barrier.wait(timeout=30)
        try:
            tokens.append(provider.get_token().access_token.get_secret_value())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert refresh_calls(emu) == 1
    assert emu.errors("CreateToken") == {}
    assert set(tokens) == {read_json(token_path)["accessToken"]}


def test_force_refresh_replaces_a_token_the_server_rejected(
    emu: Emulator, token_path: Path
) -> None:
    provider = provider_for(emu)
    rejected = provider.get_token()

    fresh = provider.get_token(force_refresh=True)

    assert fresh.access_token != rejected.access_token
    assert refresh_calls(emu) == 1
    # A second provider told the same token was rejected uses the new one, no second refresh.
    other = provider_for(emu)
    other._last_issued = rejected
    assert other.get_token(force_refresh=True).access_token == fresh.access_token
    assert refresh_calls(emu) == 1


def test_explicit_oidc_endpoint_wins_over_the_environment(emu: Emulator, token_path: Path) -> None:
    age_token(token_path, seconds_left=-60)
    provider = provider_for(emu, oidc_endpoint_url=closed_port_url(), http=FAST_FAIL)
    with pytest.raises(TokenProviderError, match="could not reach SSO-OIDC"):
        provider.get_token()
    assert refresh_calls(emu) == 0  # the environment's emulator was not used


# -- interop with plain botocore / boto3 ----------------------------------------------------


_PLAIN_BOTO3 = (
    "import boto3, json; "
    "session = boto3.Session(profile_name='dev'); "
    "print(json.dumps(session.client('sts').get_caller_identity()['Account']))"
)


def run_plain_boto3() -> str:
    """Plain, unmodified boto3 in its own process (botocore fixes its cache dir at import)."""
    done = subprocess.run(
        [sys.executable, "-c", _PLAIN_BOTO3],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    account: str = json.loads(done.stdout)
    return account


def test_a_token_we_refreshed_works_with_plain_boto3(
    emu: Emulator, token_path: Path, isolated_aws_home: Path
) -> None:
    age_token(token_path, seconds_left=-60)
    provider_for(emu).get_token()
    write_sso_profile(isolated_aws_home, emu)

    assert run_plain_boto3() == emu.default_account_id
    assert refresh_calls(emu) == 1  # boto3 used our fresh token as it is


def test_botocore_refreshes_our_token_and_we_read_its_result(
    emu: Emulator, token_path: Path, isolated_aws_home: Path
) -> None:
    provider = provider_for(emu, refresh_window=60)
    ours = provider.get_token()
    age_token(token_path, seconds_left=300)  # inside botocore's 15 minutes, outside our 60 s
    write_sso_profile(isolated_aws_home, emu)

    assert run_plain_boto3() == emu.default_account_id

    assert refresh_calls(emu) == 1  # botocore refreshed with the refresh token in our file
    after = provider.get_token()
    assert after.access_token.get_secret_value() == read_json(token_path)["accessToken"]
    assert after.access_token != ours.access_token
    assert refresh_calls(emu) == 1


# -- when no token can be had --------------------------------------------------------------


def test_no_cache_file_means_login_required(emu: Emulator) -> None:
    provider = provider_for(emu)
    with pytest.raises(LoginRequiredError) as caught:
        provider.get_token()
    error = caught.value
    assert error.sso_session_name == SSO_SESSION
    assert error.start_url == emu.start_url
    assert str(provider.path) in error.reason
    assert "aws sso login --sso-session dev" in str(error)


def test_sign_in_session_ended_means_login_required_with_the_cause(
    emu: Emulator, token_path: Path
) -> None:
    age_token(token_path, seconds_left=-5)
    emu.end_sign_in_sessions()

    with pytest.raises(LoginRequiredError) as caught:
        provider_for(emu).get_token()

    assert "InvalidGrantException" in caught.value.reason
    assert "sign-in session has ended" in caught.value.reason
    cause = caught.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] == "InvalidGrantException"
    assert emu.errors("CreateToken") == {"InvalidGrantException": 1}


def test_failed_refresh_keeps_using_the_still_valid_token(
    emu: Emulator, token_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = age_token(token_path, seconds_left=120)
    emu.end_sign_in_sessions()
    provider = provider_for(emu)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    token = provider.get_token()
    again = provider.get_token()

    assert token.access_token.get_secret_value() == data["accessToken"]
    assert again is token
    assert refresh_calls(emu) == 1  # a refused refresh token is not tried again and again
    assert any("Could not refresh" in r.getMessage() for r in caplog.records)


def test_failed_refresh_after_the_server_rejected_the_token_is_login_required(
    emu: Emulator, token_path: Path
) -> None:
    provider = provider_for(emu)
    provider.get_token()
    emu.end_sign_in_sessions(revoke_access_tokens=True)

    with pytest.raises(LoginRequiredError) as caught:
        provider.get_token(force_refresh=True)
    assert isinstance(caught.value.__cause__, ClientError)


@pytest.mark.parametrize(("status", "code"), [(500, "InternalServerException"), (429, None)])
def test_transient_failure_with_an_expired_token_is_not_login_required(
    emu: Emulator, token_path: Path, status: int, code: str | None
) -> None:
    age_token(token_path, seconds_left=-5)
    emu.faults.fail_next("CreateToken", n=4, status=status, code=code)

    with pytest.raises(TokenProviderError) as caught:
        provider_for(emu, http=FAST_FAIL).get_token()

    assert not isinstance(caught.value, LoginRequiredError)
    assert f"HTTP {status}" in str(caught.value)
    assert "expired at" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


def test_transient_failure_with_a_valid_token_returns_the_valid_token(
    emu: Emulator, token_path: Path
) -> None:
    data = age_token(token_path, seconds_left=120)
    emu.faults.fail_next("CreateToken", n=4, status=500)
    token = provider_for(emu, http=FAST_FAIL).get_token()
    assert token.access_token.get_secret_value() == data["accessToken"]


def test_refresh_retries_transient_errors_itself(
    virtual_backoff: list[float], emu: Emulator, token_path: Path
) -> None:
    age_token(token_path, seconds_left=-5)
    emu.faults.fail_next("CreateToken", n=1, status=500)
    token = provider_for(emu, http=HttpSettings(max_attempts=3)).get_token()
    assert not token.expires_within(0)
    assert refresh_calls(emu) == 2  # botocore's standard retry did the second attempt
    assert len(virtual_backoff) == 1  # after its backoff (on the shared clock)


def test_expired_token_without_refresh_token_is_login_required(
    emu: Emulator, token_path: Path
) -> None:
    age_token(token_path, seconds_left=-5, refreshToken=None)
    with pytest.raises(LoginRequiredError, match="has no refresh token"):
        provider_for(emu).get_token()
    assert refresh_calls(emu) == 0


def test_valid_token_without_refresh_token_is_used_until_it_expires(
    emu: Emulator, token_path: Path
) -> None:
    data = age_token(token_path, seconds_left=120, refreshToken=None, clientSecret=None)
    token = provider_for(emu).get_token()
    assert token.access_token.get_secret_value() == data["accessToken"]


def test_expired_client_registration_is_login_required(emu: Emulator, token_path: Path) -> None:
    age_token(token_path, seconds_left=-5, registrationExpiresAt="2020-01-01T00:00:00Z")
    with pytest.raises(LoginRequiredError, match=r"registration .* expired at 2020-01-01"):
        provider_for(emu).get_token()
    assert refresh_calls(emu) == 0


def test_start_url_with_a_trailing_slash_is_the_same_start_url(
    emu: Emulator, token_path: Path
) -> None:
    data = age_token(token_path, seconds_left=3000, written_ago=0, startUrl=emu.start_url + "/")
    assert provider_for(emu).get_token().access_token.get_secret_value() == data["accessToken"]


def test_token_of_another_start_url_is_not_used(emu: Emulator, token_path: Path) -> None:
    age_token(
        token_path, seconds_left=3000, written_ago=0, startUrl="https://other.awsapps.com/start"
    )
    with pytest.raises(LoginRequiredError, match="belongs to start URL"):
        provider_for(emu).get_token()


@pytest.mark.parametrize(
    "content",
    [b'{"accessToken": "abc", "expi', b'{"accessToken": 42, "expiresAt": "x"}', b"[]"],
    ids=["truncated", "wrong-type", "list"],
)
def test_corrupt_token_file_is_set_aside_and_login_required(
    emu: Emulator, token_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    token_path.write_bytes(content)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    with pytest.raises(LoginRequiredError, match="absent"):
        provider_for(emu).get_token()

    assert token_path.with_suffix(".corrupt").read_bytes() == content
    assert any(str(token_path) in r.getMessage() for r in caplog.records)
    # A new login (any tool) then works.
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    assert provider_for(emu).get_token()


def test_token_cache_directory_that_is_a_file_is_a_clear_error(
    emu: Emulator, isolated_aws_home: Path
) -> None:
    (isolated_aws_home / ".aws").mkdir()
    (isolated_aws_home / ".aws" / "sso").write_text("not a directory")
    with pytest.raises(CacheFileError, match="is a file, not a directory"):
        provider_for(emu).get_token()


# -- secrets ------------------------------------------------------------------------------


def test_secrets_stay_out_of_reprs_errors_and_debug_logs(
    emu: Emulator, token_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, botocore's wire logging included
    old = age_token(token_path, seconds_left=-5)
    provider = provider_for(emu)
    token = provider.get_token()
    new = read_json(token_path)
    emu.end_sign_in_sessions(revoke_access_tokens=True)
    with pytest.raises(LoginRequiredError) as caught:
        provider.get_token(force_refresh=True)

    secrets = {
        old["accessToken"],
        old["refreshToken"],
        old["clientSecret"],
        new["accessToken"],
        new["refreshToken"],
    }
    shown = "\n".join(
        [
            caplog.text,
            repr(provider),
            repr(token),
            str(token),
            str(caught.value),
            repr(caught.value),
        ]
    )
    assert "CreateToken" in caplog.text  # botocore did log the calls...
    for secret in secrets:
        assert secret not in shown  # ...but without the secrets


_LOCK_HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from refreshable_sso.storage.files import JsonCacheFile\n"
    "with JsonCacheFile(Path(sys.argv[1])).lock(timeout=10):\n"
    "    print('locked', flush=True)\n"
    "    sys.stdin.read()\n"
)


def test_lock_held_elsewhere_too_long_keeps_a_valid_token_and_reports_an_expired_one(
    emu: Emulator, token_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, str(token_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        caplog.set_level(logging.WARNING, logger="refreshable_sso")
        data = age_token(token_path, seconds_left=120)
        provider = provider_for(emu)
        provider._lock_timeout = 0.3  # white-box: the real bound is minutes

        token = provider.get_token()  # inside the window, but the lock is not to be had

        assert token.access_token.get_secret_value() == data["accessToken"]
        assert any("Could not lock" in r.getMessage() for r in caplog.records)
        age_token(token_path, seconds_left=-5)
        with pytest.raises(CacheLockTimeoutError, match="another process"):
            provider.get_token()
        assert refresh_calls(emu) == 0
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
