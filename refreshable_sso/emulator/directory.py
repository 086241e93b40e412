"""Who can sign in and which accounts and roles they reach.

The default directory is small and fixed (user ``alice``, three accounts); tests that need
volume (pagination over hundreds of accounts) build one with :meth:`Directory.generated` or load
one from a dict / JSON file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refreshable_sso.emulator import iam
from refreshable_sso.emulator.assignments import (
    AdminIndex,
    GeneratedOrg,
    OrgLayout,
    default_org,
    generated_org,
    validate_org,
)

# Account and User are defined beside this module (see entities.py) and re-exported here.
from refreshable_sso.emulator.entities import Account as Account
from refreshable_sso.emulator.entities import User as User
from refreshable_sso.errors import ConfigurationError

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True)
class Directory:
    """Users and accounts of one emulated IAM Identity Center instance.

    Without assignments in ``org`` every user is assigned every role of every account; with
    them, the portal and the admin APIs both answer from those assignments (:attr:`admin`).
    """

    users: tuple[User, ...]
    accounts: tuple[Account, ...]
    _by_id: dict[str, Account] = field(init=False, repr=False, compare=False)
    # Organization and assignments (see OrgLayout): who is assigned what, where accounts sit.
    org: OrgLayout = field(default_factory=lambda: OrgLayout())
    _admin: AdminIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _validate(self.users, self.accounts)
        problems += validate_org(self.org, self.users, self.accounts)
        if problems:
            raise ConfigurationError("Invalid emulator directory: " + "; ".join(problems), problems)
        object.__setattr__(self, "_by_id", {a.account_id: a for a in self.accounts})
        object.__setattr__(self, "_admin", AdminIndex(self.org, self.users, self.accounts))

    @property
    def admin(self) -> AdminIndex:
        """Lookups over groups, OUs, permission sets and assignments (admin APIs, portal)."""
        return self._admin

    @property
    def default_user(self) -> User:
        """The user a sign-in is attributed to unless another is named."""
        return self.users[0]

    def account(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        return self._by_id.get(account_id)

    def user(self, user_name: str) -> User | None:
        """The user with this name, or None."""
        return next((u for u in self.users if u.user_name == user_name), None)

    @classmethod
    def default(cls) -> Directory:
        """User alice; Development (with PowerUserAccess), Staging and Production."""
        both = ("AdministratorAccess", "ReadOnlyAccess")
        return cls(
            users=(
                User("alice", "alice@example.com", _default_mfa_devices()),
                User("bob", "bob@example.com"),
            ),
            accounts=(
                Account(
                    "111111111111",
                    "Development",
                    "dev@example.com",
                    ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"),
                ),
                Account(
                    "222222222222",
                    "Staging",
                    "staging@example.com",
                    both,
                    iam.default_roles("111111111111"),
                ),
                Account(
                    "333333333333",
                    "Production",
                    "prod@example.com",
                    both,
                    (iam.default_audit_role("222222222222"),),
                ),
            ),
            org=default_org(),
        )

    @classmethod
    def generated(
        cls,
        n_accounts: int,
        roles: Sequence[str] = ("AdministratorAccess", "ReadOnlyAccess"),
        user_name: str = "alice",
    ) -> Directory:
        """``n_accounts`` accounts (ids 100000000000, 100000000001, ...) with the same roles."""
        if n_accounts < 1:
            raise ConfigurationError(f"n_accounts must be at least 1, got {n_accounts}")
        accounts = tuple(
            Account(f"{100000000000 + i}", f"Account {i:04d}", f"acct{i}@example.com", tuple(roles))
            for i in range(n_accounts)
        )
        return cls(users=(User(user_name, f"{user_name}@example.com"),), accounts=accounts)

    @classmethod
    def generated_organization(cls, spec: GeneratedOrg) -> Directory:
        """``spec.n_accounts`` accounts in OUs (one nested), users ``user00``..., groups, and
        seeded assignments of ``spec.n_permission_sets`` permission sets (admin API tests)."""
        if spec.n_accounts < 1 or spec.n_users < 1 or spec.n_groups < 1:
            raise ConfigurationError("generated_organization needs at least 1 account, user, group")
        ids = [f"{200000000000 + i}" for i in range(spec.n_accounts)]
        users = tuple(User(f"user{i:02d}", f"user{i:02d}@example.com") for i in range(spec.n_users))
        roles, org = generated_org(spec, ids, [u.user_name for u in users])
        accounts = tuple(
            Account(a, f"Account {i:04d}", f"acct{i}@example.com", roles) for i, a in enumerate(ids)
        )
        return cls(users=users, accounts=accounts, org=org)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Directory:
        """Build from ``{"users": [{"user_name"}], "accounts": [{"account_id", "account_name",
        "email_address", "roles": [...]}]}`` (camelCase keys are accepted too)."""
        if not isinstance(data, Mapping):
            raise ConfigurationError("directory must be a JSON object with 'users' and 'accounts'")
        try:
            users = tuple(
                User(
                    _pick(u, "user_name", "userName"),
                    _pick(u, "email_address", "emailAddress", default=""),
                    iam.devices_from_json(u.get("mfa_devices")),
                )
                for u in _as_list(data.get("users", [{"user_name": "alice"}]), "users")
            )
            accounts = tuple(
                Account(
                    _pick(a, "account_id", "accountId"),
                    _pick(a, "account_name", "accountName"),
                    _pick(a, "email_address", "emailAddress", default=""),
                    tuple(_as_list(_pick_any(a, "roles"), "roles")),
                    iam.roles_from_json(a.get("iam_roles")),
                )
                for a in _as_list(data.get("accounts"), "accounts")
            )
            org = OrgLayout.from_dict(data)
        except (TypeError, KeyError) as exc:
            raise ConfigurationError(f"Invalid emulator directory: {exc}") from exc
        return cls(users=users, accounts=accounts, org=org)

    @classmethod
    def from_json_file(cls, path: str | Path) -> Directory:
        """Load a directory written in the :meth:`from_dict` shape."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"Cannot read directory file {p}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"Directory file {p} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The :meth:`from_dict` shape (round-trips)."""
        return {
            "users": [
                {
                    "user_name": u.user_name,
                    "email_address": u.email_address,
                    **_mfa_devices_json(u),
                }
                for u in self.users
            ],
            "accounts": [
                {
                    "account_id": a.account_id,
                    "account_name": a.account_name,
                    "email_address": a.email_address,
                    "roles": list(a.roles),
                    **_iam_roles_json(a),
                }
                for a in self.accounts
            ],
            **self.org.to_dict(),
        }


