"""Groups, the OU tree, permission sets and assignments of the emulated directory.

One source for two views: the portal (what a signed-in user may use) and the admin APIs
(sso-admin, organizations, identitystore) both read :class:`AdminIndex`, so they cannot
disagree. A directory that names no assignments keeps the original rule: every user is
assigned every role (provisioned permission set) of every account.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from refreshable_sso.emulator.entities import Account, User

INSTANCE_ID = "ssoins-72230f6a1b6c5f21"
INSTANCE_ARN = f"arn:aws:sso:::instance/{INSTANCE_ID}"
IDENTITY_STORE_ID = "d-90670ca11e"
ORGANIZATION_ID = "o-emu1a2b3c4d"
ROOT_ID = "r-emu1"
PRINCIPAL_TYPES = ("USER", "GROUP")
#: Permission sets whose role credentials may call the admin APIs unless a directory says otherwise.
DEFAULT_ADMIN_PERMISSION_SETS = ("AdministratorAccess",)
_NAMESPACE = uuid.UUID("5f0c3a52-0a5e-4c2e-9d1c-6e6d5a1b2c3d")
_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def permission_set_arn(name: str) -> str:
    """A stable, AWS-shaped ARN for a permission set name."""
    return f"arn:aws:sso:::permissionSet/{INSTANCE_ID}/ps-{_hex(name, 16)}"


def user_id(user_name: str) -> str:
    """The identity store UserId of a user (stable per name)."""
    return str(uuid.uuid5(_NAMESPACE, f"user/{user_name}"))


def group_id(display_name: str) -> str:
    """The identity store GroupId of a group (stable per name)."""
    return str(uuid.uuid5(_NAMESPACE, f"group/{display_name}"))


def ou_id(name: str) -> str:
    """``ou-<root>-<8 hex>`` (stable per OU name)."""
    return f"ou-{ROOT_ID[2:]}-{_hex(name, 8)}"


@dataclass(frozen=True)
class Group:
    """An identity store group and its members (user names)."""

    display_name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganizationalUnit:
    """An OU: ``parent`` is another OU's name, or None for the root."""

    name: str
    parent: str | None = None
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PermissionSet:
    """A permission set; ``administrative`` ones may call the emulator's admin APIs."""

    name: str
    description: str = ""
    administrative: bool = False

    @property
    def arn(self) -> str:
        return permission_set_arn(self.name)


@dataclass(frozen=True)
class AccountAssignment:
    """One assignment: a user or group gets a permission set in an account."""

    account_id: str
    permission_set: str
    principal_type: str
    principal: str  # a user name or group display name


