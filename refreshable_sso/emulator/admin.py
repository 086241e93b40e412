"""sso-admin (AWS JSON 1.1, ``SWBExternalService``) plus what every admin API shares.

Every admin call is SigV4-verified with role credentials this emulator issued (the same
check STS does), and the role must be a permission set the directory marks administrative;
anything else is answered with ``AccessDeniedException``, as AWS answers a role without the
IAM permissions. Listings page with ``NextToken``/``MaxResults`` like the real services.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from refreshable_sso.emulator.assignments import (
    IDENTITY_STORE_ID,
    INSTANCE_ARN,
    AdminIndex,
)
from refreshable_sso.emulator.assumed import Caller
from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.sts import STSService
from refreshable_sso.emulator.wire import ApiError, Request, Response, json_body

T = TypeVar("T")
SSO_ADMIN_TARGET = "SWBExternalService"
_CREATED = 1_700_000_000  # a fixed creation time for every emulated resource (epoch seconds)


class AdminAccess:
    """Who may call the admin APIs: verified role credentials of an administrative role."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        self._sts = STSService(authority)

    @property
    def index(self) -> AdminIndex:
        return self.authority.directory.admin

    def check(self, request: Request, action: str) -> Caller:
        try:
            caller = self._sts.authenticate(request)
        except ApiError as exc:
            # The JSON services answer unsigned or badly signed calls with their own codes.
            status = 400 if exc.status == 400 else 403
            code = "UnrecognizedClientException" if exc.code == "InvalidClientTokenId" else exc.code
            raise ApiError(status, code, exc.message) from None
        ps = (
            self.index.permission_set_by_name.get(caller.permission_set)
            if caller.permission_set is not None
            else None
        )
        if ps is None or not ps.administrative:
            raise ApiError(
                403,
                "AccessDeniedException",
                f"User: {caller.sts_arn} is not authorized to perform: {action} ("
                + (
                    f"the permission set {caller.permission_set!r} is"
                    if caller.permission_set is not None
                    else "an assumed IAM role is"
                )
                + " not administrative in this directory)",
            )
        return caller


def page(
    body: dict[str, Any], items: Sequence[T], kind: str, default: int, maximum: int
) -> tuple[Sequence[T], dict[str, str]]:
    """One page of ``items`` and the ``NextToken`` member to add (empty on the last page)."""
    raw = body.get("MaxResults")
    size = default
    if raw is not None:
        if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= maximum:
            raise ApiError(
                400, "ValidationException", f"MaxResults must be an integer from 1 to {maximum}"
            )
        size = raw
    offset = 0
    token = body.get("NextToken")
    if token:
        offset = _decode(token, kind)
    end = offset + size
    rest = {"NextToken": _encode(end, kind)} if end < len(items) else {}
    return items[offset:end], rest


def _encode(offset: int, kind: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, offset]).encode()).decode("ascii")


def _decode(token: object, kind: str) -> int:
    try:
        got_kind, offset = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ApiError(400, "ValidationException", "Invalid NextToken") from None
    if got_kind != kind or not isinstance(offset, int) or offset < 0:
        raise ApiError(400, "ValidationException", "NextToken belongs to a different listing")
    return offset


def required(body: dict[str, Any], name: str, code: str = "ValidationException") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, code, f"Missing required parameter: {name}")
    return value


Operation = Callable[[Request], Response]