def _as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"'{what}' must be a list, got {type(value).__name__}")
    return value


def _pick_any(item: object, key: str) -> object:
    if not isinstance(item, Mapping):
        raise TypeError(f"each entry must be an object, got {type(item).__name__}")
    if key not in item:
        raise KeyError(f"missing '{key}'")
    return item[key]


def _pick(item: object, key: str, alt: str, default: str | None = None) -> str:
    if not isinstance(item, Mapping):
        raise TypeError(f"each entry must be an object, got {type(item).__name__}")
    value = item.get(key, item.get(alt, default))
    if value is None:
        raise KeyError(f"missing '{key}'")
    if not isinstance(value, str):
        raise TypeError(f"'{key}' must be a string, got {type(value).__name__}")
    return value


def _validate(users: Iterable[User], accounts: Iterable[Account]) -> list[str]:
    problems: list[str] = []
    users = list(users)
    accounts = list(accounts)
    if not users:
        problems.append("at least one user is required")
    if not accounts:
        problems.append("at least one account is required")
    seen: set[str] = set()
    for a in accounts:
        if not _ACCOUNT_ID.match(a.account_id):
            problems.append(f"account_id {a.account_id!r} must be 12 digits")
        if a.account_id in seen:
            problems.append(f"account_id {a.account_id} appears twice")
        seen.add(a.account_id)
        if not a.roles:
            problems.append(f"account {a.account_id} needs at least one role")
        for r in a.roles:
            if not isinstance(r, str) or not _ROLE_NAME.match(r):
                problems.append(
                    f"role name {r!r} in account {a.account_id} is not a valid role name"
                )
    problems.extend(_iam_problems(users, accounts))
    names = [u.user_name for u in users]
    if len(set(names)) != len(names):
        problems.append("user names must be unique")
    if any(not n for n in names):
        problems.append("user_name must not be empty")
    return problems


# -- IAM roles and MFA devices (STS AssumeRole); the rules live in emulator/iam.py ------------


def _default_mfa_devices() -> tuple[iam.MfaDevice, ...]:
    """alice's virtual MFA device: the RFC 6238 test secret."""
    return (iam.MfaDevice("arn:aws:iam::111111111111:mfa/alice", iam.RFC6238_TEST_SECRET),)


def _iam_roles_json(account: Account) -> dict[str, Any]:
    return {"iam_roles": iam.roles_to_json(account.iam_roles)} if account.iam_roles else {}


def _mfa_devices_json(user: User) -> dict[str, Any]:
    return {"mfa_devices": iam.devices_to_json(user.mfa_devices)} if user.mfa_devices else {}


def _iam_problems(users: Sequence[User], accounts: Sequence[Account]) -> list[str]:
    problems: list[str] = []
    for a in accounts:
        problems.extend(iam.validate_roles(a.account_id, a.iam_roles))
    for u in users:
        problems.extend(iam.validate_devices(u.user_name, u.mfa_devices))
    return problems
