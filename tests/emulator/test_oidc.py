"""SSO-OIDC with an unmodified boto3 client: every operation, grant and modelled error."""

from __future__ import annotations

from typing import Any

import pytest

from refreshable_sso.emulator import Emulator

from .helpers import (
    DEVICE_GRANT,
    NO_RETRY,
    authorize_url,
    client,
    device_login,
    pkce_pair,
    query_of,
    raw,
    register,
)

PluginFactory = Any
CALLBACK = "http://127.0.0.1/oauth/callback"


@pytest.fixture
def emu(sso_emulator_factory: PluginFactory) -> Emulator:
    return sso_emulator_factory(device_interval=1, registration_ttl=1000)  # type: ignore[no-any-return]


@pytest.fixture
def oidc(emu: Emulator) -> Any:
    return client(emu, "sso-oidc", config=NO_RETRY)


def _start(emu: Emulator, oidc: Any, **reg_kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    reg = register(oidc, scopes=["sso:account:access"], **reg_kwargs)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    return reg, dev


def _poll(oidc: Any, reg: dict[str, Any], dev: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=dev["deviceCode"],
    )
    return result


# -- RegisterClient ------------------------------------------------------------------------
def test_register_client_answers_like_aws(emu: Emulator, oidc: Any) -> None:
    reg = register(oidc, scopes=["sso:account:access"])
    assert reg["clientId"]
    assert reg["clientSecret"]
    assert reg["clientSecretExpiresAt"] - reg["clientIdIssuedAt"] == 1000


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"clientType": "confidential"}, "InvalidClientMetadataException"),
        ({"scopes": ["not a scope"]}, "InvalidScopeException"),
        ({"grantTypes": ["password"]}, "UnsupportedGrantTypeException"),
        ({"redirectUris": ["http://evil.example.com/cb"]}, "InvalidRedirectUriException"),
        (
            {"grantTypes": ["authorization_code"], "redirectUris": [CALLBACK]},
            "InvalidRequestException",
        ),
        ({"issuerUrl": "https://d-0000000000.awsapps.com/start"}, "InvalidRequestException"),
    ],
)
def test_register_client_modelled_errors(
    emu: Emulator, oidc: Any, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(getattr(oidc.exceptions, error)):
        register(oidc, **kwargs)
    assert emu.errors("RegisterClient") == {error: 1}


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("RegisterClient", "SlowDownException", 400),
        ("RegisterClient", "InternalServerException", 500),
        ("StartDeviceAuthorization", "SlowDownException", 400),
        ("StartDeviceAuthorization", "InternalServerException", 500),
        ("CreateToken", "InternalServerException", 500),
    ],
)
def test_injected_modelled_errors(
    emu: Emulator, oidc: Any, operation: str, code: str, status: int
) -> None:
    reg = register(oidc)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    calls = {
        "RegisterClient": lambda: register(oidc),
        "StartDeviceAuthorization": lambda: oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
        ),
        "CreateToken": lambda: _poll(oidc, reg, dev),
    }
    emu.faults.fail_next(operation, status=status, code=code)
    with pytest.raises(getattr(oidc.exceptions, code)) as info:
        calls[operation]()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


# -- StartDeviceAuthorization ----------------------------------------------------------------
def test_start_device_authorization_shape(emu: Emulator, oidc: Any) -> None:
    _, dev = _start(emu, oidc)
    assert dev["interval"] == 1
    assert dev["expiresIn"] == 600
    assert dev["verificationUri"] == f"{emu.url}/device"
    assert dev["verificationUriComplete"] == f"{emu.url}/device?user_code={dev['userCode']}"
    assert dev["userCode"] in emu.pending_user_codes()


@pytest.mark.parametrize("suffix", ["/", "#", "/#", "/#/"])
def test_start_url_spellings_are_accepted(emu: Emulator, oidc: Any, suffix: str) -> None:
    reg = register(oidc)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url + suffix
    )
    assert dev["userCode"]


def test_start_device_authorization_errors(emu: Emulator, oidc: Any) -> None:
    reg = register(oidc)
    with pytest.raises(oidc.exceptions.InvalidClientException):
        oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret="wrong", startUrl=emu.start_url
        )
    with pytest.raises(oidc.exceptions.InvalidRequestException):
        oidc.start_device_authorization(
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            startUrl="https://d-0000000000.awsapps.com/start",
        )
    pkce_only = register(
        oidc,
        grantTypes=["authorization_code"],
        redirectUris=[CALLBACK],
        issuerUrl=emu.start_url,
    )
    with pytest.raises(oidc.exceptions.UnauthorizedClientException):
        oidc.start_device_authorization(
            clientId=pkce_only["clientId"],
            clientSecret=pkce_only["clientSecret"],
            startUrl=emu.start_url,
        )


