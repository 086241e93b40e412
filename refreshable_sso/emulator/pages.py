"""The pages a person sees in a browser: device verification and the PKCE consent page.

Plain server-rendered HTML with no scripts or external assets; every value is escaped.
Approve/Deny are ordinary form posts, so any browser (or ``urllib``) can drive them.
"""

from __future__ import annotations

import base64
import time
import uuid
from html import escape
from urllib.parse import parse_qsl

from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.oidc import redirect_uri_allowed
from refreshable_sso.emulator.state import AuthorizationRequest
from refreshable_sso.emulator.wire import Request, Response, callback_location

_STYLE = (
    "body{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em}"
    "code{font-size:1.6em;letter-spacing:.1em}"
    "button{font-size:1.1em;margin-right:1em;padding:.4em 1.2em}"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response.html(html, status)


def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


class Pages:
    """Device verification (``/device``) and authorization (``/authorize``) pages."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority

    # -- device verification ------------------------------------------------------------------
    def device(self, request: Request) -> Response:
        user_code = (request.query.get("user_code") or "").strip().upper()
        if not user_code:
            return _page(
                "Authorize request",
                "<p>Enter the code shown by the application.</p>"
                '<form method="get" action="/device">'
                '<input name="user_code" id="user_code" autocomplete="off" placeholder="ABCD-EFGH"> '
                '<button type="submit" id="next">Next</button></form>',
            )
        status = self.authority.device_status(user_code)
        if status in ("approved", "consumed"):
            return _page(
                "Request approved",
                '<p id="status">Request approved. You can close this window.</p>',
            )
        if status == "denied":
            return _page(
                "Request denied", '<p id="status">Request denied. You can close this window.</p>'
            )
        if status != "pending":
            return _page(
                "Code not valid",
                f'<p id="status">The code <code>{escape(user_code)}</code> is unknown, expired '
                'or already used.</p><p><a href="/device">Enter another code</a></p>',
                404,
            )
        who, approve = self._portal_status()
        return _page(
            "Authorize request",
            f"{who}<p>An application asks to access your AWS accounts.</p>"
            f'<p>Confirm that it shows this code: <code id="user-code">{escape(user_code)}</code></p>'
            '<form method="post" action="/device">'
            f'<input type="hidden" name="user_code" value="{escape(user_code)}">'
            f'<button type="submit" name="decision" value="approve" id="approve">{approve}</button>'
            '<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>',
        )

    def _portal_status(self) -> tuple[str, str]:
        """The page's "who is signed in" line and its approve button's label.

        While the user's portal session lives, approving needs no sign-in and the new tokens
        end with that session (the line says when). Without one, approving signs the person in
        first: a visible step that starts a new session.
        """
        user = escape(self.authority.directory.default_user.user_name)
        session = self.authority.live_portal_session()
        if session is not None:
            ends = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(session.expires_at))
            return (
                f'<p id="portal-session">Signed in as <b>{user}</b>; this portal session ends '
                f'at <span id="session-end">{ends}</span>.</p>',
                "Approve",
            )
        hours = self.authority.settings.session_ttl / 3600
        return (
            f'<p id="sign-in">You are not signed in to the AWS access portal. Approving signs '
            f"you in as <b>{user}</b> first, which starts a new portal session of "
            f"{hours:g} h.</p>",
            "Sign in, then Approve",
        )

    def device_decision(self, request: Request) -> Response:
        form = _form(request)
        user_code = form.get("user_code", "")
        decision = form.get("decision", "")
        if decision not in ("approve", "deny"):
            return _page("Bad request", '<p id="status">decision must be approve or deny.</p>', 400)
        if not self.authority.decide_device(user_code, approve=decision == "approve"):
            return _page(
                "Code not valid",
                '<p id="status">This code is unknown, expired or already used.</p>',
                404,
            )
        if decision == "approve":
            return _page(
                "Request approved",
                '<p id="status">Request approved. You can close this window.</p>',
            )
        return _page(
            "Request denied", '<p id="status">Request denied. You can close this window.</p>'
        )

    # -- PKCE authorize ----------------------------------------------------------------------
    def authorize(self, request: Request) -> Response:
        q = request.query
        client_id = q.get("client_id", "")
        redirect_uri = q.get("redirect_uri", "")
        with self.authority.store.lock:
            client = self.authority.store.clients.get(client_id)
        if client is None:
            return _page("Invalid request", '<p id="status">Unknown client_id.</p>', 400)
        if not redirect_uri or not redirect_uri_allowed(client.redirect_uris, redirect_uri):
            return _page(
                "Invalid request",
                '<p id="status">redirect_uri is not registered for this client.</p>',
                400,
            )
        state = q.get("state", "")
        problem = _authorize_problem(q)
        if problem:
            return Response.redirect(
                callback_location(
                    redirect_uri, error="invalid_request", error_description=problem, state=state
                )
            )
        scopes = tuple(q.get("scopes", "").split()) or client.scopes
        if not set(scopes) <= set(client.scopes):
            return Response.redirect(
                callback_location(redirect_uri, error="invalid_scope", state=state)
            )
        req = AuthorizationRequest(
            request_id=str(uuid.uuid4()),
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=q.get("code_challenge", ""),
            scopes=scopes,
            expires_at=self.authority.clock.now() + self.authority.settings.device_code_ttl,
        )
        self.authority.add_authorization(req)
        if self.authority.settings.auto_approve:
            location = self.authority.decide_authorization(req.request_id, approve=True)
            assert location is not None
            return Response.redirect(location)
        who, approve = self._portal_status()
        return _page(
            "Allow access?",
            f"{who}"
            f'<p>The application <b id="client-name">{escape(client.client_name)}</b> asks to '
            f"access your AWS accounts ({escape(' '.join(scopes))}).</p>"
            '<form method="post" action="/authorize">'
            f'<input type="hidden" name="request_id" value="{escape(req.request_id)}">'
            f'<button type="submit" name="decision" value="approve" id="approve">{approve}</button>'
            '<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>',
        )

    def authorize_decision(self, request: Request) -> Response:
        form = _form(request)
        decision = form.get("decision", "")
        if decision not in ("approve", "deny"):
            return _page("Bad request", '<p id="status">decision must be approve or deny.</p>', 400)
        location = self.authority.decide_authorization(
            form.get("request_id", ""), decision == "approve"
        )
        if location is None:
            return _page(
                "Request not valid",
                '<p id="status">This authorization request is unknown, expired or already answered.</p>',
                404,
            )
        return Response.redirect(location)

    def index(self, base_url: str) -> Response:
        s = self.authority.settings
        return _page(
            "Local IAM Identity Center emulator",
            f"<p>Start URL: <code>{escape(s.start_url)}</code>, region <code>{escape(s.region)}</code>.</p>"
            f"<p>SSO, SSO-OIDC and STS are served at <code>{escape(base_url)}</code>.</p>"
            '<ul><li><a href="/device">Device verification</a></li>'
            '<li><a href="/_emulator/stats">Call counters (JSON)</a></li></ul>',
        )


def _authorize_problem(q: dict[str, str]) -> str:
    if q.get("response_type") != "code":
        return "response_type must be code"
    if q.get("code_challenge_method") != "S256":
        return "code_challenge_method must be S256"
    challenge = q.get("code_challenge", "")
    try:
        raw = base64.urlsafe_b64decode(challenge + "=" * (-len(challenge) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        return "code_challenge must be base64url(sha256(verifier)) without padding"
    if not q.get("state"):
        return "state is required"
    return ""
