"""Who the session's SSO role credentials are: ``sts:GetCallerIdentity`` plus the parsed names.

The call is signed with exactly the credentials handed in (never the default chain), so
``whoami()`` proves the session's own credentials work.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, TypedDict

from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso._aws import (
    DEFAULT_HTTP,
    HttpSettings,
    describe_wait,
    error_code,
    error_message,
    is_timeout,
    status_code,
    sts_client,
)
from refreshable_sso.errors import IdentityError

if TYPE_CHECKING:
    from refreshable_sso.expired_token import ExpiredTokenHook

logger = logging.getLogger(__name__)

_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+)$"
)
# IAM Identity Center names the role it creates for a permission set AWSReservedSSO_<name>_<16 hex>.
_SSO_ROLE = re.compile(r"^AWSReservedSSO_(?P<name>.+)_(?P<suffix>[0-9a-f]{16})$")


class Identity(TypedDict):
    """``GetCallerIdentity``'s answer (``Account``, ``Arn``, ``UserId``) plus what the ARN says.

    ``role_name`` is the permission set name (``ReadOnlyAccess`` for the IAM role
    ``AWSReservedSSO_ReadOnlyAccess_0123456789abcdef``), ``iam_role_name`` the IAM role itself,
    ``user_name`` the role session name (the person's IAM Identity Center user name).
    """

    Account: str
    Arn: str
    UserId: str
    account_id: str
    role_name: str
    iam_role_name: str
    user_name: str
    is_sso_role: bool


def parse_identity(response: dict[str, object]) -> Identity:
    """Build an ``Identity`` from a GetCallerIdentity response; ``IdentityError`` if it is not a role."""
    try:
        account = str(response["Account"])
        arn = str(response["Arn"])
        user_id = str(response["UserId"])
    except KeyError as exc:
        raise IdentityError(f"GetCallerIdentity answer lacks {exc.args[0]!r}") from exc
    match = _ASSUMED_ROLE.match(arn)
    if match is None:
        raise IdentityError(
            f"Caller {arn!r} is not an assumed-role identity; SSO role credentials always are "
            "(arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_NAME_HEX/USER)"
        )
    iam_role = match["role"]
    sso = _SSO_ROLE.match(iam_role)
    return Identity(
        Account=account,
        Arn=arn,
        UserId=user_id,
        account_id=match["account"],
        role_name=sso["name"] if sso else iam_role,
        iam_role_name=iam_role,
        user_name=match["session"],
        is_sso_role=sso is not None,
    )


def get_caller_identity(
    credentials: Credentials,
    *,
    region: str,
    endpoint_url: str | None = None,
    http: HttpSettings = DEFAULT_HTTP,
    expired_token_hook: ExpiredTokenHook | None = None,
) -> Identity:
    """Call ``sts:GetCallerIdentity`` signed with ``credentials``; failures become ``IdentityError``.

    A session passes its ``expired_token_hook``, so a call whose credentials expired on the way
    (or that a skewed server clock rejects) is re-signed once, as on the session's own clients.
    """
    started = time.monotonic()
    try:
        client = sts_client(region, credentials, endpoint_url=endpoint_url, http=http)
        if expired_token_hook is not None:
            expired_token_hook.register(client.meta.events, "refreshable-sso-whoami")
        try:
            response = client.get_caller_identity()
        finally:
            client.close()
    except ClientError as exc:
        code, status = error_code(exc), status_code(exc)
        raise IdentityError(
            f"sts:GetCallerIdentity was refused (HTTP {status}, {code}): "
            f"{error_message(exc) or ''}".rstrip(": ")
        ) from exc
    except BotoCoreError as exc:
        if is_timeout(exc):
            waited = describe_wait(exc, http, time.monotonic() - started)
            raise IdentityError(
                f"sts:GetCallerIdentity failed: STS {waited} ({exc}); check the network or "
                "the STS endpoint (AWS_ENDPOINT_URL_STS)"
            ) from exc
        raise IdentityError(f"sts:GetCallerIdentity failed: {exc}") from exc
    identity = parse_identity(dict(response))
    logger.debug("caller identity: %s", identity["Arn"])
    return identity


__all__ = ["Identity", "get_caller_identity", "parse_identity"]
