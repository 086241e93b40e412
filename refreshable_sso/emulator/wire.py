"""The HTTP shapes the emulator speaks: requests in, responses and AWS-style errors out.

Errors are rendered the way each AWS protocol sends them, because that is what lets
unmodified botocore raise the modelled exception classes:

* rest-json (SSO portal, SSO-OIDC): header ``x-amzn-ErrorType`` plus the modelled body
  members (``message`` for the portal; ``error`` / ``error_description`` for OIDC);
* query (STS): an XML ``<ErrorResponse>`` document.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from xml.sax.saxutils import escape


class Service(Enum):
    """Which AWS service an operation belongs to (decides the error format)."""

    PORTAL = "sso"
    OIDC = "sso-oidc"
    STS = "sts"
    CONTROL = "emulator"
    # AWS JSON 1.1 admin APIs (``X-Amz-Target``): errors carry ``__type`` and ``Message``.
    SSO_ADMIN = "sso-admin"
    ORGANIZATIONS = "organizations"
    IDENTITYSTORE = "identitystore"


JSON11_SERVICES = frozenset({Service.SSO_ADMIN, Service.ORGANIZATIONS, Service.IDENTITYSTORE})
_JSON11_CODES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
}


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str] = field(repr=False)  # may carry a bearer token
    body: bytes = field(repr=False)  # may carry client secrets and refresh tokens
    raw_query: str = ""

    def header(self, name: str) -> str | None:
        """A header value, case-insensitively."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None


@dataclass
class Response:
    """What the server writes back."""

    status: int
    body: bytes = field(default=b"", repr=False)  # may carry tokens and credentials
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Mapping[str, Any], status: int = 200) -> Response:
        return cls(status, json.dumps(data).encode("utf-8"))

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), "text/html; charset=utf-8")

    @classmethod
    def xml(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), "text/xml")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", "text/plain", {"Location": location})


class ApiError(Exception):
    """An error the emulator answers on purpose, rendered per protocol by :func:`render_error`."""

    def __init__(
        self, status: int, code: str, message: str, extra: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})


# The code botocore would see for a bare status from each service (used by faults).
_DEFAULT_CODES: dict[Service, dict[int, str]] = {
    Service.PORTAL: {
        400: "InvalidRequestException",
        401: "UnauthorizedException",
        403: "ForbiddenException",
        404: "ResourceNotFoundException",
        429: "TooManyRequestsException",
        500: "InternalServerException",
        503: "ServiceUnavailableException",
    },
    Service.OIDC: {
        400: "InvalidRequestException",
        401: "InvalidClientException",
        429: "TooManyRequestsException",
        500: "InternalServerException",
        503: "ServiceUnavailableException",
    },
    Service.STS: {
        400: "InvalidParameterValue",
        403: "AccessDenied",
        429: "Throttling",
        500: "InternalFailure",
        503: "ServiceUnavailable",
    },
    Service.SSO_ADMIN: _JSON11_CODES,
    Service.IDENTITYSTORE: _JSON11_CODES,
    Service.ORGANIZATIONS: {
        **_JSON11_CODES,
        400: "InvalidInputException",
        429: "TooManyRequestsException",
        500: "ServiceException",
    },
}


def default_code(service: Service, status: int) -> str:
    """The usual error code of ``service`` for an HTTP status."""
    codes = _DEFAULT_CODES.get(service, _DEFAULT_CODES[Service.PORTAL])
    return codes.get(
        status, "InternalServerException" if status >= 500 else "InvalidRequestException"
    )


def _oauth_error_name(code: str) -> str:
    """``AuthorizationPendingException`` -> ``authorization_pending`` (the OAuth ``error``)."""
    base = code.removesuffix("Exception")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


def render_error(service: Service, error: ApiError) -> Response:
    """The response AWS would send for ``error`` from ``service``."""
    request_id = str(uuid.uuid4())
    if service is Service.STS:
        kind = "Receiver" if error.status >= 500 else "Sender"
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        resp = Response.xml(body, error.status)
    else:
        payload: dict[str, str]
        if service is Service.OIDC:
            payload = {"error": _oauth_error_name(error.code), "error_description": error.message}
        elif service in JSON11_SERVICES:
            payload = {"__type": error.code, "Message": error.message}
        else:
            payload = {"message": error.message}
        payload.update(error.extra)
        resp = Response.json(payload, error.status)
        resp.headers["x-amzn-ErrorType"] = error.code
    resp.headers["x-amzn-RequestId"] = request_id
    return resp


def callback_location(redirect_uri: str, **params: str) -> str:
    """``redirect_uri`` with ``params`` appended to its query (how /authorize answers)."""
    from urllib.parse import urlencode

    sep = "&" if "?" in redirect_uri else "?"
    return redirect_uri + sep + urlencode(params)


#: No request body of these APIs nests deeper than a few levels; deeper is refused up front, so
#: the answer does not depend on the Python version's JSON parser (3.13 no longer recurses).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets outside string literals nest deeper than ``limit``."""
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or InvalidRequestException saying why not."""
    if not request.body.strip():
        return {}
    too_deep = ApiError(400, "InvalidRequestException", "Request body is nested too deeply")
    try:
        text = request.body.decode("utf-8")
        if _too_deep(text):
            raise too_deep
        data = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400, "InvalidRequestException", f"Request body is not valid JSON: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidRequestException", "Request body must be a JSON object")
    return data


def required_str(data: Mapping[str, Any], name: str) -> str:
    """A required, non-empty string member (missing or wrong type -> 400, as AWS does)."""
    value = optional_str(data, name)
    if not value:
        raise ApiError(400, "InvalidRequestException", f"Missing required parameter: {name}")
    return value


def optional_str(data: Mapping[str, Any], name: str) -> str | None:
    """An optional string member; a wrong type is still a 400."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            400,
            "InvalidRequestException",
            f"Parameter {name} must be a string, got {type(value).__name__}",
        )
    return value


def list_field(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """An optional list-of-strings member."""
    value = data.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(
            400, "InvalidRequestException", f"Parameter {name} must be a list of strings"
        )
    return tuple(value)
