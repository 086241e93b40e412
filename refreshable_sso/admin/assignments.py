"""Every assignment of an IAM Identity Center instance, through the admin APIs.

``list_assignments`` has aws-sso-lib's parameters and documented meaning (principals,
permission sets and targets each by explicit specification or filter function; OUs as
targets, optionally recursive; optional name lookups), with two differences where its code
departs from its documentation: a ``("USER", id)`` principal specification matches, and
``target_filter`` also applies to the accounts of OU targets.

Enumeration is account x permission set through ``ListAccountAssignments``: it does not trust
``ListPermissionSetsProvisionedToAccount`` or ``ListAccountsForProvisionedPermissionSet``
(some implementations, e.g. moto 5, answer those wrongly). The pairs are fetched by the same
bounded, ordered fan-out discovery uses, on clients that back off and retry throttling.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from refreshable_sso.aws import clients as _aws
from refreshable_sso.aws.fanout import ordered_fan_out
from refreshable_sso.discovery import DISCOVERY_HTTP, _listing_http
from refreshable_sso.errors import AdminListingError, ConfigurationError

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.admin")

ACCOUNT = "AWS_ACCOUNT"
OU = "AWS_OU"
PRINCIPAL_TYPES = ("USER", "GROUP")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_OU_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
T = TypeVar("T")

PrincipalSpec = str | tuple[str, str]
TargetSpec = str | int | tuple[str, str]


class Assignment(NamedTuple):
    """One assignment: a principal gets a permission set in an account (aws-sso-lib's fields)."""

    instance_arn: str
    principal_type: str
    principal_id: str
    principal_name: str | None
    permission_set_arn: str
    permission_set_name: str | None
    target_type: str
    target_id: str
    target_name: str | None


class _Target(NamedTuple):
    account_id: str
    name: str | None


def _many(value: Any, single: type | tuple[type, ...]) -> list[Any] | None:
    """None, one specification, or an iterable of them, as a list."""
    if value is None:
        return None
    if isinstance(value, single):
        return [value]
    return list(value)


def _principal_specs(principal: Any) -> list[tuple[str | None, str]] | None:
    specs = _many(principal, (str, tuple))
    if specs is None:
        return None
    out: list[tuple[str | None, str]] = []
    for spec in specs:
        if isinstance(spec, str) and spec:
            out.append((None, spec))
        elif (
            isinstance(spec, tuple)
            and len(spec) == 2
            and str(spec[0]).upper() in PRINCIPAL_TYPES
            and isinstance(spec[1], str)
        ):
            out.append((str(spec[0]).upper(), spec[1]))
        else:
            raise ConfigurationError(
                f"principal {spec!r}: give a principal id or a (type, id) tuple with type "
                "USER or GROUP",
                [f"principal: {spec!r} is not a principal specification"],
            )
    return out


def _target_specs(target: Any) -> list[tuple[str, str]] | None:
    specs = _many(target, (str, int, tuple))
    if specs is None:
        return None
    out: list[tuple[str, str]] = []
    for spec in specs:
        if isinstance(spec, int) and not isinstance(spec, bool):
            spec = f"{spec:012d}"  # an account id given as a number lost its leading zeros
        kind, ident = (None, spec) if isinstance(spec, str) else (*tuple(spec), None, None)[:2]
        if isinstance(ident, str) and kind is None:
            kind = ACCOUNT if _ACCOUNT_ID.match(ident) else OU if _OU_ID.match(ident) else None
        if kind == ACCOUNT and isinstance(ident, str) and _ACCOUNT_ID.match(ident):
            out.append((ACCOUNT, ident))
        elif kind == OU and isinstance(ident, str) and _OU_ID.match(ident):
            out.append((OU, ident))
        else:
            raise ConfigurationError(
                f"target {spec!r}: give a 12-digit account id, an OU id (ou-...) or root id "
                "(r-...), or a (type, id) tuple with type AWS_ACCOUNT or AWS_OU",
                [f"target: {spec!r} is not a target specification"],
            )
    return out


class _Names:
    """Name lookups, each made once per id (workers share it)."""

    def __init__(self, fetch: Callable[[str, str], str | None]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], str | None] = {}

    def get(self, kind: str, ident: str) -> str | None:
        key = (kind, ident)
        with self._lock:
            if key in self._known:
                return self._known[key]
        name = self._fetch(kind, ident)
        with self._lock:
            self._known[key] = name
        return name


