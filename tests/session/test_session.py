"""SSORefreshableSession against the emulator: wiring, refresh windows, extras, errors, secrets."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import boto3
import pytest
from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

from refreshable_sso import _clock
from refreshable_sso._clock import OffsetClock
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    CredentialRefreshError,
    LoginRequiredError,
)
from refreshable_sso.session import SSORefreshableSession, TemporaryCredentials
from refreshable_sso.tokens.base import SSOToken
from tests.session.conftest import SSO_SESSION, seed, session_for

# -- wiring ---------------------------------------------------------------------------------


def test_is_a_boto3_session_whose_clients_use_the_sso_credentials(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    assert isinstance(session, boto3.Session)
    credentials = session.get_credentials()
    assert isinstance(credentials, DeferredRefreshableCredentials)
    assert credentials.method == "sso"
    sts = session.client("sts", endpoint_url=signed_in.url)
    answer = sts.get_caller_identity()
    assert answer["Account"] == signed_in.default_account_id
    assert session.whoami()["role_name"] == signed_in.default_role_name
    assert session.region_name == "eu-west-1"  # independent of the SSO region
    assert signed_in.calls("GetRoleCredentials") == 1


def test_resources_use_the_sso_credentials(signed_in: Emulator) -> None:
    session = session_for(signed_in, region_name="us-east-1")
    resource = session.resource("iam")
    frozen = resource.meta.client._request_signer._credentials.get_frozen_credentials()
    assert frozen.access_key == session.credentials.access_key


def test_endpoint_environment_variables_are_honoured(
    signed_in: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in signed_in.env().items():
        monkeypatch.setenv(name, value)
    session = session_for(signed_in, endpoints=None)
    assert session.whoami()["Account"] == signed_in.default_account_id
    assert session.client("sts").get_caller_identity()["Account"] == signed_in.default_account_id


def test_defer_refresh_true_fetches_on_first_use(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    assert signed_in.calls("GetRoleCredentials") == 0
    assert session.credentials_expiration is None
    assert session.last_refresh_time is None
    assert session.needs_refresh
    session.whoami()
    assert signed_in.calls("GetRoleCredentials") == 1
    assert session.credentials_expiration is not None
    assert not session.needs_refresh


def test_defer_refresh_false_fetches_at_construction(signed_in: Emulator) -> None:
    session = session_for(signed_in, defer_refresh=False)
    credentials = session.get_credentials()
    assert isinstance(credentials, RefreshableCredentials)  # botocore's, with our fast path
    assert not isinstance(credentials, DeferredRefreshableCredentials)  # fetched at construction
    assert signed_in.calls("GetRoleCredentials") == 1
    assert session.credentials_expiration is not None
    session.whoami()
    assert signed_in.calls("GetRoleCredentials") == 1


@pytest.mark.parametrize("defer", [True, False])
def test_advisory_window_honoured_in_both_modes(
    sso_emulator_factory: object, shared_clock: OffsetClock, defer: bool
) -> None:
    # On the shared virtual clock: the wait into the advisory window is one advance().
    # 6 s credentials: botocore's default 15-minute window would refetch on every call.
    emu = sso_emulator_factory(auto_approve=True, role_credentials_ttl=6)  # type: ignore[operator]
    seed(emu)
    session = session_for(
        emu,
        defer_refresh=defer,
        advisory_timeout=3.0,
        mandatory_timeout=1.0,
        cache_credentials=False,
    )
    session.whoami()
    session.whoami()
    assert emu.calls("GetRoleCredentials") == 1, "refreshed outside the advisory window"
    expiry = session.credentials_expiration
    assert expiry is not None
    first_key = session.credentials.access_key
    # Into the advisory window (1.6 s left: inside advisory 3 s, outside mandatory 1 s).
    # Expiry times are handed to botocore in whole seconds, so up to 1 s more may be left.
    shared_clock.advance(max(0.0, (expiry - _clock.now()).total_seconds() - 1.6))
    assert session.needs_refresh
    session.whoami()
    assert emu.calls("GetRoleCredentials") == 2
    assert session.credentials.access_key != first_key
    assert session.credentials_expiration is not None
    assert session.credentials_expiration > expiry


# -- extras (ensure_valid_credentials & co) --------------------------------------------------


def test_credentials_snapshot_and_reprs_mask_secrets(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    credentials = session.refreshable_credentials()
    assert isinstance(credentials, TemporaryCredentials)
    assert credentials == session.credentials
    assert credentials.expiry_time == session.credentials_expiration
    for text in (repr(credentials), str(credentials), repr(session), str(session)):
        assert credentials.secret_key not in text
        assert credentials.token not in text
        assert credentials.access_key not in text
    assert "****" in repr(credentials)
    assert credentials.as_dict()["secret_key"] == credentials.secret_key
    token = json.loads((Path.home() / ".aws/sso/cache").glob("*.json").__next__().read_text())
    assert token["accessToken"] not in repr(session)


def test_ensure_valid_and_forced_refresh(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    first = session.ensure_valid_credentials()
    assert signed_in.calls("GetRoleCredentials") == 1
    refreshed_at = session.last_refresh_time
    assert refreshed_at is not None
    assert session.ensure_valid_credentials() == first  # nothing due: no new fetch
    assert signed_in.calls("GetRoleCredentials") == 1
    forced = session.refresh_credentials(force=True)
    assert signed_in.calls("GetRoleCredentials") == 2
    assert forced.access_key != first.access_key
    assert session.last_refresh_time is not None
    assert session.last_refresh_time >= refreshed_at
    assert session.refresh_count == 2
    assert session.expiration_time == forced.expiry_time


def test_ensure_valid_raises_when_refresh_impossible(sso_emulator: Emulator) -> None:
    session = session_for(sso_emulator)  # nobody signed in
    with pytest.raises(LoginRequiredError) as caught:
        session.ensure_valid_credentials()
    assert SSO_SESSION in str(caught.value)
    assert "login" in str(caught.value)


def test_context_manager_clears_client_cache(signed_in: Emulator) -> None:
    with session_for(signed_in) as session:
        session.client("sts", region_name="us-east-1")
        assert session.cache_info().size == 1
    assert session.cache_info().size == 0


def test_for_role_shares_the_token_provider(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    sibling = session.for_role("222222222222", "AdministratorAccess")
    assert sibling.token_provider is session.token_provider
    assert sibling.region_name == session.region_name
    assert sibling.sso_config.start_url == session.sso_config.start_url
    assert sibling.whoami()["Account"] == "222222222222"
    assert sibling.whoami()["role_name"] == "AdministratorAccess"
    assert session.whoami()["Account"] == signed_in.default_account_id
    with pytest.raises(ConfigurationError, match="account_id"):
        session.for_role("2222", "AdministratorAccess")


def test_list_accounts_and_roles_delegate_to_discovery(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    accounts = {account.account_id for account in session.list_accounts()}
    assert {"111111111111", "222222222222", "333333333333"} <= accounts
    roles = {role.role_name for role in session.list_roles("111111111111")}
    assert {"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"} <= roles


def test_custom_token_provider_feeds_the_session(sso_emulator: Emulator) -> None:
    raw = sso_emulator.sign_in()
    calls: list[bool] = []

    class Provider:
        def get_token(self, *, force_refresh: bool = False) -> SSOToken:
            calls.append(force_refresh)
            return SSOToken.from_cache_dict(raw)

    session = session_for(sso_emulator, token_provider=Provider())
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    assert calls


# -- configuration errors through the session --------------------------------------------------


def test_bad_arguments_list_every_field(sso_emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SSORefreshableSession(
            start_url="http://portal.example.com/start",
            sso_region="mars",
            account_id="42",
            role_name="no spaces allowed",
            advisory_timeout=10,
            mandatory_timeout=20,
            max_size=-1,
            http={"read_timeout": -1},
        )
    fields = [problem.split(":", 1)[0] for problem in caught.value.problems]
    assert fields == [
        "start_url",
        "sso_region",
        "account_id",
        "role_name",
        "mandatory_timeout",
        "max_size",
        "read_timeout",
    ]


def test_static_keys_refused_and_masked(sso_emulator: Emulator) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with pytest.raises(ConfigurationError) as caught:
        session_for(sso_emulator, aws_secret_access_key=secret)
    assert "aws_secret_access_key" in str(caught.value)
    assert secret not in str(caught.value)


def test_unknown_argument_and_bad_provider(sso_emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="advisory_timout: unknown argument"):
        session_for(sso_emulator, advisory_timout=5)
    with pytest.raises(ConfigurationError) as caught:
        session_for(sso_emulator, token_provider=object(), account_id="12")
    fields = [problem.split(":", 1)[0] for problem in caught.value.problems]
    assert fields == ["token_provider", "account_id"]
    assert "get_token" in str(caught.value)


def test_models_and_dicts_are_accepted(signed_in: Emulator) -> None:
    from refreshable_sso.config import RefreshConfig, SSOConfig

    sso = SSOConfig(
        start_url=signed_in.start_url,
        sso_region=signed_in.region,
        account_id=signed_in.default_account_id,
        role_name=signed_in.default_role_name,
        sso_session_name=SSO_SESSION,
    )
    session = SSORefreshableSession(
        sso=sso,
        refresh=RefreshConfig(advisory_timeout=120, mandatory_timeout=60),
        endpoints={"sso": signed_in.url, "sso_oidc": signed_in.url, "sts": signed_in.url},
        client_cache={"eviction_policy": "LFU", "max_size": 3},
        mandatory_timeout=30,  # keyword arguments win over the model
    )
    assert session.sso_config == sso
    assert session.refresh_config.mandatory_timeout == 30
    assert session.cache_info().policy == "LFU"
    assert session.whoami()["Account"] == signed_in.default_account_id


# -- faults -------------------------------------------------------------------------------------


def _wait_until_left(session: SSORefreshableSession, seconds: float, clock: OffsetClock) -> None:
    """Advance the shared virtual ``clock`` until ``seconds`` of the credentials are left."""
    expiry = session.credentials_expiration
    assert expiry is not None
    clock.advance(max(0.0, (expiry - _clock.now()).total_seconds() - seconds))


@pytest.mark.parametrize("status", [500, 429])
def test_sso_errors_in_advisory_window_keep_old_credentials(
    sso_emulator_factory: object, shared_clock: OffsetClock, status: int
) -> None:
    emu = sso_emulator_factory(auto_approve=True, role_credentials_ttl=12)  # type: ignore[operator]
    seed(emu)
    session = session_for(
        emu,
        advisory_timeout=10.0,
        mandatory_timeout=1.0,
        http={"max_attempts": 1},
        cache_credentials=False,
    )
    old = session.credentials
    # 4.5 s left: inside the advisory window (10 s) and past half the lifetime (the fetcher
    # reuses credentials with more than half their life left, and expiry times reach botocore
    # in whole seconds), well outside the mandatory window (1 s).
    _wait_until_left(session, 4.5, shared_clock)
    emu.faults.fail_next("GetRoleCredentials", n=50, status=status)
    for _ in range(3):
        assert session.whoami()["Account"] == emu.default_account_id
    assert session.credentials.access_key == old.access_key
    # Each call in the advisory window tried once (botocore's rule) and carried on when it failed.
    assert sum(emu.errors("GetRoleCredentials").values()) >= 3
    emu.faults.clear()
    session.whoami()
    assert session.credentials.access_key != old.access_key


def test_retries_with_backoff_ride_over_transient_errors(
    virtual_backoff: list[float], signed_in: Emulator
) -> None:
    session = session_for(signed_in, http={"max_attempts": 4})
    signed_in.faults.fail_next("GetRoleCredentials", n=2, status=500)
    signed_in.faults.fail_next("GetRoleCredentials", n=1, status=429)
    assert session.whoami()["Account"] == signed_in.default_account_id
    assert sum(signed_in.errors("GetRoleCredentials").values()) == 3
    assert signed_in.calls("GetRoleCredentials") == 4
    assert len(virtual_backoff) == 3  # with a backoff before each retry


def test_max_attempts_counts_the_first_try(signed_in: Emulator) -> None:
    session = session_for(signed_in, http={"max_attempts": 1}, cache_credentials=False)
    signed_in.faults.fail_next("GetRoleCredentials", n=1, status=500)
    with pytest.raises(CredentialRefreshError) as caught:
        session.whoami()  # first fetch: nothing to fall back on
    assert caught.value.status_code == 500
    assert signed_in.calls("GetRoleCredentials") == 1
    assert session.whoami()["Account"] == signed_in.default_account_id


def test_sso_hanging_in_mandatory_window_fails_clearly_in_bounded_time(
    sso_emulator_factory: object, shared_clock: OffsetClock, virtual_backoff: list[float]
) -> None:
    """SSO answers after 3 s, past the 0.25 s read timeout of each of two attempts: the two
    real read timeouts are what is tested; botocore's backoff between them passes on the
    virtual clock."""
    emu = sso_emulator_factory(auto_approve=True, role_credentials_ttl=5)  # type: ignore[operator]
    seed(emu)
    session = session_for(
        emu,
        advisory_timeout=3.0,
        mandatory_timeout=2.0,
        http={"read_timeout": 0.25, "connect_timeout": 0.25, "max_attempts": 2},
        cache_credentials=False,
    )
    session.whoami()
    emu.faults.set("GetRoleCredentials", latency=3.0)
    _wait_until_left(session, 1.0, shared_clock)  # inside the mandatory window (2 s)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            session.whoami()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(timeout=30)  # guard against a hang, not a speed assertion
    assert not worker.is_alive(), "whoami hung while SSO was not answering"
    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, CredentialRefreshError)
    assert error.account_id == emu.default_account_id
    assert error.role_name == emu.default_role_name
    assert error.__cause__ is not None
    assert len(virtual_backoff) == 1  # botocore retried once, after its backoff
    emu.faults.clear()


def test_sso_down_is_credential_refresh_error(sso_emulator: Emulator) -> None:
    seed(sso_emulator)
    session = session_for(
        sso_emulator,
        endpoints={"sso": "http://127.0.0.1:9", "sts": sso_emulator.url},
        http={"connect_timeout": 0.5, "read_timeout": 0.5, "max_attempts": 1},
    )
    with pytest.raises(CredentialRefreshError) as caught:
        session.whoami()
    assert caught.value.__cause__ is not None


def test_no_token_is_login_required(sso_emulator: Emulator) -> None:
    session = session_for(sso_emulator)
    with pytest.raises(LoginRequiredError) as caught:
        session.whoami()
    assert caught.value.sso_session_name == SSO_SESSION
    assert "aws sso login --sso-session corp" in str(caught.value)


def test_sign_in_session_over_is_login_required(signed_in: Emulator) -> None:
    session = session_for(signed_in, cache_credentials=False)
    session.whoami()
    signed_in.end_sign_in_sessions(revoke_access_tokens=True)
    with pytest.raises(LoginRequiredError) as caught:
        session.refresh_credentials(force=True)
    assert caught.value.__cause__ is not None


# -- secrets in logs ------------------------------------------------------------------------------


def test_secrets_absent_from_debug_logs(
    sso_emulator_factory: object, shared_clock: OffsetClock, caplog: pytest.LogCaptureFixture
) -> None:
    emu = sso_emulator_factory(auto_approve=True, role_credentials_ttl=4, access_token_ttl=5)  # type: ignore[operator]
    path = seed(emu)
    caplog.set_level(logging.DEBUG)  # every logger, botocore's wire logs included
    session = session_for(
        emu, advisory_timeout=2.0, mandatory_timeout=1.0, token_refresh_window=3.0
    )
    secrets: set[str] = set()
    for _ in range(3):
        token = json.loads(path.read_text())
        secrets |= {token["accessToken"], token["refreshToken"], token["clientSecret"]}
        session.whoami()
        credentials = session.credentials
        secrets |= {credentials.secret_key, credentials.token}
        shared_clock.advance(2.2)  # on the shared clock: credentials and token age as if slept
    session.whoami()
    assert emu.calls("CreateToken") >= 1  # a token refresh was logged about, too
    names = {record.name for record in caplog.records}
    assert any(name.startswith("refreshable_sso") for name in names)
    assert "botocore.endpoint" in names  # the wire logs were captured, and must be masked
    text = caplog.text + "".join(repr(record.args) for record in caplog.records)
    for secret in secrets:
        assert secret not in text


# -- login policy wiring --------------------------------------------------------------------------


def test_login_auto_signs_in_through_the_given_provider(sso_emulator: Emulator) -> None:
    from refreshable_sso.tokens.login.device import DeviceCodeProvider

    events: list[object] = []
    provider = DeviceCodeProvider(
        sso_emulator.start_url,
        sso_emulator.region,
        sso_session_name=SSO_SESSION,
        open_browser=False,
        oidc_endpoint_url=sso_emulator.url,
        notifier=lambda text: None,
        timeout=30,
    )
    session = session_for(
        sso_emulator, login="auto", login_provider=provider, on_login=events.append
    )
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    assert events, "on_login was not told about the login"
    # The login went to the shared token cache: a plain 'never' session now works too.
    assert session_for(sso_emulator).whoami()["Account"] == sso_emulator.default_account_id


def test_login_flow_device_is_used_by_auto_login(sso_emulator: Emulator) -> None:
    """login_flow='device' chooses the device code for the session's own interactive login."""
    told: list[object] = []  # LoginEvents; the emulator approves the device code at once
    session = session_for(sso_emulator, login="auto", login_flow="device", on_login=told.append)
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    assert sso_emulator.calls("StartDeviceAuthorization") == 1
    assert told, "on_login was not told about the login"


