"""What a credential server needs from a session, as a small protocol.

The container endpoint asks a served session three things: fresh credentials, the account they
act in and the role they act as. Naming only those (structurally, with ``typing.Protocol``)
keeps ``serving`` above the session layer without importing the session class, so the two
modules no longer import each other, and anything with these members can be served (a test
double, or another session type). ``SSORefreshableSession`` satisfies it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CredentialSnapshot(Protocol):
    """One consistent set of role credentials and their expiry (e.g. ``TemporaryCredentials``)."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def token(self) -> str: ...

    @property
    def expiry_time(self) -> datetime | None: ...


class ServedSession(Protocol):
    """A source of refreshed role credentials the container server can serve."""

    def ensure_valid_credentials(self) -> CredentialSnapshot:
        """Credentials with at least the advisory window left; raises
        ``LoginRequiredError`` / ``CredentialRefreshError`` when they cannot be had."""
        ...

    @property
    def credentials_account_id(self) -> str:
        """The account the credentials act in (``AccountId``)."""
        ...

    def credentials_role_arn(self) -> str | None:
        """The ARN of the IAM role the credentials act as (``RoleArn``), None when unknown."""
        ...


__all__ = ["CredentialSnapshot", "ServedSession"]