@dataclass(frozen=True)
class OrgLayout:
    """What the directory adds for the admin APIs. Empty means: derive the old defaults."""

    groups: tuple[Group, ...] = ()
    org_units: tuple[OrganizationalUnit, ...] = ()
    permission_sets: tuple[PermissionSet, ...] = ()
    assignments: tuple[AccountAssignment, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrgLayout:
        """The optional ``groups``, ``organizational_units``, ``permission_sets`` and
        ``assignments`` members of a directory document (absent: old behaviour)."""
        groups = tuple(
            Group(_str(g, "display_name"), tuple(_strs(g.get("members", []), "members")))
            for g in _objects(data.get("groups", []), "groups")
        )
        ous = tuple(
            OrganizationalUnit(
                _str(o, "name"),
                _opt_str(o, "parent"),
                tuple(_strs(o.get("accounts", []), "accounts")),
            )
            for o in _objects(data.get("organizational_units", []), "organizational_units")
        )
        sets = tuple(
            PermissionSet(
                _str(p, "name"),
                _opt_str(p, "description") or "",
                bool(p.get("administrative", False)),
            )
            for p in _objects(data.get("permission_sets", []), "permission_sets")
        )
        raw = data.get("assignments")
        assignments = (
            None
            if raw is None
            else tuple(
                AccountAssignment(
                    _str(a, "account_id"),
                    _str(a, "permission_set"),
                    _str(a, "principal_type"),
                    _str(a, "principal"),
                )
                for a in _objects(raw, "assignments")
            )
        )
        return cls(groups, ous, sets, assignments)

    def to_dict(self) -> dict[str, Any]:
        """The members :meth:`from_dict` reads (only those that are set)."""
        out: dict[str, Any] = {}
        if self.groups:
            out["groups"] = [
                {"display_name": g.display_name, "members": list(g.members)} for g in self.groups
            ]
        if self.org_units:
            out["organizational_units"] = [
                {"name": o.name, "parent": o.parent, "accounts": list(o.accounts)}
                for o in self.org_units
            ]
        if self.permission_sets:
            out["permission_sets"] = [
                {"name": p.name, "description": p.description, "administrative": p.administrative}
                for p in self.permission_sets
            ]
        if self.assignments is not None:
            out["assignments"] = [
                {
                    "account_id": a.account_id,
                    "permission_set": a.permission_set,
                    "principal_type": a.principal_type,
                    "principal": a.principal,
                }
                for a in self.assignments
            ]
        return out


class AdminIndex:
    """Read-only lookups over one directory's organization and assignments."""

    def __init__(self, org: OrgLayout, users: Sequence[User], accounts: Sequence[Account]) -> None:
        self.accounts = tuple(accounts)
        self._account_by_id = {a.account_id: a for a in accounts}
        self._accounts_for: dict[str, tuple[Account, ...]] = {}
        self.users = tuple(users)
        self.groups = org.groups
        self.org_units = org.org_units
        declared = {p.name: p for p in org.permission_sets}
        names: list[str] = list(declared)
        for account in accounts:
            names.extend(r for r in account.roles if r not in declared and r not in names)
        self.permission_sets = tuple(
            declared.get(n) or PermissionSet(n, administrative=n in DEFAULT_ADMIN_PERMISSION_SETS)
            for n in names
        )
        self.permission_set_by_arn = {p.arn: p for p in self.permission_sets}
        self.permission_set_by_name = {p.name: p for p in self.permission_sets}
        self.user_by_id = {user_id(u.user_name): u for u in users}
        self.group_by_id = {group_id(g.display_name): g for g in org.groups}
        self.groups_of: dict[str, list[Group]] = {}
        for g in org.groups:
            for member in g.members:
                self.groups_of.setdefault(member, []).append(g)
        self.ou_by_id = {ou_id(o.name): o for o in org.org_units}
        self.parent_of: dict[str, str] = {a.account_id: ROOT_ID for a in accounts}
        for o in org.org_units:
            for account_id in o.accounts:
                self.parent_of[account_id] = ou_id(o.name)
        if org.assignments is None:
            assignments = [
                AccountAssignment(a.account_id, role, "USER", u.user_name)
                for a in accounts
                for role in a.roles
                for u in users
            ]
        else:
            assignments = list(dict.fromkeys(org.assignments))  # a repeat is one assignment
        self.assignments = tuple(assignments)
        self._by_target: dict[tuple[str, str], list[AccountAssignment]] = {}
        for item in assignments:
            self._by_target.setdefault((item.account_id, item.permission_set), []).append(item)

    # -- principals --------------------------------------------------------------------------
    def principal_id(self, assignment: AccountAssignment) -> str:
        if assignment.principal_type == "USER":
            return user_id(assignment.principal)
        return group_id(assignment.principal)

    def _covers(self, assignment: AccountAssignment, user_name: str) -> bool:
        if assignment.principal_type == "USER":
            return assignment.principal == user_name
        return any(
            g.display_name == assignment.principal for g in self.groups_of.get(user_name, [])
        )

    # -- the portal's view ---------------------------------------------------------------------
    def roles_for(self, user_name: str, account_id: str) -> tuple[str, ...]:
        """Permission sets ``user_name`` may use in the account, directly or through groups."""
        account = self._account_by_id.get(account_id)
        if account is None:
            return ()
        return tuple(
            role
            for role in account.roles
            if any(self._covers(x, user_name) for x in self._by_target.get((account_id, role), []))
        )

    def accounts_for(self, user_name: str) -> tuple[Account, ...]:
        """Accounts in which ``user_name`` has at least one permission set (memoized: the
        directory never changes)."""
        known = self._accounts_for.get(user_name)
        if known is None:
            known = tuple(a for a in self.accounts if self.roles_for(user_name, a.account_id))
            self._accounts_for[user_name] = known
        return known

    # -- the admin view ------------------------------------------------------------------------
    def assignments_of(self, account_id: str, permission_set: str) -> list[AccountAssignment]:
        return list(self._by_target.get((account_id, permission_set), []))

    def children(self, parent_id: str) -> list[OrganizationalUnit]:
        """OUs directly under a root or OU id."""
        return [o for o in self.org_units if _parent_id(o) == parent_id]

    def accounts_in(self, parent_id: str) -> list[Account]:
        """Accounts directly under a root or OU id."""
        return [a for a in self.accounts if self.parent_of[a.account_id] == parent_id]


def _parent_id(o: OrganizationalUnit) -> str:
    return ROOT_ID if o.parent is None else ou_id(o.parent)


def validate_org(org: OrgLayout, users: Iterable[User], accounts: Iterable[Account]) -> list[str]:
    """Problems with the organization part of a directory (each names what to fix)."""
    problems: list[str] = []
    user_names = {u.user_name for u in users}
    roles = {a.account_id: set(a.roles) for a in accounts}
    group_names = [g.display_name for g in org.groups]
    if len(set(group_names)) != len(group_names):
        problems.append("group display names must be unique")
    for g in org.groups:
        if not _NAME.match(g.display_name):
            problems.append(f"group name {g.display_name!r} is not a valid name")
        problems += [
            f"group {g.display_name!r} lists unknown user {m!r}"
            for m in g.members
            if m not in user_names
        ]
    ou_names = [o.name for o in org.org_units]
    if len(set(ou_names)) != len(ou_names):
        problems.append("organizational unit names must be unique")
    placed: dict[str, str] = {}
    for o in org.org_units:
        if o.parent is not None and o.parent not in ou_names:
            problems.append(f"OU {o.name!r} has unknown parent OU {o.parent!r}")
        for account_id in o.accounts:
            if account_id not in roles:
                problems.append(f"OU {o.name!r} lists unknown account {account_id}")
            elif account_id in placed:
                problems.append(
                    f"account {account_id} is in OUs {placed[account_id]!r} and {o.name!r}"
                )
            placed[account_id] = o.name
    problems += _cycles(org.org_units)
    ps_names = [p.name for p in org.permission_sets]
    if len(set(ps_names)) != len(ps_names):
        problems.append("permission set names must be unique")
    groups = set(group_names)
    for a in org.assignments or ():
        where = f"assignment of {a.permission_set!r} in {a.account_id} to {a.principal!r}"
        if a.principal_type not in PRINCIPAL_TYPES:
            problems.append(f"{where}: principal_type must be USER or GROUP")
        elif a.principal not in (user_names if a.principal_type == "USER" else groups):
            problems.append(f"{where}: no such {a.principal_type.lower()}")
        if a.account_id not in roles:
            problems.append(f"{where}: no such account")
        elif a.permission_set not in roles[a.account_id]:
            problems.append(
                f"{where}: the permission set is not among the account's roles "
                "(list it in the account's 'roles' to provision it there)"
            )
    return problems


def _cycles(ous: Sequence[OrganizationalUnit]) -> list[str]:
    parent = {o.name: o.parent for o in ous}
    for name in parent:
        seen = {name}
        at = parent[name]
        while at is not None and at in parent:
            if at in seen:
                return [f"OU {name!r} is its own ancestor: the OU tree must not loop"]
            seen.add(at)
            at = parent[at]
    return []


def default_org() -> OrgLayout:
    """The default directory's organization: alice reaches exactly what she always did."""
    accounts = ("111111111111", "222222222222", "333333333333")
    admins = [
        AccountAssignment(a, "AdministratorAccess", "GROUP", "Administrators") for a in accounts
    ]
    readers = [AccountAssignment(a, "ReadOnlyAccess", "GROUP", "Developers") for a in accounts]
    return OrgLayout(
        groups=(Group("Administrators", ("alice",)), Group("Developers", ("alice", "bob"))),
        org_units=(
            OrganizationalUnit("Workloads"),
            OrganizationalUnit("NonProduction", "Workloads", accounts[:2]),
            OrganizationalUnit("Production", "Workloads", accounts[2:]),
        ),
        permission_sets=(
            PermissionSet("AdministratorAccess", "Full access", administrative=True),
            PermissionSet("PowerUserAccess", "Everything but IAM"),
            PermissionSet("ReadOnlyAccess", "Read only"),
        ),
        assignments=(
            *admins,
            AccountAssignment("111111111111", "PowerUserAccess", "USER", "alice"),
            AccountAssignment("111111111111", "PowerUserAccess", "GROUP", "Developers"),
            *readers,
        ),
    )


@dataclass(frozen=True)
class GeneratedOrg:
    """Parameters of :func:`generated_org` (kept together so callers name what they vary)."""

    n_accounts: int
    n_permission_sets: int = 6
    n_users: int = 8
    n_groups: int = 4
    seed: int = 14
    ou_names: tuple[str, ...] = field(default=("Engineering", "Platform", "Security"))


def generated_org(
    spec: GeneratedOrg, account_ids: Sequence[str], user_names: Sequence[str]
) -> tuple[tuple[str, ...], OrgLayout]:
    """Permission set names and an organization for generated accounts and users.

    The first OU holds the second as a child (so recursive OU listings differ from flat
    ones); accounts are spread over the root and the OUs; each account gets a pseudo-random
    mix of user and group assignments (seeded, so runs repeat).
    """
    rng = random.Random(spec.seed)
    ps_names = (
        "AdministratorAccess",
        "ReadOnlyAccess",
        "PowerUserAccess",
        "Billing",
        "SecurityAudit",
        "DataScientist",
        "NetworkAdmin",
        "Support",
    )[: spec.n_permission_sets]
    if len(ps_names) < spec.n_permission_sets:
        ps_names += tuple(f"PermissionSet{i}" for i in range(len(ps_names), spec.n_permission_sets))
    groups = tuple(
        Group(f"Group{g}", tuple(u for i, u in enumerate(user_names) if i % spec.n_groups == g))
        for g in range(spec.n_groups)
    )
    buckets: list[list[str]] = [[] for _ in range(len(spec.ou_names) + 1)]
    for i, account_id in enumerate(account_ids):
        buckets[i % len(buckets)].append(account_id)
    ous = tuple(
        OrganizationalUnit(name, spec.ou_names[0] if i == 1 else None, tuple(buckets[i + 1]))
        for i, name in enumerate(spec.ou_names)
    )
    assignments: list[AccountAssignment] = []
    for account_id in account_ids:
        for ps in ps_names:
            if rng.random() < 0.6:
                principal_type = "GROUP" if rng.random() < 0.5 or not user_names else "USER"
                pool = (
                    [g.display_name for g in groups]
                    if principal_type == "GROUP"
                    else list(user_names)
                )
                for principal in rng.sample(pool, k=min(len(pool), rng.randint(1, 2))):
                    assignments.append(AccountAssignment(account_id, ps, principal_type, principal))
    # The first user can always call the admin APIs from the first account, and also has a
    # role there that may not.
    for ps in ("AdministratorAccess", "ReadOnlyAccess"):
        if ps in ps_names:
            assignments.append(AccountAssignment(account_ids[0], ps, "USER", user_names[0]))
    sets = tuple(PermissionSet(n, administrative=n == "AdministratorAccess") for n in ps_names)
    return ps_names, OrgLayout(groups, ous, sets, tuple(assignments))


def _objects(value: object, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TypeError(f"'{what}' must be a list of objects")
    return value


def _strs(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"'{what}' must be a list of strings")
    return value


def _str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise KeyError(f"missing or non-string '{key}'")
    return value


def _opt_str(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"'{key}' must be a string")
    return value