class SSOAdminService:
    """The sso-admin operations ``list_assignments`` needs (read-only)."""

    def __init__(self, access: AdminAccess) -> None:
        self.access = access

    def operations(self) -> dict[str, Operation]:
        return {
            "ListInstances": self.list_instances,
            "ListPermissionSets": self.list_permission_sets,
            "DescribePermissionSet": self.describe_permission_set,
            "ListPermissionSetsProvisionedToAccount": self.list_provisioned_to_account,
            "ListAccountsForProvisionedPermissionSet": self.list_accounts_for_provisioned,
            "ListAccountAssignments": self.list_account_assignments,
        }

    def _begin(self, request: Request, action: str) -> tuple[dict[str, Any], AdminIndex]:
        self.access.check(request, f"sso:{action}")
        return json_body(request), self.access.index

    @staticmethod
    def _instance(body: dict[str, Any]) -> None:
        arn = required(body, "InstanceArn")
        if arn != INSTANCE_ARN:
            raise ApiError(404, "ResourceNotFoundException", f"Instance {arn} does not exist")

    @staticmethod
    def _account(body: dict[str, Any], index: AdminIndex) -> str:
        account_id = required(body, "AccountId")
        if account_id not in index.parent_of:
            raise ApiError(404, "ResourceNotFoundException", f"Account {account_id} not found")
        return account_id

    @staticmethod
    def _permission_set(body: dict[str, Any], index: AdminIndex) -> str:
        arn = required(body, "PermissionSetArn")
        ps = index.permission_set_by_arn.get(arn)
        if ps is None:
            raise ApiError(404, "ResourceNotFoundException", f"PermissionSet {arn} not found")
        return ps.name

    def list_instances(self, request: Request) -> Response:
        body, index = self._begin(request, "ListInstances")
        owner = index.accounts[0].account_id
        instance = {
            "InstanceArn": INSTANCE_ARN,
            "IdentityStoreId": IDENTITY_STORE_ID,
            "OwnerAccountId": owner,
            "Name": "emulated",
            "CreatedDate": _CREATED,
            "Status": "ACTIVE",
        }
        items, rest = page(body, [instance], "instances", 10, 100)
        return Response.json({"Instances": list(items), **rest})

    def list_permission_sets(self, request: Request) -> Response:
        body, index = self._begin(request, "ListPermissionSets")
        self._instance(body)
        arns = [p.arn for p in index.permission_sets]
        items, rest = page(body, arns, "permission-sets", 20, 100)
        return Response.json({"PermissionSets": list(items), **rest})

    def describe_permission_set(self, request: Request) -> Response:
        body, index = self._begin(request, "DescribePermissionSet")
        self._instance(body)
        ps = index.permission_set_by_name[self._permission_set(body, index)]
        described: dict[str, Any] = {
            "Name": ps.name,
            "PermissionSetArn": ps.arn,
            "CreatedDate": _CREATED,
            "SessionDuration": "PT1H",
        }
        if ps.description:
            described["Description"] = ps.description
        return Response.json({"PermissionSet": described})

    def list_provisioned_to_account(self, request: Request) -> Response:
        body, index = self._begin(request, "ListPermissionSetsProvisionedToAccount")
        self._instance(body)
        account_id = self._account(body, index)
        account = next(a for a in index.accounts if a.account_id == account_id)
        arns = [index.permission_set_by_name[r].arn for r in account.roles]
        items, rest = page(body, arns, f"provisioned:{account_id}", 20, 100)
        return Response.json({"PermissionSets": list(items), **rest})

    def list_accounts_for_provisioned(self, request: Request) -> Response:
        body, index = self._begin(request, "ListAccountsForProvisionedPermissionSet")
        self._instance(body)
        name = self._permission_set(body, index)
        ids = [a.account_id for a in index.accounts if name in a.roles]
        items, rest = page(body, ids, f"accounts:{name}", 20, 100)
        return Response.json({"AccountIds": list(items), **rest})

    def list_account_assignments(self, request: Request) -> Response:
        body, index = self._begin(request, "ListAccountAssignments")
        self._instance(body)
        account_id = self._account(body, index)
        name = self._permission_set(body, index)
        arn = index.permission_set_by_name[name].arn
        found = [
            {
                "AccountId": account_id,
                "PermissionSetArn": arn,
                "PrincipalType": a.principal_type,
                "PrincipalId": index.principal_id(a),
            }
            for a in index.assignments_of(account_id, name)
        ]
        items, rest = page(body, found, f"assignments:{account_id}:{name}", 20, 100)
        return Response.json({"AccountAssignments": list(items), **rest})
