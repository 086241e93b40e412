"""The server's own reason reaches our messages on every botocore we support (>= 1.34).

SSO-OIDC answers the OAuth 2.0 way, with ``error_description``; botocore before 1.40-something
leaves ``Error.Message`` empty then, so a message built from it alone says nothing. These tests
run in the default envs and in tox's ``oldest`` env, which pins botocore 1.34.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from refreshable_sso.aws.clients import error_message, oidc_client, sso_client, sts_client
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginError, TokenProviderError
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from tests.tokens.helpers import age_token

WRONG_START_URL = "https://d-9999999999.awsapps.com/start"


def _refused(call: object) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_the_oauth_error_description_of_sso_oidc_is_the_reason(
    sso_emulator_env: Emulator,
) -> None:
    client = oidc_client(sso_emulator_env.region)
    registration = client.register_client(clientName="reason", clientType="public")
    exc = _refused(
        lambda: client.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl=WRONG_START_URL,
        )
    )
    assert exc.response["Error"]["Code"] == "InvalidRequestException"
    assert error_message(exc) == f"Unknown startUrl {WRONG_START_URL!r} for this instance"


def test_the_portal_and_sts_messages_are_the_reason(sso_emulator_env: Emulator) -> None:
    portal = sso_client(sso_emulator_env.region)
    exc = _refused(
        lambda: portal.get_role_credentials(
            accessToken="not-a-token", accountId="111111111111", roleName="Nobody"
        )
    )
    assert error_message(exc) == "Session token not found or invalid"

    sts = sts_client(sso_emulator_env.region, Credentials("ASIANOTAKEY", "nope", "nope"))
    exc = _refused(sts.get_caller_identity)
    reason = error_message(exc)
    assert reason
    assert reason == exc.response["Error"]["Message"]


def test_a_blank_reason_is_none_and_a_long_one_is_cut(sso_emulator_env: Emulator) -> None:
    sso_emulator_env.faults.fail_next("RegisterClient", status=400, message="  ")
    client = oidc_client(sso_emulator_env.region)
    exc = _refused(lambda: client.register_client(clientName="reason", clientType="public"))
    assert error_message(exc) is None
    assert error_message(ValueError("not from botocore")) is None

    sso_emulator_env.faults.fail_next("RegisterClient", status=400, message="x" * 1000)
    exc = _refused(lambda: client.register_client(clientName="reason", clientType="public"))
    assert error_message(exc, limit=50) == "x" * 50


def test_device_login_with_a_wrong_start_url_names_the_servers_reason(
    sso_emulator_env: Emulator,
) -> None:
    provider = DeviceCodeProvider(WRONG_START_URL, sso_emulator_env.region, timeout=20)
    with pytest.raises(LoginError, match="Unknown startUrl") as caught:
        provider.get_token()
    assert "InvalidRequestException (HTTP 400)" in str(caught.value)


def test_a_refused_refresh_names_the_servers_reason(sso_emulator_env: Emulator) -> None:
    path: Path = sso_emulator_env.seed_token_cache(sso_session_name="dev")
    age_token(path, seconds_left=-5)
    sso_emulator_env.faults.fail_next(
        "CreateToken", status=400, code="InvalidRequestException", message="scope not granted"
    )
    provider = CachedTokenProvider(
        sso_emulator_env.start_url, sso_emulator_env.region, sso_session_name="dev"
    )
    with pytest.raises(TokenProviderError) as caught:
        provider.get_token()
    assert "HTTP 400 InvalidRequestException: scope not granted" in str(caught.value)