# -- device_code grant ---------------------------------------------------------------------
def test_device_flow_pending_slow_down_then_approved(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        _poll(oidc, reg, dev)
    with pytest.raises(oidc.exceptions.SlowDownException):
        _poll(oidc, reg, dev)  # again at once: faster than `interval`
    emu.approve(dev["userCode"])
    emu.clock.advance(dev["interval"])
    token = _poll(oidc, reg, dev)
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 3600
    assert token["refreshToken"]
    emu.clock.advance(dev["interval"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        _poll(oidc, reg, dev)  # a device code is good for one token
    assert emu.errors("CreateToken") == {
        "AuthorizationPendingException": 1,
        "SlowDownException": 1,
        "InvalidGrantException": 1,
    }


def test_device_flow_denied(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    emu.deny(dev["userCode"])
    with pytest.raises(oidc.exceptions.AccessDeniedException):
        _poll(oidc, reg, dev)


def test_device_flow_expired(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    emu.clock.advance(dev["expiresIn"])
    with pytest.raises(oidc.exceptions.ExpiredTokenException):
        _poll(oidc, reg, dev)
    with pytest.raises(Exception, match="No pending device authorization"):
        emu.approve(dev["userCode"])


def test_device_flow_polling_at_interval_is_never_slowed_down(
    sso_emulator_factory: PluginFactory,
) -> None:
    emu = sso_emulator_factory(device_interval=2)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg, dev = _start(emu, oidc)
    for _ in range(3):
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            _poll(oidc, reg, dev)
        emu.clock.advance(2)
    emu.approve(dev["userCode"])
    assert _poll(oidc, reg, dev)["accessToken"]


def test_no_refresh_token_without_sso_account_access_scope(emu: Emulator, oidc: Any) -> None:
    emu_auto = emu
    reg = register(oidc)
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu_auto.start_url
    )
    emu.approve(dev["userCode"])
    token = _poll(oidc, reg, dev)
    assert "refreshToken" not in token


# -- CreateToken errors common to all grants ---------------------------------------------
def test_create_token_client_and_grant_errors(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    base = {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}
    with pytest.raises(oidc.exceptions.InvalidClientException) as info:
        oidc.create_token(
            **{**base, "clientSecret": "nope"}, grantType=DEVICE_GRANT, deviceCode="x"
        )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    with pytest.raises(oidc.exceptions.UnsupportedGrantTypeException):
        oidc.create_token(**base, grantType="password")
    with pytest.raises(oidc.exceptions.InvalidRequestException):
        oidc.create_token(**base, grantType=DEVICE_GRANT)  # no deviceCode
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**base, grantType=DEVICE_GRANT, deviceCode="not-a-device-code")
    with pytest.raises(oidc.exceptions.InvalidScopeException):
        oidc.create_token(
            **base, grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"], scope=["other:scope"]
        )
    device_only = register(oidc, grantTypes=[DEVICE_GRANT])
    with pytest.raises(oidc.exceptions.UnauthorizedClientException):
        oidc.create_token(
            clientId=device_only["clientId"],
            clientSecret=device_only["clientSecret"],
            grantType="refresh_token",
            refreshToken="whatever",
        )


def test_expired_client_registration_is_invalid_client(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    emu.clock.advance(1000)
    with pytest.raises(oidc.exceptions.InvalidClientException, match="expired"):
        _poll(oidc, reg, dev)


def test_error_body_carries_modelled_members(emu: Emulator, oidc: Any) -> None:
    reg, dev = _start(emu, oidc)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as info:
        _poll(oidc, reg, dev)
    response = info.value.response
    assert response["error"] == "authorization_pending"
    assert response["error_description"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "AuthorizationPendingException"
    )


# -- refresh_token grant -----------------------------------------------------------------
def test_refresh_tokens_rotate_and_are_single_use(sso_emulator: Emulator) -> None:
    oidc = client(sso_emulator, "sso-oidc", config=NO_RETRY)
    first = device_login(sso_emulator, oidc)
    creds = {"clientId": first["clientId"], "clientSecret": first["clientSecret"]}
    second = oidc.create_token(
        **creds, grantType="refresh_token", refreshToken=first["refreshToken"]
    )
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**creds, grantType="refresh_token", refreshToken=first["refreshToken"])
    third = oidc.create_token(
        **creds, grantType="refresh_token", refreshToken=second["refreshToken"]
    )
    assert third["accessToken"]
    other = register(oidc, scopes=["sso:account:access"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(
            clientId=other["clientId"],
            clientSecret=other["clientSecret"],
            grantType="refresh_token",
            refreshToken=third["refreshToken"],
        )
    assert sso_emulator.errors("CreateToken") == {"InvalidGrantException": 2}


def test_refresh_fails_once_the_sign_in_session_ends(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(auto_approve=True, access_token_ttl=60, session_ttl=300)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    token = device_login(emu, oidc)
    creds = {"clientId": token["clientId"], "clientSecret": token["clientSecret"]}
    emu.clock.advance(250)
    near_end = oidc.create_token(
        **creds, grantType="refresh_token", refreshToken=token["refreshToken"]
    )
    assert near_end["expiresIn"] <= 50  # an access token never outlives its session
    emu.clock.advance(60)
    with pytest.raises(oidc.exceptions.InvalidGrantException, match="session"):
        oidc.create_token(**creds, grantType="refresh_token", refreshToken=near_end["refreshToken"])


def test_end_sign_in_sessions(sso_emulator: Emulator) -> None:
    oidc = client(sso_emulator, "sso-oidc", config=NO_RETRY)
    sso = client(sso_emulator, "sso", config=NO_RETRY)
    token = device_login(sso_emulator, oidc)
    assert sso_emulator.end_sign_in_sessions() == 1
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(
            clientId=token["clientId"],
            clientSecret=token["clientSecret"],
            grantType="refresh_token",
            refreshToken=token["refreshToken"],
        )
    sso.list_accounts(accessToken=token["accessToken"])  # still valid until it expires
    sso_emulator.end_sign_in_sessions(revoke_access_tokens=True)
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token["accessToken"])


# -- authorization_code grant (PKCE) ---------------------------------------------------------
def _pkce_client(emu: Emulator, oidc: Any) -> dict[str, Any]:
    return register(
        oidc,
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=[CALLBACK],
        issuerUrl=emu.start_url,
    )


def _authorize(emu: Emulator, reg: dict[str, Any], redirect: str, challenge: str) -> str:
    status, headers, _ = raw(emu, "GET", authorize_url(reg["clientId"], redirect, challenge))
    assert status == 302
    return headers["location"]


def test_pkce_flow(sso_emulator: Emulator) -> None:
    emu = sso_emulator
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg = _pkce_client(emu, oidc)
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:49152/oauth/callback"
    location = _authorize(emu, reg, redirect, challenge)
    assert location.startswith(redirect + "?")
    params = query_of(location)
    assert params["state"] == "st-1"
    base = {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}
    token = oidc.create_token(
        **base,
        grantType="authorization_code",
        code=params["code"],
        redirectUri=redirect,
        codeVerifier=verifier,
    )
    assert token["refreshToken"]
    refreshed = oidc.create_token(
        **base, grantType="refresh_token", refreshToken=token["refreshToken"]
    )
    assert refreshed["accessToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # codes are single-use
        oidc.create_token(
            **base,
            grantType="authorization_code",
            code=params["code"],
            redirectUri=redirect,
            codeVerifier=verifier,
        )


def test_pkce_wrong_verifier_and_wrong_redirect_uri(sso_emulator: Emulator) -> None:
    emu = sso_emulator
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg = _pkce_client(emu, oidc)
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:49153/oauth/callback"
    code = query_of(_authorize(emu, reg, redirect, challenge))["code"]
    base = {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}
    with pytest.raises(oidc.exceptions.InvalidGrantException, match="codeVerifier"):
        oidc.create_token(
            **base,
            grantType="authorization_code",
            code=code,
            redirectUri=redirect,
            codeVerifier=pkce_pair()[0],
        )
    with pytest.raises(oidc.exceptions.InvalidGrantException, match="redirectUri"):
        oidc.create_token(
            **base,
            grantType="authorization_code",
            code=code,
            redirectUri="http://127.0.0.1:1/oauth/callback",
            codeVerifier=verifier,
        )
    # A redirect URI that was never registered is refused on the authorize page itself.
    status, headers, body = raw(
        emu, "GET", authorize_url(reg["clientId"], "http://127.0.0.1:5/elsewhere", challenge)
    )
    assert status == 400
    assert "location" not in headers
    assert b"redirect_uri is not registered" in body


def test_pkce_denied_and_expired_code(sso_emulator_factory: PluginFactory) -> None:
    emu = sso_emulator_factory(authorization_code_ttl=30)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    reg = _pkce_client(emu, oidc)
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:49154/oauth/callback"
    status, _, page = raw(emu, "GET", authorize_url(reg["clientId"], redirect, challenge))
    assert status == 200
    assert b"Approve" in page
    assert b"Deny" in page
    denied = emu.deny_authorization()
    assert query_of(denied) == {"error": "access_denied", "state": "st-1"}
    raw(emu, "GET", authorize_url(reg["clientId"], redirect, challenge, state="st-2"))
    code = query_of(emu.approve_authorization())["code"]
    emu.clock.advance(31)
    with pytest.raises(oidc.exceptions.InvalidGrantException, match="expired"):
        oidc.create_token(
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            grantType="authorization_code",
            code=code,
            redirectUri=redirect,
            codeVerifier=verifier,
        )


def test_authorize_rejects_bad_requests_on_the_redirect(sso_emulator: Emulator) -> None:
    oidc = client(sso_emulator, "sso-oidc")
    reg = _pkce_client(sso_emulator, oidc)
    redirect = "http://127.0.0.1:49155/oauth/callback"
    _, challenge = pkce_pair()
    status, headers, _ = raw(
        sso_emulator,
        "GET",
        authorize_url(reg["clientId"], redirect, challenge, code_challenge_method="plain"),
    )
    assert status == 302
    assert query_of(headers["location"])["error"] == "invalid_request"
    status, _, body = raw(sso_emulator, "GET", authorize_url("unknown", redirect, challenge))
    assert status == 400
    assert b"Unknown client_id" in body
    status, headers, _ = raw(
        sso_emulator,
        "GET",
        authorize_url(reg["clientId"], redirect + "?x=\r\nSet-Cookie: a=b", challenge),
    )
    assert status == 400
    assert "set-cookie" not in headers