class _Listing:
    """The clients and lookups of one ``list_assignments`` call."""

    def __init__(self, session: Any, max_attempts: int | None, need_store: bool) -> None:
        config = _listing_http(DISCOVERY_HTTP, max_attempts).botocore_config(unsigned=False)
        # Made here, in the caller's thread: creating clients from one session is not
        # thread-safe, calling them is.
        try:
            self.sso_admin = session.client("sso-admin", config=config)
            self.orgs = session.client("organizations", config=config)
            self.store = session.client("identitystore", config=config) if need_store else None
        except NoRegionError:
            raise ConfigurationError(
                "the session has no region: create it with region_name= set to the IAM "
                "Identity Center instance's region (or set AWS_DEFAULT_REGION)",
                ["session: no region"],
            ) from None
        self.identity_store_id: str | None = None
        self.instance_arn = ""
        self.principal_names = _Names(self._principal_name)
        self.permission_set_names = _Names(self._permission_set_name)

    def pages(self, client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
        try:
            for page in client.get_paginator(operation).paginate(**params):
                yield from page.get(key, [])
        except (ClientError, BotoCoreError) as exc:
            raise _failure(operation, exc) from exc

    def call(self, client: Any, operation: str, **params: Any) -> Any:
        try:
            return getattr(client, operation)(**params)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(operation, exc) from exc

    def _principal_name(self, kind: str, ident: str) -> str | None:
        """UserName or DisplayName; None for a principal the identity store no longer has."""
        assert self.store is not None
        try:
            if kind == "USER":
                user = self.store.describe_user(
                    IdentityStoreId=self.identity_store_id, UserId=ident
                )
                return user.get("UserName")  # type: ignore[no-any-return]
            group = self.store.describe_group(IdentityStoreId=self.identity_store_id, GroupId=ident)
            return group.get("DisplayName")  # type: ignore[no-any-return]
        except ClientError as exc:
            if _aws.error_code(exc) == "ResourceNotFoundException":
                return None
            raise _failure(f"describe_{kind.lower()}", exc) from exc
        except BotoCoreError as exc:
            raise _failure(f"describe_{kind.lower()}", exc) from exc

    def _permission_set_name(self, _kind: str, arn: str) -> str | None:
        described = self.call(
            self.sso_admin,
            "describe_permission_set",
            InstanceArn=self.instance_arn,
            PermissionSetArn=arn,
        )
        name: str | None = described.get("PermissionSet", {}).get("Name")
        return name

    def accounts_under(self, parent_id: str, recursive: bool) -> Iterator[_Target]:
        for account in self.pages(
            self.orgs, "list_accounts_for_parent", "Accounts", ParentId=parent_id
        ):
            yield _Target(account["Id"], account.get("Name"))
        if recursive:
            for ou in self.pages(
                self.orgs,
                "list_organizational_units_for_parent",
                "OrganizationalUnits",
                ParentId=parent_id,
            ):
                yield from self.accounts_under(ou["Id"], recursive)


def _failure(operation: str, exc: Exception) -> AdminListingError:
    code = _aws.error_code(exc)
    status = _aws.status_code(exc)
    detail = f" (HTTP {status}, {code})" if code else ""
    hint = ""
    if code == "AccessDeniedException":
        hint = "; the session's role needs read access to sso-admin, organizations, identitystore"
    elif code in ("ThrottlingException", "TooManyRequestsException"):
        hint = "; still throttled after every retry: lower max_workers or raise max_attempts"
    return AdminListingError(f"{operation} failed{detail}: {exc}{hint}")


def list_assignments(
    session: Any,
    instance_arn: str | None = None,
    identity_store_id: str | None = None,
    principal: PrincipalSpec | Sequence[PrincipalSpec] | None = None,
    principal_filter: Callable[[str, str, str | None], bool] | None = None,
    permission_set: str | Sequence[str] | None = None,
    permission_set_filter: Callable[[str, str | None], bool] | None = None,
    target: TargetSpec | Sequence[TargetSpec] | None = None,
    target_filter: Callable[[str, str, str | None], bool] | None = None,
    get_principal_names: bool = False,
    get_permission_set_names: bool = False,
    get_target_names: bool = False,
    ou_recursive: bool = False,
    *,
    max_workers: int = 8,
    max_attempts: int | None = None,
) -> Iterator[Assignment]:
    """Assignments of the instance, account by account (see the module docstring).

    ``session`` is any boto3 session whose credentials may call the admin APIs (an
    :class:`~refreshable_sso.SSORefreshableSession` for an administrative role, or a plain
    ``boto3.Session``). ``max_workers`` bounds the concurrent ``ListAccountAssignments``
    calls; each call gets ``max_attempts`` attempts with backoff (default: discovery's).
    Specifications are checked before anything is called; the iterator is lazy.
    """
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(
            f"max_workers must be a positive integer, got {max_workers!r}",
            [f"max_workers: {max_workers!r} is not >= 1"],
        )
    principals = _principal_specs(principal)
    targets = _target_specs(target)
    permission_sets = _many(permission_set, str)
    listing = _Listing(session, max_attempts, need_store=get_principal_names)
    return _assignments(
        listing,
        instance_arn,
        identity_store_id,
        principals,
        principal_filter,
        permission_sets,
        permission_set_filter,
        targets,
        target_filter,
        (get_principal_names, get_permission_set_names, get_target_names),
        ou_recursive,
        max_workers,
    )


def _assignments(
    listing: _Listing,
    instance_arn: str | None,
    identity_store_id: str | None,
    principals: list[tuple[str | None, str]] | None,
    principal_filter: Callable[[str, str, str | None], bool] | None,
    permission_sets: list[str] | None,
    permission_set_filter: Callable[[str, str | None], bool] | None,
    targets: list[tuple[str, str]] | None,
    target_filter: Callable[[str, str, str | None], bool] | None,
    names: tuple[bool, bool, bool],
    ou_recursive: bool,
    max_workers: int,
) -> Iterator[Assignment]:
    get_principal_names, get_permission_set_names, get_target_names = names
    if instance_arn is None or (identity_store_id is None and get_principal_names):
        instances = list(listing.pages(listing.sso_admin, "list_instances", "Instances"))
        if not instances:
            raise AdminListingError("ListInstances found no IAM Identity Center instance")
        instance_arn = instance_arn or instances[0]["InstanceArn"]
        identity_store_id = identity_store_id or instances[0].get("IdentityStoreId")
    listing.instance_arn = instance_arn
    listing.identity_store_id = identity_store_id

    chosen = _chosen_permission_sets(
        listing, permission_sets, permission_set_filter, get_permission_set_names
    )
    accounts = _chosen_targets(listing, targets, target_filter, get_target_names, ou_recursive)

    def one_pair(pair: tuple[_Target, tuple[str, str | None]]) -> list[Assignment]:
        account, (ps_arn, ps_name) = pair
        found = []
        for item in listing.pages(
            listing.sso_admin,
            "list_account_assignments",
            "AccountAssignments",
            InstanceArn=instance_arn,
            AccountId=account.account_id,
            PermissionSetArn=ps_arn,
        ):
            ptype, pid = item["PrincipalType"], item["PrincipalId"]
            if principals is not None and not any(
                pid == want and kind in (None, ptype) for kind, want in principals
            ):
                continue
            pname = listing.principal_names.get(ptype, pid) if get_principal_names else None
            if principal_filter is not None and not principal_filter(ptype, pid, pname):
                continue
            found.append(
                Assignment(
                    instance_arn,
                    ptype,
                    pid,
                    pname,
                    ps_arn,
                    ps_name,
                    ACCOUNT,
                    account.account_id,
                    account.name,
                )
            )
        return found

    pairs = ((account, ps) for account in accounts for ps in chosen)
    yield from ordered_fan_out(one_pair, pairs, max_workers, thread_name_prefix="sso-admin")


def _chosen_permission_sets(
    listing: _Listing,
    specs: list[str] | None,
    keep: Callable[[str, str | None], bool] | None,
    get_names: bool,
) -> list[tuple[str, str | None]]:
    """(ARN, name or None) of the permission sets to enumerate, in the instance's order."""
    arns = list(
        listing.pages(
            listing.sso_admin,
            "list_permission_sets",
            "PermissionSets",
            InstanceArn=listing.instance_arn,
        )
    )
    if specs is not None:
        # An ARN, or a permission set id (the ARN's last part: ps-...).
        wanted = set(specs)
        arns = [a for a in arns if a in wanted or a.rsplit("/", 1)[-1] in wanted]
    chosen = []
    for arn in arns:
        name = listing.permission_set_names.get("PS", arn) if get_names else None
        if keep is None or keep(arn, name):
            chosen.append((arn, name))
    return chosen


def _chosen_targets(
    listing: _Listing,
    specs: list[tuple[str, str]] | None,
    keep: Callable[[str, str, str | None], bool] | None,
    get_names: bool,
    recursive: bool,
) -> Iterator[_Target]:
    """The accounts to enumerate (lazily, each once), after ``target_filter``."""

    def candidates() -> Iterable[_Target]:
        if specs is None:
            for account in listing.pages(listing.orgs, "list_accounts", "Accounts"):
                yield _Target(account["Id"], account.get("Name"))
            return
        for kind, ident in specs:
            if kind == OU:
                yield from listing.accounts_under(ident, recursive)
            else:
                name = None
                if get_names:
                    described = listing.call(listing.orgs, "describe_account", AccountId=ident)
                    name = described.get("Account", {}).get("Name")
                yield _Target(ident, name)

    seen: set[str] = set()
    for account in candidates():
        if account.account_id in seen:
            continue
        seen.add(account.account_id)
        if keep is None or keep(ACCOUNT, account.account_id, account.name):
            yield account


__all__ = ["ACCOUNT", "OU", "Assignment", "list_assignments"]
