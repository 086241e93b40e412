"""organizations (AWS JSON 1.1, ``AWSOrganizationsV20161128``): accounts and the OU tree.

Read from the directory's organization (:mod:`refreshable_sso.emulator.assignments`); the
first account is the management account. Page sizes are small (at most 20, as AWS allows),
so callers that forget ``NextToken`` miss accounts here as they would against AWS.
"""

from __future__ import annotations

from typing import Any

from refreshable_sso.emulator.admin import AdminAccess, Operation, page, required
from refreshable_sso.emulator.assignments import ORGANIZATION_ID, ROOT_ID, AdminIndex, ou_id
from refreshable_sso.emulator.entities import Account
from refreshable_sso.emulator.wire import ApiError, Request, Response, json_body

ORGANIZATIONS_TARGET = "AWSOrganizationsV20161128"
_JOINED = 1_700_000_000
_PAGE = 10
_MAX = 20


class OrganizationsService:
    """ListAccounts, DescribeAccount, ListRoots, ListOrganizationalUnitsForParent,
    ListAccountsForParent, DescribeOrganizationalUnit."""

    def __init__(self, access: AdminAccess) -> None:
        self.access = access

    def operations(self) -> dict[str, Operation]:
        return {
            "ListAccounts": self.list_accounts,
            "DescribeAccount": self.describe_account,
            "ListRoots": self.list_roots,
            "ListOrganizationalUnitsForParent": self.list_ous_for_parent,
            "ListAccountsForParent": self.list_accounts_for_parent,
            "DescribeOrganizationalUnit": self.describe_ou,
        }

    def _begin(self, request: Request, action: str) -> tuple[dict[str, Any], AdminIndex]:
        self.access.check(request, f"organizations:{action}")
        return json_body(request), self.access.index

    @staticmethod
    def _management(index: AdminIndex) -> str:
        return index.accounts[0].account_id

    def _account(self, index: AdminIndex, account: Account) -> dict[str, Any]:
        return {
            "Id": account.account_id,
            "Arn": f"arn:aws:organizations::{self._management(index)}:account/"
            f"{ORGANIZATION_ID}/{account.account_id}",
            "Email": account.email_address or f"{account.account_id}@example.com",
            "Name": account.account_name,
            "Status": "ACTIVE",
            "State": "ACTIVE",
            "JoinedMethod": "CREATED",
            "JoinedTimestamp": _JOINED,
        }

    def _ou(self, index: AdminIndex, name: str) -> dict[str, Any]:
        oid = ou_id(name)
        return {
            "Id": oid,
            "Arn": f"arn:aws:organizations::{self._management(index)}:ou/{ORGANIZATION_ID}/{oid}",
            "Name": name,
        }

    @staticmethod
    def _parent(body: dict[str, Any], index: AdminIndex) -> str:
        parent = required(body, "ParentId", "InvalidInputException")
        if parent != ROOT_ID and parent not in index.ou_by_id:
            raise ApiError(
                400, "ParentNotFoundException", "We can't find a root or OU with the ParentId"
            )
        return parent

    def list_accounts(self, request: Request) -> Response:
        body, index = self._begin(request, "ListAccounts")
        items, rest = page(body, index.accounts, "accounts", _PAGE, _MAX)
        return Response.json({"Accounts": [self._account(index, a) for a in items], **rest})

    def describe_account(self, request: Request) -> Response:
        body, index = self._begin(request, "DescribeAccount")
        account_id = required(body, "AccountId", "InvalidInputException")
        account = next((a for a in index.accounts if a.account_id == account_id), None)
        if account is None:
            raise ApiError(
                400, "AccountNotFoundException", f"We can't find an account with id {account_id}"
            )
        return Response.json({"Account": self._account(index, account)})

    def list_roots(self, request: Request) -> Response:
        body, index = self._begin(request, "ListRoots")
        root = {
            "Id": ROOT_ID,
            "Arn": f"arn:aws:organizations::{self._management(index)}:root/"
            f"{ORGANIZATION_ID}/{ROOT_ID}",
            "Name": "Root",
            "PolicyTypes": [],
        }
        items, rest = page(body, [root], "roots", _PAGE, _MAX)
        return Response.json({"Roots": list(items), **rest})

    def list_ous_for_parent(self, request: Request) -> Response:
        body, index = self._begin(request, "ListOrganizationalUnitsForParent")
        parent = self._parent(body, index)
        children = index.children(parent)
        items, rest = page(body, children, f"ous:{parent}", _PAGE, _MAX)
        return Response.json(
            {"OrganizationalUnits": [self._ou(index, o.name) for o in items], **rest}
        )

    def list_accounts_for_parent(self, request: Request) -> Response:
        body, index = self._begin(request, "ListAccountsForParent")
        parent = self._parent(body, index)
        items, rest = page(body, index.accounts_in(parent), f"accounts:{parent}", _PAGE, _MAX)
        return Response.json({"Accounts": [self._account(index, a) for a in items], **rest})

    def describe_ou(self, request: Request) -> Response:
        body, index = self._begin(request, "DescribeOrganizationalUnit")
        oid = required(body, "OrganizationalUnitId", "InvalidInputException")
        ou = index.ou_by_id.get(oid)
        if ou is None:
            raise ApiError(
                400,
                "OrganizationalUnitNotFoundException",
                f"We can't find an organizational unit with id {oid}",
            )
        return Response.json({"OrganizationalUnit": self._ou(index, ou.name)})
