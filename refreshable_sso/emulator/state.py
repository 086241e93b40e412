"""Everything the emulator remembers: clients, authorizations, tokens, sessions, credentials.

The records are plain dataclasses whose secrets are excluded from ``repr``; the
:class:`Store` holds them in dicts guarded by one lock that the service modules take for
each operation (``with store.lock:``), which keeps the server correct under concurrency.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field


def new_secret(prefix: str, nbytes: int = 48) -> str:
    """An unguessable opaque token with a readable prefix."""
    return prefix + secrets.token_urlsafe(nbytes)


def new_user_code() -> str:
    """An ``ABCD-EFGH`` style code without ambiguous letters."""
    alphabet = "BCDFGHJKLMNPQRSTVWXZ"
    chars = [secrets.choice(alphabet) for _ in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def new_access_key_id() -> str:
    """A temporary-credential style key id (``ASIA`` + 16 upper-case characters)."""
    alphabet = string.ascii_uppercase + "234567"
    return "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))


@dataclass
class Client:
    """A RegisterClient result."""

    client_id: str
    client_secret: str = field(repr=False)
    client_name: str
    scopes: tuple[str, ...]
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    issued_at: float
    expires_at: float


@dataclass
class SignInSession:
    """One interactive sign-in of a user; refresh works only while it lasts."""

    session_id: str
    user_name: str
    started_at: float
    expires_at: float
    ended: bool = False

    def active(self, now: float) -> bool:
        return not self.ended and now < self.expires_at


@dataclass
class DeviceAuthorization:
    """A StartDeviceAuthorization waiting for someone to approve or deny it."""

    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    expires_at: float
    interval: float
    status: str = "pending"  # pending | approved | denied | consumed
    user_name: str | None = None
    session_id: str | None = None  # the portal session the approval bound to
    last_poll: float | None = None


@dataclass
class AuthorizationRequest:
    """A PKCE ``/authorize`` request waiting for a decision, then its one-use code."""

    request_id: str
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    scopes: tuple[str, ...]
    expires_at: float
    status: str = "pending"  # pending | approved | denied | consumed
    code: str | None = field(default=None, repr=False)
    user_name: str | None = None
    session_id: str | None = None  # the portal session the approval bound to


@dataclass
class AccessToken:
    token: str = field(repr=False)
    client_id: str
    session_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str = field(repr=False)
    client_id: str
    session_id: str
    scopes: tuple[str, ...]
    used: bool = False
    revoked: bool = False


@dataclass
class RoleCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    account_id: str
    role_name: str
    user_name: str
    expires_at: float


@dataclass
class Store:
    """All mutable emulator state, guarded by ``lock``."""

    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    clients: dict[str, Client] = field(default_factory=dict)
    sessions: dict[str, SignInSession] = field(default_factory=dict)
    # user name -> id of the user's portal session, the one the browser keeps: an approval
    # binds to it without asking the person to authenticate while it lives
    portal_sessions: dict[str, str] = field(default_factory=dict)
    device_by_code: dict[str, DeviceAuthorization] = field(default_factory=dict, repr=False)
    device_by_user_code: dict[str, DeviceAuthorization] = field(default_factory=dict)
    authorizations: dict[str, AuthorizationRequest] = field(default_factory=dict)
    auth_by_code: dict[str, AuthorizationRequest] = field(default_factory=dict, repr=False)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict, repr=False)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict, repr=False)
    role_credentials: dict[str, RoleCredentials] = field(default_factory=dict)
    inserts: int = 0

    def prune(self, now: float, grace: float = 3600.0, credentials_grace: float = 86400.0) -> int:
        """Forget records that can no longer change an answer, so a long-running emulator
        stays small. Call with ``lock`` held. Returns how many records were dropped.

        Everything is kept for ``grace`` seconds past its end (so "expired" is still told
        apart from "unknown" where AWS does), role credentials for ``credentials_grace``.
        """
        before = self._size()
        cutoff = now - grace
        live_sessions = {sid for sid, sess in self.sessions.items() if sess.expires_at > cutoff}
        self.sessions = {sid: sess for sid, sess in self.sessions.items() if sid in live_sessions}
        self.portal_sessions = {
            user: sid for user, sid in self.portal_sessions.items() if sid in live_sessions
        }
        self.access_tokens = {k: a for k, a in self.access_tokens.items() if a.expires_at > now}
        self.refresh_tokens = {
            k: r for k, r in self.refresh_tokens.items() if r.session_id in live_sessions
        }
        self.role_credentials = {
            k: c for k, c in self.role_credentials.items() if c.expires_at > now - credentials_grace
        }
        self.device_by_code = {
            k: d for k, d in self.device_by_code.items() if d.expires_at > cutoff
        }
        self.device_by_user_code = {
            k: d for k, d in self.device_by_user_code.items() if d.expires_at > cutoff
        }
        self.authorizations = {
            k: a for k, a in self.authorizations.items() if a.expires_at > cutoff
        }
        self.auth_by_code = {k: a for k, a in self.auth_by_code.items() if a.expires_at > cutoff}
        self.clients = {k: c for k, c in self.clients.items() if c.expires_at > cutoff}
        return before - self._size()

    def _size(self) -> int:
        return sum(
            len(d)
            for d in (
                self.sessions,
                self.access_tokens,
                self.refresh_tokens,
                self.role_credentials,
                self.device_by_code,
                self.device_by_user_code,
                self.authorizations,
                self.auth_by_code,
                self.clients,
            )
        )
