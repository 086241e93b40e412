"""IAM roles and MFA devices of the emulated directory, and the rules STS applies to them.

Kept apart from ``directory.py`` (accounts, users, assignments): this module knows what a role
trusts, which ExternalId and MFA it asks for and how long its sessions may last; STS asks it.

JSON shapes (inside an account and a user of the directory file)::

    "iam_roles": [{"name": "Deploy", "trust": ["111111111111", "arn:aws:iam::1:root",
                   "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"],
                   "external_id": null, "mfa_required": false, "max_session_duration": 3600}]
    "mfa_devices": [{"serial": "arn:aws:iam::111111111111:mfa/alice", "totp_secret": "BASE32"}]
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from refreshable_sso import _extras

try:
    import pyotp
except ModuleNotFoundError as exc:  # the library's own install leaves it out
    raise _extras.missing(exc, extra="emulator", feature="The emulator") from exc

_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_TRUST_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(root|role/.+)$")
_MFA_SERIAL = re.compile(r"^arn:aws:iam::\d{12}:mfa/[\w+=,.@-]+$")

#: The RFC 6238 test secret ("12345678901234567890" in base32), used by the default user.
RFC6238_TEST_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - a published test vector
MIN_SESSION_DURATION = 900
MAX_MAX_SESSION_DURATION = 43200
CHAINED_MAX_DURATION = 3600  # a role assumed with role credentials lasts at most an hour


@dataclass(frozen=True)
class IamRole:
    """An IAM role callers can assume with ``sts:AssumeRole``."""

    name: str
    trust: tuple[str, ...]
    external_id: str | None = field(default=None, repr=False)
    mfa_required: bool = False
    max_session_duration: int = 3600

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.name}"

    def trusts(self, principal_arn: str, principal_account: str) -> bool:
        """True when one trust entry admits the caller (account id, ``:root`` or a role pattern)."""
        for entry in self.trust:
            if _ACCOUNT_ID.match(entry) and entry == principal_account:
                return True
            if entry == f"arn:aws:iam::{principal_account}:root":
                return True
            pattern = "^" + ".*".join(re.escape(part) for part in entry.split("*")) + "$"
            if ":role/" in entry and re.match(pattern, principal_arn):
                return True
        return False


@dataclass(frozen=True)
class MfaDevice:
    """A virtual MFA device (RFC 6238 TOTP: 6 digits, 30 s steps) of one user."""

    serial: str
    totp_secret: str = field(repr=False)

    def accepts(self, code: str, now: float) -> bool:
        """The code of the current 30 s step, or of the one before or after (clock drift)."""
        return pyotp.TOTP(self.totp_secret).verify(code, for_time=int(now), valid_window=1)


def totp_code(secret: str, now: float) -> str:
    """The 6-digit code of ``secret`` at ``now`` (what an authenticator app shows)."""
    return pyotp.TOTP(secret).at(int(now))


def default_roles(first: str) -> tuple[IamRole, ...]:
    """The second account's roles in the default directory: each trusts the ``first``
    account's AdministratorAccess permission set (its SSO role, whatever the suffix)."""
    admin = (
        f"arn:aws:iam::{first}:role/aws-reserved/sso.amazonaws.com/"
        "AWSReservedSSO_AdministratorAccess_*"
    )
    return (
        IamRole("Deploy", (admin,), max_session_duration=7200),
        IamRole("ExternalPartner", (admin,), external_id="example-external-id"),
        IamRole("MfaProtected", (admin,), mfa_required=True),
    )


def default_audit_role(second: str) -> IamRole:
    """The third account's ``Audit`` role: trusts ``Deploy`` of the second account (a 2nd hop)."""
    return IamRole("Audit", (f"arn:aws:iam::{second}:role/Deploy",))


def roles_from_json(value: object) -> tuple[IamRole, ...]:
    """Parse an account's ``iam_roles`` list (TypeError/KeyError say what is wrong)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"'iam_roles' must be a list, got {type(value).__name__}")
    roles = []
    for item in value:
        data = _object(item, "iam_roles")
        trust = data.get("trust", [])
        if not isinstance(trust, list) or not all(isinstance(t, str) for t in trust):
            raise TypeError("'trust' must be a list of strings")
        external_id = data.get("external_id")
        if external_id is not None and not isinstance(external_id, str):
            raise TypeError("'external_id' must be a string or null")
        duration = data.get("max_session_duration", 3600)
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise TypeError("'max_session_duration' must be an integer")
        roles.append(
            IamRole(
                name=_string(data, "name"),
                trust=tuple(trust),
                external_id=external_id,
                mfa_required=bool(data.get("mfa_required", False)),
                max_session_duration=duration,
            )
        )
    return tuple(roles)


def devices_from_json(value: object) -> tuple[MfaDevice, ...]:
    """Parse a user's ``mfa_devices`` list."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"'mfa_devices' must be a list, got {type(value).__name__}")
    return tuple(
        MfaDevice(_string(_object(d, "mfa_devices"), "serial"), _string(d, "totp_secret"))
        for d in value
    )


def roles_to_json(roles: Sequence[IamRole]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "trust": list(r.trust),
            "external_id": r.external_id,
            "mfa_required": r.mfa_required,
            "max_session_duration": r.max_session_duration,
        }
        for r in roles
    ]


def devices_to_json(devices: Sequence[MfaDevice]) -> list[dict[str, str]]:
    return [{"serial": d.serial, "totp_secret": d.totp_secret} for d in devices]


def validate_roles(account_id: str, roles: Sequence[IamRole]) -> list[str]:
    """Problems with one account's roles (names, trust entries, durations)."""
    problems: list[str] = []
    names = [r.name for r in roles]
    if len(set(names)) != len(names):
        problems.append(f"IAM role names in account {account_id} must be unique")
    for r in roles:
        where = f"IAM role {r.name!r} in account {account_id}"
        if not _ROLE_NAME.match(r.name):
            problems.append(f"{where}: name is not a valid role name")
        if not r.trust:
            problems.append(f"{where}: 'trust' needs at least one entry")
        for entry in r.trust:
            if not (_ACCOUNT_ID.match(entry) or _TRUST_ARN.match(entry)):
                problems.append(
                    f"{where}: trust entry {entry!r} must be a 12-digit account id, "
                    "arn:aws:iam::ACCOUNT:root or a role ARN (with * wildcards)"
                )
        if not MIN_SESSION_DURATION <= r.max_session_duration <= MAX_MAX_SESSION_DURATION:
            problems.append(
                f"{where}: max_session_duration must be {MIN_SESSION_DURATION}-"
                f"{MAX_MAX_SESSION_DURATION} seconds"
            )
    return problems


def validate_devices(user_name: str, devices: Sequence[MfaDevice]) -> list[str]:
    """Problems with one user's MFA devices (serial shape, base32 secret)."""
    problems: list[str] = []
    for d in devices:
        if not _MFA_SERIAL.match(d.serial):
            problems.append(
                f"MFA device {d.serial!r} of user {user_name!r}: serial must look like "
                "arn:aws:iam::ACCOUNT:mfa/NAME"
            )
        try:
            pyotp.TOTP(d.totp_secret).now()
        except (binascii.Error, ValueError):
            problems.append(
                f"MFA device {d.serial!r} of user {user_name!r}: totp_secret is not base32"
            )
    return problems


def _object(item: object, what: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(f"each entry of '{what}' must be an object, got {type(item).__name__}")
    return item


def _string(data: Mapping[str, Any], key: str) -> str:
    if key not in data:
        raise KeyError(f"missing '{key}'")
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"'{key}' must be a string, got {type(value).__name__}")
    return value
