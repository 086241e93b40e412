"""STS: GetCallerIdentity, AssumeRole and GetSessionToken, with real SigV4 verification.

The signature is recomputed with botocore's own signer (``SigV4Auth``) over a request
rebuilt from exactly the headers the client said it signed, at the time in its
``X-Amz-Date`` header, using the secret of role credentials this emulator issued. So a
client whose credentials are wrong, stale or unknown fails here as it would against AWS.

AssumeRole applies the rules of the role in the directory (``emulator/iam.py``): trust, ExternalId,
MFA (TOTP on the emulator's clock), duration and the role-chaining limit; the credentials it issues
sign later calls (a further hop, or GetCallerIdentity) like SSO role credentials do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from refreshable_sso.emulator import iam
from refreshable_sso.emulator.assumed import AssumedCredentials, AssumedSessions, Caller
from refreshable_sso.emulator.authority import Authority
from refreshable_sso.emulator.state import RoleCredentials, new_access_key_id, new_secret
from refreshable_sso.emulator.wire import ApiError, Request, Response

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;_.-]+),\s*"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
_ROLE_ARN = re.compile(
    r"^arn:aws:iam::(?P<account>\d{12}):role/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]{1,64})$"
)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_SOURCE_IDENTITY = re.compile(r"^[\w+=,.@-]{2,64}$")
_TOKEN_CODE = re.compile(r"^\d{6}$")
_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
MAX_POLICY_CHARS = 2048
#: Packed size budget: minified inline policy + tag keys and values + 64 per managed policy ARN.
PACKED_POLICY_BUDGET = 2048


def role_session_arn(creds: RoleCredentials) -> str:
    """``arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_ROLE_<16 hex>/USER``."""
    suffix = hashlib.sha256(f"{creds.account_id}/{creds.role_name}".encode()).hexdigest()[:16]
    return (
        f"arn:aws:sts::{creds.account_id}:assumed-role/"
        f"AWSReservedSSO_{creds.role_name}_{suffix}/{creds.user_name}"
    )


def sso_role_arn(creds: RoleCredentials) -> str:
    """The IAM role an SSO permission set presents itself as (what trust policies match)."""
    return permission_set_role_arn(creds.account_id, creds.role_name)


def permission_set_role_arn(account_id: str, permission_set: str) -> str:
    """The IAM role this emulator provisions for ``permission_set`` in ``account_id``.

    :param account_id: the 12-digit account.
    :param permission_set: the permission set (role) name, e.g. ``ReadOnlyAccess``.
    """
    suffix = hashlib.sha256(f"{account_id}/{permission_set}".encode()).hexdigest()[:16]
    return (
        f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/"
        f"AWSReservedSSO_{permission_set}_{suffix}"
    )


def role_user_id(creds: RoleCredentials) -> str:
    """``AROA...:USER``, stable per account and role."""
    digest = hashlib.sha256(f"{creds.account_id}/{creds.role_name}".encode()).hexdigest().upper()
    return f"AROA{digest[:17]}:{creds.user_name}"


class STSService:
    """The query-protocol endpoint at ``/``: GetCallerIdentity, AssumeRole, GetSessionToken."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        self.assumed = AssumedSessions()

    @staticmethod
    def params(request: Request) -> dict[str, str]:
        """Query-protocol parameters (form body, then query string)."""
        params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        params.update(request.query)
        return params

    @classmethod
    def action(cls, request: Request) -> str | None:
        """The ``Action`` of a query-protocol request (form body or query string)."""
        return cls.params(request).get("Action")

    def handle(self, request: Request) -> Response:
        """Dispatch on ``Action``."""
        action = self.action(request)
        if not action:
            raise ApiError(400, "MissingAction", "Missing Action parameter")
        host_url = f"http://{request.header('Host') or ''}"
        if action == "GetCallerIdentity":
            return self.get_caller_identity(request, host_url)
        if action == "AssumeRole":
            return self.assume_role(request, host_url)
        if action == "GetSessionToken":
            self._verify(request, host_url)
            raise ApiError(
                403, "AccessDenied", "Cannot call GetSessionToken with session credentials"
            )
        raise ApiError(
            400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15"
        )

    def get_caller_identity(self, request: Request, host_url: str) -> Response:
        caller = self._verify(request, host_url)
        return _result(
            "GetCallerIdentity",
            f"<Arn>{escape(caller.sts_arn)}</Arn><UserId>{escape(caller.user_id)}</UserId>"
            f"<Account>{caller.account_id}</Account>",
        )

    # -- AssumeRole --------------------------------------------------------------------------
    def assume_role(self, request: Request, host_url: str) -> Response:
        caller = self._verify(request, host_url)
        params = self.params(request)
        role_arn = params.get("RoleArn", "")
        session_name = params.get("RoleSessionName", "")
        match = _ROLE_ARN.match(role_arn)
        if match is None:
            raise _validation(
                f"{role_arn!r} is not a valid role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )
        if not _SESSION_NAME.match(session_name):
            raise _validation(
                f"Value {session_name!r} at 'roleSessionName' failed to satisfy constraint: "
                "Member must have length 2-64 and satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        duration = _duration(params.get("DurationSeconds"))
        external_id = params.get("ExternalId")
        if external_id is not None and not _EXTERNAL_ID.match(external_id):
            raise _validation(
                "Value at 'externalId' failed to satisfy constraint: [\\w+=,.@:/-]{2,1224}"
            )
        source_identity = params.get("SourceIdentity")
        if source_identity is not None and not _SOURCE_IDENTITY.match(source_identity):
            raise _validation(
                "Value at 'sourceIdentity' failed to satisfy constraint: [\\w+=,.@-]{2,64}"
            )
        packed = _packed_policy_size(params)
        if "ProvidedContexts.member.1.ProviderArn" in params:
            raise ApiError(
                400, "InvalidContextAssertion", "The emulator trusts no context providers"
            )
        account = self.authority.directory.account(match["account"])
        role = account.iam_role(match["name"]) if account is not None else None
        denied = ApiError(
            403,
            "AccessDenied",
            f"User: {caller.sts_arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn}",
        )
        if role is None or not role.trusts(caller.principal_arn, caller.account_id):
            raise denied
        if role.external_id is not None and external_id != role.external_id:
            raise denied
        self._check_mfa(role, caller, params, denied)
        if caller.source_identity and source_identity not in (None, caller.source_identity):
            raise denied
        lifetime = 3600 if duration is None else duration
        if lifetime > role.max_session_duration:
            raise _validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        if caller.is_role and lifetime > iam.CHAINED_MAX_DURATION:
            raise _validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining."
            )
        ttl = self.authority.settings.assumed_role_ttl
        now = self.authority.clock.now()
        issued = AssumedCredentials(
            access_key_id=new_access_key_id(),
            secret_access_key=new_secret("", 30)[:40],
            session_token=new_secret("FwoGZXIvYXdzE", 180),
            account_id=match["account"],
            role_name=role.name,
            session_name=session_name,
            user_name=caller.user_name,
            source_identity=source_identity or caller.source_identity,
            expires_at=now + (min(lifetime, ttl) if ttl is not None else lifetime),
            issued_at=now,
        )
        self.assumed.add(issued, now)
        who = Caller.of_assumed(issued)
        extra = (
            f"<SourceIdentity>{escape(issued.source_identity)}</SourceIdentity>"
            if issued.source_identity
            else ""
        )
        return _result(
            "AssumeRole",
            "<Credentials>"
            f"<AccessKeyId>{issued.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{issued.secret_access_key}</SecretAccessKey>"
            f"<SessionToken>{issued.session_token}</SessionToken>"
            f"<Expiration>{_iso(issued.expires_at)}</Expiration>"
            "</Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>{escape(who.user_id)}</AssumedRoleId>"
            f"<Arn>{escape(who.sts_arn)}</Arn></AssumedRoleUser>"
            f"<PackedPolicySize>{packed}</PackedPolicySize>{extra}",
        )

    def _check_mfa(
        self, role: iam.IamRole, caller: Caller, params: dict[str, str], denied: ApiError
    ) -> None:
        serial, code = params.get("SerialNumber"), params.get("TokenCode")
        if serial is None and code is None:
            if role.mfa_required:
                raise denied
            return
        if not serial or not code:
            raise ApiError(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed, must provide both MFA serial number and one "
                "time pass code.",
            )
        if not _TOKEN_CODE.match(code):
            raise _validation("Value at 'tokenCode' failed to satisfy constraint: 6 digits")
        user = self.authority.directory.user(caller.user_name)
        device = next((d for d in user.mfa_devices if d.serial == serial), None) if user else None
        if device is None or not device.accepts(code, self.authority.clock.now()):
            raise ApiError(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            )

    # -- signature ---------------------------------------------------------------------------
    def authenticate(self, request: Request) -> Caller:
        """The principal whose emulator-issued credentials SigV4-signed ``request`` (any service)."""
        return self._verify(request, f"http://{request.header('Host') or ''}")

    def _verify(self, request: Request, host_url: str) -> Caller:
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
        akid = match["akid"]
        with self.authority.store.lock:
            sso_creds = self.authority.store.role_credentials.get(akid)
        assumed = self.assumed.get(akid) if sso_creds is None else None
        signer: tuple[str, str, str, float] | None = None
        caller: Caller | None = None
        if sso_creds is not None:
            signer = (
                akid,
                sso_creds.secret_access_key,
                sso_creds.session_token,
                sso_creds.expires_at,
            )
            caller = Caller.of_sso(
                sso_creds,
                role_session_arn(sso_creds),
                sso_role_arn(sso_creds),
                role_user_id(sso_creds),
            )
        elif assumed is not None:
            signer = (akid, assumed.secret_access_key, assumed.session_token, assumed.expires_at)
            caller = Caller.of_assumed(assumed)
        if (
            signer is None
            or caller is None
            or (request.header("X-Amz-Security-Token") or "") != signer[2]
        ):
            raise ApiError(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        expected = _signature(
            request, host_url, signer, match["region"], match["service"], match["signed"], amz_date
        )
        if not hmac.compare_digest(expected, match["sig"]):
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
            )
        if self.authority.clock.now() >= signer[3]:
            raise ApiError(
                403, "ExpiredToken", "The security token included in the request is expired"
            )
        return caller


def _validation(message: str) -> ApiError:
    return ApiError(400, "ValidationError", message)


def _duration(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _validation(f"Value {raw!r} at 'durationSeconds' must be an integer") from None
    if not iam.MIN_SESSION_DURATION <= value <= iam.MAX_MAX_SESSION_DURATION:
        raise _validation(
            f"Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have "
            f"value between {iam.MIN_SESSION_DURATION} and {iam.MAX_MAX_SESSION_DURATION}"
        )
    return value


def _packed_policy_size(params: dict[str, str]) -> int:
    """The PackedPolicySize percentage AWS reports; MalformedPolicyDocument / PackedPolicyTooLarge."""
    size = 0
    policy = params.get("Policy")
    if policy is not None:
        if len(policy) > MAX_POLICY_CHARS:
            raise _validation(
                f"Value at 'policy' failed to satisfy constraint: Member must have length less "
                f"than or equal to {MAX_POLICY_CHARS}"
            )
        try:
            document = json.loads(policy)
        except json.JSONDecodeError:
            document = None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ApiError(
                400, "MalformedPolicyDocument", "The policy is not in the valid JSON format."
            )
        size += len(json.dumps(document, separators=(",", ":")))
    n = 1
    while f"PolicyArns.member.{n}.arn" in params:
        size += 64
        n += 1
    n = 1
    while f"Tags.member.{n}.Key" in params:
        size += len(params[f"Tags.member.{n}.Key"]) + len(params.get(f"Tags.member.{n}.Value", ""))
        n += 1
    if n - 1 > 50:
        raise _validation("Value at 'tags' failed to satisfy constraint: at most 50 tags")
    percent = math.ceil(100 * size / PACKED_POLICY_BUDGET)
    if percent > 100:
        raise ApiError(
            400,
            "PackedPolicyTooLarge",
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy "
            "for session.",
        )
    return percent


def _iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _result(action: str, inner: str) -> Response:
    """A query-protocol success document; the RequestId also travels as ``x-amzn-RequestId``."""
    request_id = str(uuid.uuid4())
    body = (
        f'<{action}Response xmlns="{_NS}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    response = Response.xml(body)
    response.headers["x-amzn-RequestId"] = request_id
    return response


def _signature(
    request: Request,
    host_url: str,
    signer: tuple[str, str, str, float],
    region: str,
    service: str,
    signed_headers: str,
    amz_date: str,
) -> str:
    """The signature botocore would compute for this request with ``signer``'s keys."""
    wanted = set(signed_headers.split(";"))
    headers = {k: v for k, v in request.headers.items() if k.lower() in wanted}
    url = f"{host_url}{request.path}"
    if request.raw_query:
        url += "?" + request.raw_query
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    aws_request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(signer[0], signer[1], signer[2]), service, region)
    canonical = auth.canonical_request(aws_request)
    return str(auth.signature(auth.string_to_sign(aws_request, canonical), aws_request))
