"""STS GetCallerIdentity with real SigV4 verification.

The signature is recomputed with botocore's own signer (``SigV4Auth``) over a request
rebuilt from exactly the headers the client said it signed, at the time in its
``X-Amz-Date`` header, using the secret of role credentials this emulator issued. So a
client whose credentials are wrong, stale or unknown fails here as it would against AWS.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.state import RoleCredentials
from refreshable_sso.emulator.wire import ApiError, Request, Response

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;_.-]+),\s*"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")


def role_session_arn(creds: RoleCredentials) -> str:
    """``arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_ROLE_<16 hex>/USER``."""
    suffix = hashlib.sha256(f"{creds.account_id}/{creds.role_name}".encode()).hexdigest()[:16]
    return (
        f"arn:aws:sts::{creds.account_id}:assumed-role/"
        f"AWSReservedSSO_{creds.role_name}_{suffix}/{creds.user_name}"
    )


def role_user_id(creds: RoleCredentials) -> str:
    """``AROA...:USER``, stable per account and role."""
    digest = hashlib.sha256(f"{creds.account_id}/{creds.role_name}".encode()).hexdigest().upper()
    return f"AROA{digest[:17]}:{creds.user_name}"


class STSService:
    """The query-protocol endpoint at ``/`` (only GetCallerIdentity is implemented)."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority

    @staticmethod
    def action(request: Request) -> str | None:
        """The ``Action`` of a query-protocol request (form body or query string)."""
        params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        params.update(request.query)
        return params.get("Action")

    def handle(self, request: Request) -> Response:
        """Dispatch on ``Action``: only GetCallerIdentity exists here."""
        action = self.action(request)
        if not action:
            raise ApiError(400, "MissingAction", "Missing Action parameter")
        if action != "GetCallerIdentity":
            raise ApiError(
                400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15"
            )
        return self.get_caller_identity(request, f"http://{request.header('Host') or ''}")

    def get_caller_identity(self, request: Request, host_url: str) -> Response:
        creds = self._verify(request, host_url)
        request_id = str(uuid.uuid4())
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult>"
            f"<Arn>{role_session_arn(creds)}</Arn>"
            f"<UserId>{role_user_id(creds)}</UserId>"
            f"<Account>{creds.account_id}</Account>"
            "</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        )
        return Response.xml(body)

    def authenticate(self, request: Request) -> RoleCredentials:
        """The emulator-issued role credentials that SigV4-signed ``request`` (any service)."""
        return self._verify(request, f"http://{request.header('Host') or ''}")

    def _verify(self, request: Request, host_url: str) -> RoleCredentials:
        header = request.header("Authorization")
        if not header:
            raise ApiError(
                403, "MissingAuthenticationToken", "Request is missing Authentication Token"
            )
        match = _AUTH.match(header.strip())
        if match is None:
            raise ApiError(
                400,
                "IncompleteSignature",
                "Authorization header is not a valid AWS4-HMAC-SHA256 signature",
            )
        amz_date = request.header("X-Amz-Date") or ""
        if not _AMZ_DATE.match(amz_date) or amz_date[:8] != match["date"]:
            raise ApiError(
                400,
                "IncompleteSignature",
                "X-Amz-Date is missing or does not match the credential scope",
            )
        with self.authority.store.lock:
            creds = self.authority.store.role_credentials.get(match["akid"])
        if creds is None or (request.header("X-Amz-Security-Token") or "") != creds.session_token:
            raise ApiError(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        expected = _signature(
            request, host_url, creds, match["region"], match["service"], match["signed"], amz_date
        )
        if not hmac.compare_digest(expected, match["sig"]):
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
            )
        if self.authority.clock.now() >= creds.expires_at:
            raise ApiError(
                403, "ExpiredToken", "The security token included in the request is expired"
            )
        return creds


def _signature(
    request: Request,
    host_url: str,
    creds: RoleCredentials,
    region: str,
    service: str,
    signed_headers: str,
    amz_date: str,
) -> str:
    """The signature botocore would compute for this request with ``creds``."""
    wanted = set(signed_headers.split(";"))
    headers = {k: v for k, v in request.headers.items() if k.lower() in wanted}
    url = f"{host_url}{request.path}"
    if request.raw_query:
        url += "?" + request.raw_query
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    aws_request.context["timestamp"] = amz_date
    signer = SigV4Auth(
        Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        service,
        region,
    )
    canonical = signer.canonical_request(aws_request)
    return str(signer.signature(signer.string_to_sign(aws_request, canonical), aws_request))
