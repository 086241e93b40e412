"""The emulator keeps portal sessions as IAM Identity Center does (docs/emulator.md).

A sign-in creates a user session in the AWS access portal, kept by the browser. While it lives,
approving another device code or PKCE request binds to it without a new authentication, so the
new tokens end when it ends; only ``sso:Logout`` (or the end itself) makes the next approval a
new sign-in with a full ``session_ttl``. Role credentials already issued are not revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

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
    sts_for,
)

TTL = 3600.0


def _about(actual: datetime | None, expected: datetime) -> bool:
    """Equal up to the real time the test itself takes (the emulator's clock runs on)."""
    return actual is not None and abs((actual - expected).total_seconds()) < 5


@pytest.fixture
def emu(sso_emulator_factory: Any) -> Emulator:
    return sso_emulator_factory(auto_approve=True, session_ttl=TTL)  # type: ignore[no-any-return]


def _refresh(oidc: Any, token: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = oidc.create_token(
        clientId=token["clientId"],
        clientSecret=token["clientSecret"],
        grantType="refresh_token",
        refreshToken=token["refreshToken"],
    )
    return answer


def _manual_device_start(emu: Emulator, oidc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    reg = register(oidc, scopes=["sso:account:access"])
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    return reg, dev


def _manual_device_token(oidc: Any, reg: dict[str, Any], dev: dict[str, Any]) -> dict[str, Any]:
    token: dict[str, Any] = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=dev["deviceCode"],
    )
    return {**token, "clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}


def test_a_re_approval_inside_a_live_session_keeps_its_end(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    first = device_login(emu, oidc)
    end = emu.session_end_of(first["accessToken"])
    assert end is not None
    assert emu.portal_session_end() == end
    emu.clock.advance(TTL - 600)  # an hour's sign-in, ten minutes before its end
    again = device_login(emu, oidc)  # auto_approve: the browser's session, no authentication
    assert emu.session_end_of(again["accessToken"]) == end
    assert emu.portal_session_end() == end
    assert again["expiresIn"] <= 600  # its access token cannot outlive the shared end
    emu.clock.advance(601)
    for token in (first, again):
        with pytest.raises(oidc.exceptions.InvalidGrantException, match="session"):
            _refresh(oidc, token)


def test_every_approval_path_binds_to_the_live_session(sso_emulator_factory: Any) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=False, session_ttl=TTL)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    seeded = emu.sign_in()  # the person signs in at the portal: the session all bind to
    end = emu.session_end_of(seeded["accessToken"])
    assert end is not None
    emu.clock.advance(120)
    # Emulator.approve(...)
    reg, dev = _manual_device_start(emu, oidc)
    emu.approve(dev["userCode"])
    by_api = _manual_device_token(oidc, reg, dev)
    # the device page, as a browser posts it
    reg, dev = _manual_device_start(emu, oidc)
    status, _, _ = raw(
        emu,
        "POST",
        "/device",
        urlencode({"user_code": dev["userCode"], "decision": "approve"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    by_page = _manual_device_token(oidc, reg, dev)
    # approve_authorization(...) (PKCE)
    pkce = register(
        oidc,
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=emu.start_url,
    )
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:49160/oauth/callback"
    status, _, _ = raw(emu, "GET", authorize_url(pkce["clientId"], redirect, challenge))
    assert status == 200
    code = query_of(emu.approve_authorization())["code"]
    by_pkce = oidc.create_token(
        clientId=pkce["clientId"],
        clientSecret=pkce["clientSecret"],
        grantType="authorization_code",
        code=code,
        redirectUri=redirect,
        codeVerifier=verifier,
    )
    for token in (by_api, by_page, by_pkce):
        assert emu.session_end_of(token["accessToken"]) == end
    # sign_in(new_session=False) binds too; the default is an explicit, new sign-in
    assert emu.session_end_of(emu.sign_in(new_session=False)["accessToken"]) == end
    assert _about(emu.session_end_of(emu.sign_in()["accessToken"]), end + timedelta(seconds=120))


def test_logout_ends_the_session_and_the_next_approval_starts_a_new_one(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    sso = client(emu, "sso", config=NO_RETRY)
    first = device_login(emu, oidc)
    old_end = emu.session_end_of(first["accessToken"])
    assert old_end is not None
    emu.clock.advance(1800)
    sso.logout(accessToken=first["accessToken"])
    assert emu.portal_session_end() is None
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        _refresh(oidc, first)
    fresh = device_login(emu, oidc)
    new_end = emu.session_end_of(fresh["accessToken"])
    assert _about(new_end, old_end + timedelta(seconds=1800))  # a full session_ttl from now
    assert emu.portal_session_end() == new_end


def test_past_its_end_an_approval_signs_the_person_in_again(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    first = device_login(emu, oidc)
    old_end = emu.session_end_of(first["accessToken"])
    assert old_end is not None
    emu.clock.advance(TTL + 5)
    assert emu.portal_session_end() is None
    fresh = device_login(emu, oidc)
    assert _about(emu.session_end_of(fresh["accessToken"]), old_end + timedelta(seconds=TTL + 5))


def test_an_explicit_sign_in_on_approval_starts_a_new_session(sso_emulator_factory: Any) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=False, session_ttl=TTL)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    old_end = emu.session_end_of(emu.sign_in()["accessToken"])
    assert old_end is not None
    emu.clock.advance(60)
    reg, dev = _manual_device_start(emu, oidc)
    emu.approve(dev["userCode"], sign_in=True)
    token = _manual_device_token(oidc, reg, dev)
    assert _about(emu.session_end_of(token["accessToken"]), old_end + timedelta(seconds=60))


def test_role_credentials_issued_before_a_logout_work_until_their_own_expiry(
    sso_emulator_factory: Any,
) -> None:
    emu: Emulator = sso_emulator_factory(
        auto_approve=True, session_ttl=TTL, role_credentials_ttl=900
    )
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    sso = client(emu, "sso", config=NO_RETRY)
    token = device_login(emu, oidc)
    creds = sso.get_role_credentials(
        accessToken=token["accessToken"],
        accountId=emu.default_account_id,
        roleName=emu.default_role_name,
    )["roleCredentials"]
    sso.logout(accessToken=token["accessToken"])
    sts = sts_for(emu, creds, config=NO_RETRY)
    assert sts.get_caller_identity()["Account"] == emu.default_account_id
    emu.clock.advance(600)
    assert sts.get_caller_identity()["Account"] == emu.default_account_id
    emu.clock.advance(301)
    with pytest.raises(sts.exceptions.ClientError, match="ExpiredToken"):
        sts.get_caller_identity()


def test_the_pages_show_whether_a_portal_session_lives(sso_emulator_factory: Any) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=False, session_ttl=TTL)
    oidc = client(emu, "sso-oidc", config=NO_RETRY)
    _, dev = _manual_device_start(emu, oidc)
    _, _, page = raw(emu, "GET", f"/device?user_code={dev['userCode']}")
    assert b'id="sign-in"' in page
    assert b"Sign in, then Approve" in page
    emu.sign_in()
    _, _, page = raw(emu, "GET", f"/device?user_code={dev['userCode']}")
    assert b'id="portal-session"' in page
    assert b'id="session-end"' in page
    assert b"Sign in, then Approve" not in page
