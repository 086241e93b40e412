"""The AWS federation endpoint (``/federation``): console sign-in from role credentials.

``Action=getSigninToken`` takes the ``Session`` JSON ``{sessionId, sessionKey, sessionToken}``
and answers ``{"SigninToken": ...}`` only for role credentials this emulator issued and that
are still valid, so forged or stale credentials are refused as AWS would refuse them.
``Action=login`` takes that token (valid 15 minutes on the emulator clock) with ``Issuer`` and
``Destination`` and redirects to a console page naming the role, account and user, standing in
for the AWS console the real endpoint would open.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qsl, urlencode

from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.state import RoleCredentials
from refreshable_sso.emulator.sts import role_session_arn
from refreshable_sso.emulator.wire import ApiError, Request, Response

SIGNIN_TOKEN_TTL = 15 * 60.0
MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
CONSOLE_PATH = "/federation/console"


@dataclass(frozen=True)
class _Grant:
    creds: RoleCredentials
    expires_at: float
    session_duration: int


@dataclass(frozen=True)
class _ConsoleSession:
    creds: RoleCredentials
    issuer: str
    destination: str


class FederationService:
    """getSigninToken, login and the console page that login redirects to."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._sessions: dict[str, _ConsoleSession] = {}

    def handle(self, request: Request) -> Response:
        """Dispatch on ``Action`` (query string or form body, as the real endpoint accepts)."""
        params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        params.update(request.query)
        action = params.get("Action", "")
        if action == "getSigninToken":
            return self.get_signin_token(params)
        if action == "login":
            return self.login(params)
        raise ApiError(
            400, "InvalidAction", f"Unknown Action {action!r}: use getSigninToken or login"
        )

    def get_signin_token(self, params: dict[str, str]) -> Response:
        creds = self._verify_session(params.get("Session", ""))
        duration = self._duration(params.get("SessionDuration"))
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._grants[token] = _Grant(
                creds, self.authority.clock.now() + SIGNIN_TOKEN_TTL, duration
            )
        return Response.json({"SigninToken": token})

    def login(self, params: dict[str, str]) -> Response:
        token = params.get("SigninToken", "")
        destination = params.get("Destination", "")
        if not destination:
            raise ApiError(400, "InvalidParameter", "Destination is required")
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or self.authority.clock.now() >= grant.expires_at:
            raise ApiError(400, "InvalidSigninToken", "The sign-in token is invalid or has expired")
        session_id = secrets.token_urlsafe(16)
        with self._lock:
            self._sessions[session_id] = _ConsoleSession(
                grant.creds, params.get("Issuer", ""), destination
            )
        return Response.redirect(f"{CONSOLE_PATH}?{urlencode({'session': session_id})}")

    def console(self, request: Request) -> Response:
        """The page a signed-in console user lands on (names the role, account and user)."""
        with self._lock:
            session = self._sessions.get(request.query.get("session", ""))
        if session is None:
            return Response.html("<h1>Not signed in</h1>", 403)
        creds = session.creds
        arn = role_session_arn(creds)
        body = (
            f'<p id="role">Role: <b>{escape(creds.role_name)}</b></p>'
            f'<p id="account">Account: <b>{escape(creds.account_id)}</b></p>'
            f'<p id="user">User: <b>{escape(creds.user_name)}</b></p>'
            f'<p id="arn"><code>{escape(arn)}</code></p>'
            f'<p id="destination">Destination: {escape(session.destination)}</p>'
            f'<p id="issuer">Issuer: {escape(session.issuer)}</p>'
        )
        title = f"AWS console (emulated): {creds.role_name} @ {creds.account_id}"
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}"
            "</body></html>"
        )
        return Response.html(html)

    def _verify_session(self, raw: str) -> RoleCredentials:
        try:
            session = json.loads(raw)
        except ValueError:
            session = None
        if not isinstance(session, dict) or not all(
            isinstance(session.get(k), str) for k in ("sessionId", "sessionKey", "sessionToken")
        ):
            raise ApiError(
                400,
                "InvalidParameter",
                "Session must be JSON with string sessionId, sessionKey and sessionToken",
            )
        with self.authority.store.lock:
            creds = self.authority.store.role_credentials.get(session["sessionId"])
        if (
            creds is None
            or not hmac.compare_digest(session["sessionKey"], creds.secret_access_key)
            or not hmac.compare_digest(session["sessionToken"], creds.session_token)
        ):
            raise ApiError(
                400, "InvalidCredentials", "The session credentials are not valid role credentials"
            )
        if self.authority.clock.now() >= creds.expires_at:
            raise ApiError(400, "ExpiredCredentials", "The session credentials have expired")
        return creds

    @staticmethod
    def _duration(raw: str | None) -> int:
        if raw is None or raw == "":
            return MAX_SESSION_DURATION
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if not MIN_SESSION_DURATION <= value <= MAX_SESSION_DURATION:
            raise ApiError(
                400,
                "InvalidParameter",
                f"SessionDuration must be {MIN_SESSION_DURATION}-{MAX_SESSION_DURATION} seconds",
            )
        return value
