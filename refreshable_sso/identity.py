"""Who the session's SSO role credentials are: ``sts:GetCallerIdentity`` plus the parsed names.

The call is signed with exactly the credentials handed in (never the default chain), so
``whoami()`` proves the session's own credentials work.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, TypedDict

from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso import _clock
from refreshable_sso.aws.clients import (
    DEFAULT_HTTP,
    describe_wait,
    error_code,
    error_message,
    is_timeout,
    status_code,
    sts_client,
)
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import IdentityError

if TYPE_CHECKING:
    from refreshable_sso.expired_token import ExpiredTokenHook

logger = logging.getLogger(__name__)

_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+)$"
)
# IAM Identity Center names the role it creates for a permission set AWSReservedSSO_<name>_<16 hex>.
_SSO_ROLE = re.compile(r"^AWSReservedSSO_(?P<name>.+)_(?P<suffix>[0-9a-f]{16})$")
#: The IAM path of the roles IAM Identity Center provisions; an instance outside us-east-1 adds
#: its region (``aws-reserved/sso.amazonaws.com/eu-west-2/``), as the IAM Identity Center guide
#: ("Referencing permission sets in resource policies") documents.
SSO_ROLE_PATH = "aws-reserved/sso.amazonaws.com/"
_PATHLESS_SSO_REGION = "us-east-1"


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


def iam_role_arn(identity: Identity, sso_region: str) -> str:
    """The ARN of the IAM role behind an assumed-role ``identity``.

    GetCallerIdentity names the role (``AWSReservedSSO_<name>_<hash>`` for a permission set) but
    not its IAM path. For a role IAM Identity Center provisioned, the path is the documented one:
    ``aws-reserved/sso.amazonaws.com/``, plus ``<sso_region>/`` when the IAM Identity Center
    instance (``sso_region``) is not us-east-1. Any other role is given without a path.

    :param identity: what ``get_caller_identity`` / ``parse_identity`` returned.
    :param sso_region: the region of the IAM Identity Center instance (the profile's
        ``sso_region``).
    """
    match = _ASSUMED_ROLE.match(identity["Arn"])
    if match is None:  # parse_identity accepted it, so this cannot happen; say so if it does
        raise IdentityError(f"{identity['Arn']!r} is not an assumed-role ARN")
    path = ""
    if identity["is_sso_role"]:
        path = SSO_ROLE_PATH
        if sso_region != _PATHLESS_SSO_REGION:
            path += f"{sso_region}/"
    role = identity["iam_role_name"]
    return f"arn:{match['partition']}:iam::{match['account']}:role/{path}{role}"


def get_caller_identity(
    credentials: Credentials,
    *,
    region: str,
    endpoint_url: str | None = None,
    http: HttpConfig = DEFAULT_HTTP,
    expired_token_hook: ExpiredTokenHook | None = None,
) -> Identity:
    """Call ``sts:GetCallerIdentity`` signed with ``credentials``; failures become ``IdentityError``.

    A session passes its ``expired_token_hook``, so a call whose credentials expired on the way
    (or that a skewed server clock rejects) is re-signed once, as on the session's own clients.
    """
    started = _clock.monotonic()
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
            waited = describe_wait(exc, http, _clock.monotonic() - started)
            raise IdentityError(
                f"sts:GetCallerIdentity failed: STS {waited} ({exc}); check the network or "
                "the STS endpoint (AWS_ENDPOINT_URL_STS)"
            ) from exc
        raise IdentityError(f"sts:GetCallerIdentity failed: {exc}") from exc
    identity = parse_identity(dict(response))
    logger.debug("caller identity: %s", identity["Arn"])
    return identity


__all__ = ["SSO_ROLE_PATH", "Identity", "get_caller_identity", "iam_role_arn", "parse_identity"]
