"""SSO-OIDC: RegisterClient, StartDeviceAuthorization and CreateToken (three grants).

Errors follow the service model so botocore raises e.g.
``client.exceptions.AuthorizationPendingException``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from refreshable_sso.emulator.authority import Authority, IssuedTokens
from refreshable_sso.emulator.settings import same_start_url
from refreshable_sso.emulator.state import Client, DeviceAuthorization, new_secret, new_user_code
from refreshable_sso.emulator.wire import (
    ApiError,
    Request,
    Response,
    json_body,
    list_field,
    optional_str,
    required_str,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
CODE_GRANT = "authorization_code"
GRANT_TYPES = (DEVICE_GRANT, REFRESH_GRANT, CODE_GRANT)
_SCOPE = re.compile(r"^(openid|[a-z0-9-]+:[A-Za-z0-9:_.*-]+)$")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def _err(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, code, message)


def redirect_uri_allowed(registered: tuple[str, ...], uri: str) -> bool:
    """Whether ``uri`` matches a registered redirect URI (loopback ports may differ,
    RFC 8252 section 7.3)."""
    if _has_control_characters(uri):
        return False
    try:
        got = urlsplit(uri)
        got_port = got.port
    except ValueError:
        return False
    for reg in registered:
        want = urlsplit(reg)
        if (want.scheme, want.hostname, want.path) != (got.scheme, got.hostname, got.path):
            continue
        if want.hostname in _LOOPBACK_HOSTS or want.port == got_port:
            return True
    return False


def _has_control_characters(uri: str) -> bool:
    """Spaces or control characters would let a redirect URI forge response headers."""
    return any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in uri)


def _valid_redirect_uri(uri: str) -> bool:
    if _has_control_characters(uri):
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return False
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


class OIDCService:
    """The three SSO-OIDC operations."""

    def __init__(self, authority: Authority, base_url: Callable[[], str]) -> None:
        self.authority = authority
        self._base_url = base_url

    @property
    def _now(self) -> float:
        return self.authority.clock.now()

    # -- RegisterClient ---------------------------------------------------------------------
    def register_client(self, request: Request) -> Response:
        data = json_body(request)
        name = required_str(data, "clientName")
        client_type = required_str(data, "clientType")
        scopes = list_field(data, "scopes")
        grant_types = list_field(data, "grantTypes")
        redirect_uris = list_field(data, "redirectUris")
        issuer_url = optional_str(data, "issuerUrl")
        if client_type != "public":
            raise _err(
                "InvalidClientMetadataException",
                f"Invalid clientType {client_type!r}: only 'public' is supported",
            )
        for scope in scopes:
            if not _SCOPE.match(scope):
                raise _err("InvalidScopeException", f"Invalid scope: {scope!r}")
        for grant in grant_types:
            if grant not in GRANT_TYPES:
                raise _err("UnsupportedGrantTypeException", f"Unsupported grant type: {grant!r}")
        for uri in redirect_uris:
            if not _valid_redirect_uri(uri):
                raise _err(
                    "InvalidRedirectUriException",
                    f"Invalid redirect URI {uri!r}: use https:// or an http:// loopback address",
                )
        if CODE_GRANT in grant_types:
            if not redirect_uris:
                raise _err(
                    "InvalidRequestException",
                    "redirectUris is required for the authorization_code grant",
                )
            if not issuer_url:
                raise _err(
                    "InvalidRequestException",
                    "issuerUrl is required for the authorization_code grant",
                )
        if (
            issuer_url is not None
            and same_start_url(issuer_url) != self.authority.settings.start_url
        ):
            raise _err(
                "InvalidRequestException",
                f"issuerUrl {issuer_url!r} is not this instance's start URL",
            )
        client = self.authority.register_client(name, scopes, grant_types, redirect_uris)
        body: dict[str, Any] = {
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "clientIdIssuedAt": int(client.issued_at),
            "clientSecretExpiresAt": int(client.expires_at),
        }
        return Response.json(body)

    def _authenticate(self, data: dict[str, Any]) -> Client:
        client_id = required_str(data, "clientId")
        client_secret = required_str(data, "clientSecret")
        with self.authority.store.lock:
            client = self.authority.store.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.client_secret, client_secret):
            raise _err("InvalidClientException", "Invalid client id or secret", 401)
        if self._now >= client.expires_at:
            raise _err(
                "InvalidClientException", "Client registration has expired; register again", 401
            )
        return client

    # -- StartDeviceAuthorization ------------------------------------------------------------
    def start_device_authorization(self, request: Request) -> Response:
        data = json_body(request)
        client = self._authenticate(data)
        start_url = required_str(data, "startUrl")
        if client.grant_types and DEVICE_GRANT not in client.grant_types:
            raise _err(
                "UnauthorizedClientException", "Client is not registered for the device_code grant"
            )
        if same_start_url(start_url) != self.authority.settings.start_url:
            raise _err(
                "InvalidRequestException", f"Unknown startUrl {start_url!r} for this instance"
            )
        settings = self.authority.settings
        auth = DeviceAuthorization(
            device_code=new_secret("dc-", 48),
            user_code=new_user_code(),
            client_id=client.client_id,
            expires_at=self._now + settings.device_code_ttl,
            interval=float(settings.device_interval),
        )
        self.authority.add_device_authorization(auth)
        if settings.auto_approve:
            self.authority.decide_device(auth.user_code, approve=True)
        base = self._base_url()
        return Response.json(
            {
                "deviceCode": auth.device_code,
                "userCode": auth.user_code,
                "verificationUri": f"{base}/device",
                "verificationUriComplete": f"{base}/device?user_code={auth.user_code}",
                "expiresIn": int(settings.device_code_ttl),
                # a whole number on the wire, as the service sends it (SDKs decode an integer)
                "interval": int(auth.interval) if auth.interval.is_integer() else auth.interval,
            }
        )

    # -- CreateToken --------------------------------------------------------------------------
    def create_token(self, request: Request) -> Response:
        if "aws_iam" in request.query:  # POST /token?aws_iam=t is CreateTokenWithIAM
            raise _err("InvalidRequestException", "CreateTokenWithIAM is not supported here")
        data = json_body(request)
        client = self._authenticate(data)
        grant = required_str(data, "grantType")
        if grant not in GRANT_TYPES:
            raise _err("UnsupportedGrantTypeException", f"Unsupported grant type: {grant!r}")
        if client.grant_types and grant not in client.grant_types:
            raise _err(
                "UnauthorizedClientException", f"Client is not registered for the {grant} grant"
            )
        requested = list_field(data, "scope")
        if requested and not set(requested) <= set(client.scopes):
            raise _err("InvalidScopeException", "Requested scope was not granted to this client")
        if grant == DEVICE_GRANT:
            issued = self._device_grant(client, data)
        elif grant == REFRESH_GRANT:
            issued = self._refresh_grant(client, data)
        else:
            issued = self._code_grant(client, data)
        body: dict[str, Any] = {
            "accessToken": issued.access_token,
            "tokenType": "Bearer",
            "expiresIn": issued.expires_in,
        }
        if issued.refresh_token:
            body["refreshToken"] = issued.refresh_token
        return Response.json(body)

    def _device_grant(self, client: Client, data: dict[str, Any]) -> IssuedTokens:
        device_code = required_str(data, "deviceCode")
        now = self._now
        store = self.authority.store
        with store.lock:
            auth = store.device_by_code.get(device_code or "")
            if auth is None or auth.client_id != client.client_id:
                raise _err("InvalidGrantException", "Invalid device code provided")
            if now >= auth.expires_at:
                raise _err("ExpiredTokenException", "Device code has expired")
            if auth.status == "consumed":
                raise _err("InvalidGrantException", "Device code has already been used")
            previous, auth.last_poll = auth.last_poll, now
            # a little slack for the client's timer, proportionate to sub-second test intervals
            if previous is not None and now - previous < auth.interval - min(
                0.05, auth.interval / 4
            ):
                raise _err("SlowDownException", "Client is polling too quickly")
            if auth.status == "denied":
                raise _err("AccessDeniedException", "The user denied the authorization request")
            if auth.status == "pending":
                raise _err("AuthorizationPendingException", "Authorization is still pending")
            auth.status = "consumed"
            session = self.authority.bound_session(auth.session_id, auth.user_name)
            if not session.active(now):
                raise _err("InvalidGrantException", "The sign-in session has ended; sign in again")
        return self.authority.issue_tokens(client, session, client.scopes)

    def _refresh_grant(self, client: Client, data: dict[str, Any]) -> IssuedTokens:
        token = required_str(data, "refreshToken")
        now = self._now
        store = self.authority.store
        with store.lock:
            refresh = store.refresh_tokens.get(token or "")
            if refresh is None or refresh.client_id != client.client_id:
                raise _err("InvalidGrantException", "Invalid refresh token provided")
            if refresh.used or refresh.revoked:
                raise _err(
                    "InvalidGrantException", "Refresh token has already been used or was revoked"
                )
            session = store.sessions.get(refresh.session_id)
            if session is None or not session.active(now):
                raise _err("InvalidGrantException", "The sign-in session has ended; sign in again")
            refresh.used = True
            scopes = refresh.scopes
        return self.authority.issue_tokens(client, session, scopes)

    def _code_grant(self, client: Client, data: dict[str, Any]) -> IssuedTokens:
        code = required_str(data, "code")
        redirect_uri = required_str(data, "redirectUri")
        verifier = required_str(data, "codeVerifier")
        now = self._now
        store = self.authority.store
        with store.lock:
            req = store.auth_by_code.get(code or "")
            if req is None or req.client_id != client.client_id or req.status != "approved":
                raise _err("InvalidGrantException", "Invalid authorization code provided")
            if now >= req.expires_at:
                raise _err("InvalidGrantException", "Authorization code has expired")
            if redirect_uri != req.redirect_uri:
                raise _err(
                    "InvalidGrantException", "redirectUri does not match the authorization request"
                )
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
            if not hmac.compare_digest(challenge, req.code_challenge):
                raise _err(
                    "InvalidGrantException", "codeVerifier does not match the code challenge"
                )
            req.status = "consumed"
            scopes = req.scopes or client.scopes
            session = self.authority.bound_session(req.session_id, req.user_name)
            if not session.active(now):
                raise _err("InvalidGrantException", "The sign-in session has ended; sign in again")
        return self.authority.issue_tokens(client, session, scopes)
