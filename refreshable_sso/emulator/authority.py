"""The rules of sign-in: sessions, token issue and rotation, approvals, revocation.

The HTTP-facing modules (``oidc``, ``portal``, ``pages``) and the Python facade
(:class:`~refreshable_sso.emulator.Emulator`) all go through here, so a token minted by
``emu.sign_in()`` and one minted by a real device flow obey exactly the same lifetimes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from refreshable_sso.emulator.clock import Clock
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.emulator.settings import EmulatorSettings
from refreshable_sso.emulator.state import (
    AccessToken,
    AuthorizationRequest,
    Client,
    DeviceAuthorization,
    RefreshToken,
    RoleCredentials,
    SignInSession,
    Store,
    new_secret,
)
from refreshable_sso.emulator.wire import callback_location

REFRESH_SCOPE = "sso:account:access"
PRUNE_EVERY = 1024  # inserts between sweeps of records that can no longer matter


@dataclass(frozen=True)
class IssuedTokens:
    """What CreateToken returns."""

    access_token: str = field(repr=False)
    expires_in: int
    expires_at: float
    refresh_token: str | None = field(repr=False)


class Authority:
    """Owns the token and session rules over one :class:`Store`."""

    def __init__(
        self, store: Store, settings: EmulatorSettings, clock: Clock, directory: Directory
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.directory = directory

    def _inserted(self) -> None:
        """Count an insert (lock held); every PRUNE_EVERY inserts, drop dead records."""
        self.store.inserts += 1
        if self.store.inserts % PRUNE_EVERY == 0:
            self.store.prune(self.clock.now())

    def record_role_credentials(self, creds: RoleCredentials) -> None:
        """Remember issued role credentials (STS verifies signatures against them)."""
        with self.store.lock:
            self.store.role_credentials[creds.access_key_id] = creds
            self._inserted()

    def add_authorization(self, request: AuthorizationRequest) -> None:
        """Remember a PKCE ``/authorize`` request until it is answered or expires."""
        with self.store.lock:
            self.store.authorizations[request.request_id] = request
            self._inserted()

    def add_device_authorization(self, auth: DeviceAuthorization) -> None:
        """Remember a device authorization under its device code and its user code."""
        with self.store.lock:
            self.store.device_by_code[auth.device_code] = auth
            self.store.device_by_user_code[auth.user_code] = auth
            self._inserted()

    # -- clients -----------------------------------------------------------------------
    def register_client(
        self,
        name: str,
        scopes: tuple[str, ...] = (),
        grant_types: tuple[str, ...] = (),
        redirect_uris: tuple[str, ...] = (),
    ) -> Client:
        now = self.clock.now()
        client = Client(
            client_id=new_secret("cid-", 18),
            client_secret=new_secret("csec-", 48),
            client_name=name,
            scopes=scopes,
            grant_types=grant_types,
            redirect_uris=redirect_uris,
            issued_at=now,
            expires_at=now + self.settings.registration_ttl,
        )
        with self.store.lock:
            self.store.clients[client.client_id] = client
            self._inserted()
        return client

    # -- sessions and tokens ---------------------------------------------------------------
    def start_session(self, user_name: str | None = None) -> SignInSession:
        """A new portal session with a full ``session_ttl``: the person authenticated.

        It becomes the user's live portal session (the one later approvals bind to). A
        session it replaces is not ended: tokens already bound to it refresh until its own end,
        as with two browsers.
        """
        now = self.clock.now()
        session = SignInSession(
            session_id=str(uuid.uuid4()),
            user_name=user_name or self.directory.default_user.user_name,
            started_at=now,
            expires_at=now + self.settings.session_ttl,
        )
        with self.store.lock:
            self.store.sessions[session.session_id] = session
            self.store.portal_sessions[session.user_name] = session.session_id
            self._inserted()
        return session

    def live_portal_session(self, user_name: str | None = None) -> SignInSession | None:
        """The user's portal session if it still lives (not past its end, not logged out)."""
        name = user_name or self.directory.default_user.user_name
        now = self.clock.now()
        with self.store.lock:
            session = self.store.sessions.get(self.store.portal_sessions.get(name, ""))
            return session if session is not None and session.active(now) else None

    def portal_session(self, user_name: str | None = None, sign_in: bool = False) -> SignInSession:
        """The session an approval binds to, as IAM Identity Center does it.

        While the user's portal session lives, approving another device code or PKCE request
        needs no authentication and binds to it: the new tokens end when it ends. Past its end,
        after ``sso:Logout``, or with ``sign_in`` (the person authenticates anyway, e.g. in
        another browser), the person signs in first, which starts a new session.
        """
        with self.store.lock:
            live = None if sign_in else self.live_portal_session(user_name)
            return live if live is not None else self.start_session(user_name)

    def issue_tokens(
        self, client: Client, session: SignInSession, scopes: tuple[str, ...]
    ) -> IssuedTokens:
        """An access token (never outliving the session) and, for ``sso:account:access``
        scope, a single-use refresh token."""
        now = self.clock.now()
        expires_at = min(now + self.settings.access_token_ttl, session.expires_at)
        access = AccessToken(
            new_secret("aoa", 64), client.client_id, session.session_id, expires_at
        )
        refresh: RefreshToken | None = None
        if REFRESH_SCOPE in scopes:
            refresh = RefreshToken(
                new_secret("aor", 64), client.client_id, session.session_id, scopes
            )
        with self.store.lock:
            self.store.access_tokens[access.token] = access
            if refresh is not None:
                self.store.refresh_tokens[refresh.token] = refresh
            self._inserted()
        return IssuedTokens(
            access_token=access.token,
            expires_in=max(1, int(expires_at - now)),
            expires_at=expires_at,
            refresh_token=refresh.token if refresh else None,
        )

    def bound_session(self, session_id: str | None, user_name: str | None) -> SignInSession:
        """The portal session an approval bound to, for the token it leads to.

        If that session ended between the approval and the token (its end came, or a Logout),
        the person in the browser would be asked to sign in again: the user's live portal
        session, or a new one.
        """
        with self.store.lock:
            session = self.store.sessions.get(session_id or "")
            if session is not None and session.active(self.clock.now()):
                return session
            return self.portal_session(user_name)

    def session_for_access_token(self, token: str | None) -> SignInSession | None:
        """The live session behind an access token, or None if the token is unknown,
        expired or revoked."""
        if not token:
            return None
        now = self.clock.now()
        with self.store.lock:
            access = self.store.access_tokens.get(token)
            if access is None or access.revoked or now >= access.expires_at:
                return None
            return self.store.sessions.get(access.session_id)

    def end_sessions(self, revoke_access_tokens: bool = False) -> int:
        """End every sign-in session now: refresh tokens stop working; access tokens too
        when ``revoke_access_tokens``. Returns how many sessions were active."""
        now = self.clock.now()
        with self.store.lock:
            active = [s for s in self.store.sessions.values() if s.active(now)]
            for s in self.store.sessions.values():
                s.ended = True
            for r in self.store.refresh_tokens.values():
                r.revoked = True
            if revoke_access_tokens:
                for a in self.store.access_tokens.values():
                    a.revoked = True
        return len(active)

    def logout(self, token: str) -> bool:
        """End the session behind ``token`` and revoke all its access and refresh tokens."""
        with self.store.lock:
            access = self.store.access_tokens.get(token)
            if access is None or access.revoked or self.clock.now() >= access.expires_at:
                return False
            session = self.store.sessions.get(access.session_id)
            if session is not None:
                session.ended = True
            for a in self.store.access_tokens.values():
                if a.session_id == access.session_id:
                    a.revoked = True
            for r in self.store.refresh_tokens.values():
                if r.session_id == access.session_id:
                    r.revoked = True
        return True

    # -- device authorizations ---------------------------------------------------------------
    def decide_device(
        self, user_code: str, approve: bool, user_name: str | None = None, sign_in: bool = False
    ) -> bool:
        """Approve or deny a pending device authorization; False if the code is unknown,
        expired or already decided. An approval binds to the user's portal session
        (:meth:`portal_session`; ``sign_in`` makes the person authenticate anew)."""
        code = user_code.strip().upper()
        with self.store.lock:
            auth = self.store.device_by_user_code.get(code)
            if auth is None or auth.status != "pending" or self.clock.now() >= auth.expires_at:
                return False
            auth.status = "approved" if approve else "denied"
            auth.user_name = user_name or self.directory.default_user.user_name
            if approve:
                auth.session_id = self.portal_session(auth.user_name, sign_in).session_id
            return True

    def device_status(self, user_code: str) -> str | None:
        """pending / approved / denied / consumed, or None when unknown or expired."""
        with self.store.lock:
            auth = self.store.device_by_user_code.get(user_code.strip().upper())
            if auth is None or self.clock.now() >= auth.expires_at:
                return None
            return auth.status

    def pending_user_codes(self) -> list[str]:
        now = self.clock.now()
        with self.store.lock:
            return [
                a.user_code
                for a in self.store.device_by_user_code.values()
                if a.status == "pending" and now < a.expires_at
            ]

    # -- PKCE authorization requests -------------------------------------------------------
    def decide_authorization(
        self,
        request_id: str,
        approve: bool,
        user_name: str | None = None,
        sign_in: bool = False,
    ) -> str | None:
        """Approve (issuing a one-use code) or deny a pending ``/authorize`` request.
        Returns the redirect location, or None if the request is unknown/expired/decided.
        An approval binds to the user's portal session (:meth:`portal_session`)."""
        with self.store.lock:
            req = self.store.authorizations.get(request_id)
            if req is None or req.status != "pending" or self.clock.now() >= req.expires_at:
                return None
            req.user_name = user_name or self.directory.default_user.user_name
            if not approve:
                req.status = "denied"
                return callback_location(req.redirect_uri, error="access_denied", state=req.state)
            req.status = "approved"
            req.session_id = self.portal_session(req.user_name, sign_in).session_id
            req.code = new_secret("code-", 32)
            # The code lives from approval on, not from the /authorize call.
            req.expires_at = self.clock.now() + self.settings.authorization_code_ttl
            self.store.auth_by_code[req.code] = req
            return callback_location(req.redirect_uri, code=req.code, state=req.state)

    def pending_authorizations(self) -> list[str]:
        now = self.clock.now()
        with self.store.lock:
            return [
                r.request_id
                for r in self.store.authorizations.values()
                if r.status == "pending" and now < r.expires_at
            ]
