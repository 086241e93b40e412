"""identitystore (AWS JSON 1.1, ``AWSIdentityStore``): users, groups and memberships.

Ids are stable per name (:func:`~refreshable_sso.emulator.assignments.user_id`), so the
PrincipalIds sso-admin hands out resolve here.
"""

from __future__ import annotations

from typing import Any

from refreshable_sso.emulator.admin import AdminAccess, Operation, page, required
from refreshable_sso.emulator.assignments import IDENTITY_STORE_ID, AdminIndex, group_id, user_id
from refreshable_sso.emulator.wire import ApiError, Request, Response, json_body

IDENTITYSTORE_TARGET = "AWSIdentityStore"


def _not_found(kind: str, resource_id: str) -> ApiError:
    return ApiError(
        404,
        "ResourceNotFoundException",
        f"{kind.title()} not found",
        {"ResourceType": kind, "ResourceId": resource_id},
    )


class IdentityStoreService:
    """DescribeUser, DescribeGroup, ListGroupMembershipsForMember."""

    def __init__(self, access: AdminAccess) -> None:
        self.access = access

    def operations(self) -> dict[str, Operation]:
        return {
            "DescribeUser": self.describe_user,
            "DescribeGroup": self.describe_group,
            "ListGroupMembershipsForMember": self.list_group_memberships_for_member,
        }

    def _begin(self, request: Request, action: str) -> tuple[dict[str, Any], AdminIndex]:
        self.access.check(request, f"identitystore:{action}")
        body = json_body(request)
        store = required(body, "IdentityStoreId")
        if store != IDENTITY_STORE_ID:
            raise _not_found("IDENTITY_STORE", store)
        return body, self.access.index

    def describe_user(self, request: Request) -> Response:
        body, index = self._begin(request, "DescribeUser")
        uid = required(body, "UserId")
        user = index.user_by_id.get(uid)
        if user is None:
            raise _not_found("USER", uid)
        described: dict[str, Any] = {
            "IdentityStoreId": IDENTITY_STORE_ID,
            "UserId": uid,
            "UserName": user.user_name,
            "DisplayName": user.user_name,
        }
        if user.email_address:
            described["Emails"] = [{"Value": user.email_address, "Type": "work", "Primary": True}]
        return Response.json(described)

    def describe_group(self, request: Request) -> Response:
        body, index = self._begin(request, "DescribeGroup")
        gid = required(body, "GroupId")
        group = index.group_by_id.get(gid)
        if group is None:
            raise _not_found("GROUP", gid)
        return Response.json(
            {
                "IdentityStoreId": IDENTITY_STORE_ID,
                "GroupId": gid,
                "DisplayName": group.display_name,
            }
        )

    def list_group_memberships_for_member(self, request: Request) -> Response:
        body, index = self._begin(request, "ListGroupMembershipsForMember")
        member = body.get("MemberId")
        uid = member.get("UserId") if isinstance(member, dict) else None
        if not isinstance(uid, str) or not uid:
            raise ApiError(400, "ValidationException", "MemberId.UserId is required")
        user = index.user_by_id.get(uid)
        if user is None:
            raise _not_found("USER", uid)
        memberships = [
            {
                "IdentityStoreId": IDENTITY_STORE_ID,
                "MembershipId": user_id(f"{g.display_name}/{user.user_name}"),
                "GroupId": group_id(g.display_name),
                "MemberId": {"UserId": uid},
            }
            for g in index.groups_of.get(user.user_name, [])
        ]
        items, rest = page(body, memberships, f"memberships:{uid}", 20, 100)
        return Response.json({"GroupMemberships": list(items), **rest})
