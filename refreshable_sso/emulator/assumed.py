"""Credentials issued by the emulator's ``sts:AssumeRole``, and who a signed request comes from.

Kept beside (not inside) the sign-in store: assumed-role sessions are STS's own records, looked
up by access key id when a request is signed with them, and dropped a day after they expire.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from refreshable_sso.emulator.state import RoleCredentials

_GRACE = 86400.0  # keep expired sessions this long, so "expired" is told apart from "unknown"
_PRUNE_EVERY = 1024


@dataclass
class AssumedCredentials:
    """One AssumeRole result; ``user_name`` is the IAM Identity Center user at the chain's start."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    account_id: str
    role_name: str
    session_name: str
    user_name: str
    source_identity: str | None
    expires_at: float
    issued_at: float = 0.0


@dataclass(frozen=True)
class Caller:
    """The principal behind a verified request."""

    account_id: str
    principal_arn: str  # the IAM role ARN (what trust entries match)
    sts_arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    user_id: str
    user_name: str
    source_identity: str | None = None
    is_role: bool = True  # every credential the emulator issues is a role session
    permission_set: str | None = None  # the SSO permission set (None for an assumed IAM role)

    @classmethod
    def of_sso(
        cls, creds: RoleCredentials, sts_arn: str, principal_arn: str, user_id: str
    ) -> Caller:
        return cls(
            creds.account_id,
            principal_arn,
            sts_arn,
            user_id,
            creds.user_name,
            permission_set=creds.role_name,
        )

    @classmethod
    def of_assumed(cls, creds: AssumedCredentials) -> Caller:
        digest = hashlib.sha256(f"{creds.account_id}/{creds.role_name}".encode()).hexdigest()
        return cls(
            account_id=creds.account_id,
            principal_arn=f"arn:aws:iam::{creds.account_id}:role/{creds.role_name}",
            sts_arn=f"arn:aws:sts::{creds.account_id}:assumed-role/{creds.role_name}/{creds.session_name}",
            user_id=f"AROA{digest.upper()[:17]}:{creds.session_name}",
            user_name=creds.user_name,
            source_identity=creds.source_identity,
        )


class AssumedSessions:
    """Issued assumed-role credentials by access key id (thread-safe, pruned as it grows)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, AssumedCredentials] = {}
        self._inserts = 0

    def add(self, creds: AssumedCredentials, now: float) -> None:
        with self._lock:
            self._by_key[creds.access_key_id] = creds
            self._inserts += 1
            if self._inserts % _PRUNE_EVERY == 0:
                self._by_key = {
                    k: c for k, c in self._by_key.items() if c.expires_at > now - _GRACE
                }

    def get(self, access_key_id: str) -> AssumedCredentials | None:
        with self._lock:
            return self._by_key.get(access_key_id)

    def issued(self) -> list[AssumedCredentials]:
        """Every session still remembered, oldest first."""
        with self._lock:
            return sorted(self._by_key.values(), key=lambda c: c.issued_at)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_key)