def test_default_login_policy_is_never_without_a_terminal(sso_emulator: Emulator) -> None:
    """Under pytest (stdin is no TTY) the default is 'never': a clear error, no waiting."""
    with pytest.raises(LoginRequiredError):
        session_for(sso_emulator).whoami()
    assert sso_emulator.calls("StartDeviceAuthorization") == 0


def test_login_provider_without_auto_is_refused(sso_emulator: Emulator) -> None:
    from refreshable_sso.tokens.simple import StaticTokenProvider

    token = SSOToken.from_cache_dict(sso_emulator.sign_in())
    with pytest.raises(ConfigurationError, match="login='auto'"):
        session_for(sso_emulator, login_provider=StaticTokenProvider(token))


# -- bad cache files --------------------------------------------------------------------------------


def test_corrupt_token_file_is_login_required(sso_emulator: Emulator) -> None:
    path = seed(sso_emulator)
    path.write_text('{"accessToken": "abc", "expiresAt": ')  # truncated
    with pytest.raises(LoginRequiredError) as caught:
        session_for(sso_emulator).whoami()
    assert SSO_SESSION in str(caught.value)


def test_corrupt_role_credential_cache_is_replaced(signed_in: Emulator) -> None:
    from refreshable_sso.storage.paths import role_credentials_cache_path

    path = role_credentials_cache_path(
        signed_in.default_account_id, signed_in.default_role_name, sso_session_name=SSO_SESSION
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"ProviderType": "sso", "Credentials": [1, 2]}')
    assert session_for(signed_in).whoami()["Account"] == signed_in.default_account_id
    entry = json.loads(path.read_text())
    assert entry["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_role_credential_cache_shared_between_sessions(signed_in: Emulator) -> None:
    session_for(signed_in).whoami()
    session_for(signed_in).whoami()  # a second program on the machine: reads the disk cache
    assert signed_in.calls("GetRoleCredentials") == 1
    session_for(signed_in, cache_credentials=False).whoami()
    assert signed_in.calls("GetRoleCredentials") == 2


def test_credential_cache_dir_that_is_a_file(signed_in: Emulator, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    session = session_for(signed_in, credential_cache_dir=blocker)
    with pytest.raises(CacheFileError) as caught:
        session.whoami()
    assert str(blocker) in str(caught.value)
    assert "is a file, not a directory" in str(caught.value)
    # Switching the shared cache off is the way out.
    assert session_for(signed_in, cache_credentials=False).whoami()["Account"] == "111111111111"


def test_defer_refresh_false_reports_problems_at_construction(sso_emulator: Emulator) -> None:
    with pytest.raises(LoginRequiredError):
        session_for(sso_emulator, defer_refresh=False)  # nobody signed in
    assert sso_emulator.calls("GetRoleCredentials") == 0


def test_sso_calls_use_the_sso_region_not_region_name(
    signed_in: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    regions: list[str] = []
    for name, value in signed_in.env().items():
        monkeypatch.setenv(name, value)
    session = session_for(signed_in, endpoints=None, region_name="ap-southeast-2")
    fetcher_client = session._fetcher._sso()
    fetcher_client.meta.events.register(
        "before-call.sso.GetRoleCredentials",
        lambda context, **_: regions.append(context["client_region"]),
    )
    session.whoami()
    assert regions == [signed_in.region]
    assert session.region_name == "ap-southeast-2"
