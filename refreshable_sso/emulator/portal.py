"""SSO portal: GetRoleCredentials, ListAccounts, ListAccountRoles (paginated), Logout.

The access token arrives in the ``x-amz-sso_bearer_token`` header (the operations are
unsigned); an unknown, expired or revoked token is answered with UnauthorizedException,
as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.state import (
    RoleCredentials,
    SignInSession,
    new_access_key_id,
    new_secret,
)
from refreshable_sso.emulator.wire import ApiError, Request, Response

TOKEN_HEADER = "x-amz-sso_bearer_token"  # noqa: S105 - a header name, not a secret
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_ACCOUNT_ID = re.compile(r"^\d{12}$")
T = TypeVar("T")


def _bad(message: str) -> ApiError:
    return ApiError(400, "InvalidRequestException", message)


class PortalService:
    """The four SSO portal operations."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority

    def _session(self, request: Request) -> SignInSession:
        session = self.authority.session_for_access_token(request.header(TOKEN_HEADER))
        if session is None:
            raise ApiError(401, "UnauthorizedException", "Session token not found or invalid")
        return session

    @staticmethod
    def _param(request: Request, name: str) -> str:
        value = request.query.get(name)
        if not value:
            raise _bad(f"Missing required parameter: {name}")
        return value

    def _account_id(self, request: Request) -> str:
        account_id = self._param(request, "account_id")
        if not _ACCOUNT_ID.match(account_id):
            raise _bad(f"Invalid account_id {account_id!r}: must be 12 digits")
        return account_id

    # -- GetRoleCredentials -----------------------------------------------------------------
    def get_role_credentials(self, request: Request) -> Response:
        session = self._session(request)
        role_name = self._param(request, "role_name")
        account_id = self._account_id(request)
        # Derived from the directory's assignments (direct and through groups).
        if role_name not in self.authority.directory.admin.roles_for(session.user_name, account_id):
            raise ApiError(403, "ForbiddenException", "No access")
        creds = RoleCredentials(
            access_key_id=new_access_key_id(),
            secret_access_key=new_secret("", 30)[:40],
            session_token=new_secret("IQoJb3JpZ2luX2VjE", 180),
            account_id=account_id,
            role_name=role_name,
            user_name=session.user_name,
            expires_at=self.authority.clock.now() + self.authority.settings.role_credentials_ttl,
        )
        self.authority.record_role_credentials(creds)
        return Response.json(
            {
                "roleCredentials": {
                    "accessKeyId": creds.access_key_id,
                    "secretAccessKey": creds.secret_access_key,
                    "sessionToken": creds.session_token,
                    "expiration": int(creds.expires_at * 1000),
                }
            }
        )

    # -- ListAccounts / ListAccountRoles ------------------------------------------------------
    def list_accounts(self, request: Request) -> Response:
        session = self._session(request)
        accounts = self.authority.directory.admin.accounts_for(session.user_name)
        page, next_token = _paginate(request, accounts, "accounts")
        body: dict[str, Any] = {
            "accountList": [
                {
                    "accountId": a.account_id,
                    "accountName": a.account_name,
                    "emailAddress": a.email_address,
                }
                for a in page
            ]
        }
        if next_token:
            body["nextToken"] = next_token
        return Response.json(body)

    def list_account_roles(self, request: Request) -> Response:
        session = self._session(request)
        account_id = self._account_id(request)
        account = self.authority.directory.account(account_id)
        if account is None:
            raise ApiError(404, "ResourceNotFoundException", f"Account {account_id} not found")
        roles = self.authority.directory.admin.roles_for(session.user_name, account_id)
        page, next_token = _paginate(request, roles, f"roles:{account_id}")
        body: dict[str, Any] = {
            "roleList": [{"roleName": r, "accountId": account_id} for r in page]
        }
        if next_token:
            body["nextToken"] = next_token
        return Response.json(body)

    # -- Logout -------------------------------------------------------------------------------
    def logout(self, request: Request) -> Response:
        token = request.header(TOKEN_HEADER)
        if not token or not self.authority.logout(token):
            raise ApiError(401, "UnauthorizedException", "Session token not found or invalid")
        return Response(200, b"")


def _paginate(request: Request, items: Sequence[T], kind: str) -> tuple[Sequence[T], str | None]:
    raw_size = request.query.get("max_result")
    size = DEFAULT_PAGE_SIZE
    if raw_size is not None:
        try:
            size = int(raw_size)
        except ValueError:
            raise _bad(f"Invalid max_result {raw_size!r}: must be an integer") from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise _bad(f"Invalid max_result {size}: must be between 1 and {MAX_PAGE_SIZE}")
    offset = 0
    raw_token = request.query.get("next_token")
    if raw_token:
        offset = _decode_token(raw_token, kind)
    page = items[offset : offset + size]
    end = offset + size
    return page, (_encode_token(end, kind) if end < len(items) else None)


def _encode_token(offset: int, kind: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}|{offset}".encode()).decode("ascii")


def _decode_token(token: str, kind: str) -> int:
    try:
        got_kind, _, raw = (
            base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8").rpartition("|")
        )
        offset = int(raw)
    except (ValueError, UnicodeError, binascii.Error):
        raise _bad("Invalid next_token: pass back the nextToken of the previous page") from None
    if got_kind != kind or offset < 0:
        raise _bad("Invalid next_token: it belongs to a different listing")
    return offset
