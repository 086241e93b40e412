"""The shapes other tools read credentials in: credential_process JSON, the container
credentials JSON, and the AWS_* environment variables. Standard library only: the
``credential-process`` fast path renders through here without importing botocore.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NamedTuple

from refreshable_sso import _clock


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, whole seconds, rounded down (never later than the truth)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> datetime:
    """An aware UTC datetime from the AWS CLI cache's ``Expiration`` (``...Z``, optional millis).

    ``ValueError`` for anything else; callers then take the slow path, which reads more forms.
    """
    if not text.endswith("Z"):
        raise ValueError("not a UTC timestamp ending in 'Z'")
    parsed = datetime.fromisoformat(text[:-1])
    if parsed.tzinfo is not None:
        raise ValueError("timestamp has two time zones")
    return parsed.replace(tzinfo=timezone.utc)


class ServedCredentials(NamedTuple):
    """One set of role credentials as handed to another process; ``repr`` masks the secrets.

    A NamedTuple rather than a dataclass: ``dataclasses`` pulls in ``inspect`` and ``ast``,
    a tenth of the credential-process fast path's import time.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    account_id: str | None = None
    #: The IAM role the credentials act as (``RoleArn`` of the container answer), if known.
    role_arn: str | None = None

    def __repr__(self) -> str:
        return (
            f"ServedCredentials(access_key_id={self.access_key_id!r}, secret_access_key='****', "
            f"session_token='****', expiration={iso_utc(self.expiration)!r}, "
            f"account_id={self.account_id!r}, role_arn={self.role_arn!r})"
        )

    def __str__(self) -> str:
        return self.__repr__()

    def seconds_left(self, now: datetime | None = None) -> float:
        return (self.expiration - (now or _clock.now())).total_seconds()

    def credential_process(self) -> dict[str, Any]:
        """What ``credential_process`` prints (botocore ``ProcessProvider``, every AWS SDK);
        ``AccountId`` (read by botocore for account-based endpoints) when it is known."""
        document: dict[str, Any] = {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": iso_utc(self.expiration),
        }
        if self.account_id:
            document["AccountId"] = self.account_id
        return document

    def container(self) -> dict[str, Any]:
        """What a container-credentials endpoint answers (botocore ``ContainerProvider``,
        the JavaScript SDK's ``fromHttp`` / ``fromContainerMetadata``), with ``AccountId`` and
        ``RoleArn`` (as in the ECS task-role answer) when they are known."""
        document: dict[str, Any] = {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.session_token,
            "Expiration": iso_utc(self.expiration),
        }
        if self.account_id:
            document["AccountId"] = self.account_id
        if self.role_arn:
            document["RoleArn"] = self.role_arn
        return document

    def environment(self, region: str | None = None) -> dict[str, str]:
        """The AWS_* variables SDKs and tools read static credentials (and a region) from."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_CREDENTIAL_EXPIRATION": iso_utc(self.expiration),
        }
        if region:
            env["AWS_REGION"] = region
            env["AWS_DEFAULT_REGION"] = region
        return env


__all__ = ["ServedCredentials", "iso_utc", "parse_iso_utc"]
