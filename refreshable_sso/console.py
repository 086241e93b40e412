"""AWS console sign-in URLs from role credentials (the federation endpoint's
``getSigninToken`` then ``login`` flow), partition-aware.

The sign-in token in the URL lets anyone holding it into the console as the role for about 15
minutes: the URL is returned to the caller and never logged.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from refreshable_sso.config import FEDERATION_ENDPOINT_ENV, EndpointConfig
from refreshable_sso.errors import ConfigurationError, RefreshableSSOError

logger = logging.getLogger(__name__)

DEFAULT_ISSUER = "refreshable-sso"
MIN_DURATION = 900
MAX_DURATION = 43200


@dataclass(frozen=True)
class Partition:
    """Where one AWS partition's federation endpoint and console live."""

    name: str
    federation_endpoint: str
    console: str


# Facts from the AWS documentation on custom identity brokers: each partition has its own
# sign-in host; the console host differs likewise.
PARTITIONS: dict[str, Partition] = {
    "aws": Partition(
        "aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com"
    ),
    "aws-us-gov": Partition(
        "aws-us-gov",
        "https://signin.amazonaws-us-gov.com/federation",
        "https://console.amazonaws-us-gov.com",
    ),
    "aws-cn": Partition(
        "aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn"
    ),
}


class ConsoleSignInError(RefreshableSSOError):
    """The federation endpoint refused the role credentials or could not be reached."""


def partition_for_region(region: str) -> Partition:
    """``cn-*`` is aws-cn, ``us-gov-*`` is aws-us-gov, everything else the aws partition."""
    if region.startswith("cn-"):
        return PARTITIONS["aws-cn"]
    if region.startswith("us-gov-"):
        return PARTITIONS["aws-us-gov"]
    return PARTITIONS["aws"]


def federation_endpoint(region: str, override: str | None = None) -> str:
    """``override``, else ``$REFRESHABLE_SSO_FEDERATION_ENDPOINT``, else the partition's."""
    if override:
        return override
    from_env = os.environ.get(FEDERATION_ENDPOINT_ENV, "").strip()
    if not from_env:
        return partition_for_region(region).federation_endpoint
    try:
        EndpointConfig(federation=from_env)
    except ValidationError:
        raise ConfigurationError(
            f"{FEDERATION_ENDPOINT_ENV}={from_env!r} is not a usable URL: give an https:// URL "
            "(http:// only for a loopback host such as 127.0.0.1)",
            [f"{FEDERATION_ENDPOINT_ENV}: not an https or loopback URL"],
        ) from None
    return from_env


def console_destination(region: str, destination: str | None = None) -> str:
    """A full console URL: ``destination`` as is when absolute, else a path on the partition's
    console (default: the console home in ``region``)."""
    if destination and urlsplit(destination).scheme in ("https", "http"):
        return destination
    console = partition_for_region(region).console
    if not destination:
        return f"{console}/console/home?region={region}"
    path = destination if destination.startswith("/") else f"/{destination}"
    separator = "&" if "?" in path else "?"
    return f"{console}{path}{separator}region={region}"


def _check_duration(duration: int | None) -> int | None:
    if duration is None:
        return None
    if (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not MIN_DURATION <= duration <= MAX_DURATION
    ):
        raise ConfigurationError(
            f"duration must be whole seconds from {MIN_DURATION} to {MAX_DURATION} "
            f"(15 minutes to 12 hours), got {duration!r}",
            [f"duration: {duration!r}"],
        )
    return duration


def get_signin_token(
    credentials: Mapping[str, str],
    endpoint: str,
    *,
    duration: int | None = None,
    timeout: float = 30.0,
) -> str:
    """``Action=getSigninToken`` with the ``Session`` JSON built from ``credentials``
    (``access_key``, ``secret_key``, ``token``)."""
    session = json.dumps(
        {
            "sessionId": credentials["access_key"],
            "sessionKey": credentials["secret_key"],
            "sessionToken": credentials["token"],
        }
    )
    params = {"Action": "getSigninToken", "Session": session}
    if duration is not None:
        params["SessionDuration"] = str(duration)
    # GET with the Session in the query string, as the AWS documentation's broker example does
    # (the connection is https; nothing here logs the URL).
    request = urllib.request.Request(f"{endpoint}?{urlencode(params)}", method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        raise ConsoleSignInError(
            f"The federation endpoint {endpoint} refused the role credentials "
            f"(HTTP {exc.code}): {detail or exc.reason}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConsoleSignInError(
            f"Cannot reach the federation endpoint {endpoint}: {reason}. Check the network, or "
            f"set {FEDERATION_ENDPOINT_ENV} / endpoints.federation."
        ) from None
    try:
        token = json.loads(body)["SigninToken"]
    except (ValueError, KeyError, TypeError):
        raise ConsoleSignInError(
            f"The federation endpoint {endpoint} answered without a SigninToken"
        ) from None
    if not isinstance(token, str) or not token:
        raise ConsoleSignInError(f"The federation endpoint {endpoint} sent an empty SigninToken")
    return token


def console_url(
    credentials: Mapping[str, str],
    region: str,
    *,
    destination: str | None = None,
    duration: int | None = None,
    issuer: str = DEFAULT_ISSUER,
    endpoint: str | None = None,
    timeout: float = 30.0,
) -> str:
    """The console sign-in URL for these role credentials (valid about 15 minutes).

    ``region`` picks the partition (and the default console page); ``duration`` is the console
    session's length in seconds (900-43200; None lets AWS choose).
    """
    where = federation_endpoint(region, endpoint)
    token = get_signin_token(
        credentials, where, duration=_check_duration(duration), timeout=timeout
    )
    query = urlencode(
        {
            "Action": "login",
            "Issuer": issuer,
            "Destination": console_destination(region, destination),
            "SigninToken": token,
        }
    )
    logger.debug("Built a console sign-in URL through %s", where)
    return f"{where}?{query}"


__all__ = [
    "PARTITIONS",
    "ConsoleSignInError",
    "Partition",
    "console_destination",
    "console_url",
    "federation_endpoint",
    "get_signin_token",
    "partition_for_region",
]
