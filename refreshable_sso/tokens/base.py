"""The access token every provider hands out, and the protocol providers follow.

``SSOToken`` mirrors one file of the token cache the AWS CLI v2 and botocore share
(``~/.aws/sso/cache``), so reading and writing that format lives next to the model. Secrets
are ``SecretStr``: they never show up in ``repr``, ``str`` or logs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable

from botocore.utils import parse_timestamp
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from refreshable_sso import _clock

CACHE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_REQUIRED_KEYS = ("accessToken", "expiresAt")
_REFRESH_KEYS = ("refreshToken", "clientId", "clientSecret")


def utcnow() -> datetime:
    """The library clock's time as an aware UTC datetime (kept for callers of this name).

    Library code calls :func:`refreshable_sso._clock.now` itself; both read the one
    injectable clock.
    """
    return _clock.now()


def format_cache_time(moment: datetime) -> str:
    """Render a timestamp the way the AWS CLI writes it (``2024-01-02T03:04:05Z``)."""
    return moment.astimezone(timezone.utc).strftime(CACHE_TIME_FORMAT)


def parse_cache_time(value: object, key: str) -> datetime:
    """Parse a cache timestamp in any format botocore accepts; ``ValueError`` names the key."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a timestamp string, got {type(value).__name__}")
    try:
        parsed = parse_timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{key!r} is not a valid timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class SSOToken(BaseModel):
    """An IAM Identity Center access token with its expiry and, if it has one, its refresh grant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: SecretStr
    expires_at: datetime
    start_url: str | None = None
    region: str | None = None
    refresh_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    registration_expires_at: datetime | None = None

    @field_validator("expires_at", "registration_expires_at")
    @classmethod
    def _aware_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until the access token expires (negative once it has)."""
        return (self.expires_at - (now or _clock.now())).total_seconds()

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """True when fewer than ``seconds`` remain (``0`` asks "is it expired?")."""
        return self.seconds_left(now) <= seconds

    def can_refresh(self, now: datetime | None = None) -> bool:
        """True if it carries a refresh token and a client registration that is still valid."""
        if self.refresh_token is None or self.client_id is None or self.client_secret is None:
            return False
        if self.registration_expires_at is None:
            return True
        return self.registration_expires_at > (now or _clock.now())

    @classmethod
    def from_cache_dict(cls, data: object) -> SSOToken:
        """Build from the AWS CLI cache JSON; ``ValueError`` says exactly what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        missing = [key for key in _REQUIRED_KEYS if key not in data]
        if missing:
            raise ValueError(f"missing required key(s) {', '.join(map(repr, missing))}")
        for key in ("accessToken", "startUrl", "region", *_REFRESH_KEYS):
            if key in data and data[key] is not None and not isinstance(data[key], str):
                raise ValueError(f"{key!r} must be a string, got {type(data[key]).__name__}")
        if not data["accessToken"]:
            raise ValueError("'accessToken' is empty")
        registration = data.get("registrationExpiresAt")
        return cls(
            access_token=SecretStr(data["accessToken"]),
            expires_at=parse_cache_time(data["expiresAt"], "expiresAt"),
            start_url=data.get("startUrl"),
            region=data.get("region"),
            refresh_token=_secret(data.get("refreshToken")),
            client_id=data.get("clientId"),
            client_secret=_secret(data.get("clientSecret")),
            registration_expires_at=(
                parse_cache_time(registration, "registrationExpiresAt")
                if registration is not None
                else None
            ),
        )

    @classmethod
    def refresh_grant_from_cache_dict(cls, data: object) -> SSOToken | None:
        """The refresh grant of a token file whose access-token part is unusable, else None.

        A file whose ``accessToken`` is null or missing, or whose ``expiresAt`` is not a
        timestamp, can still carry an intact refresh token with its client registration; the
        server accepts it. The result has an empty access token that expired at the epoch, so
        every provider refreshes it at once and never hands it out.
        """
        if not isinstance(data, dict):
            return None
        if not all(isinstance(data.get(key), str) and data[key] for key in _REFRESH_KEYS):
            return None
        for key in ("startUrl", "region"):
            if data.get(key) is not None and not isinstance(data[key], str):
                return None
        try:
            registration = parse_cache_time(
                data.get("registrationExpiresAt"), "registrationExpiresAt"
            )
        except ValueError:
            return None
        return cls(
            access_token=SecretStr(""),
            expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc),
            start_url=data.get("startUrl"),
            region=data.get("region"),
            refresh_token=SecretStr(data["refreshToken"]),
            client_id=data["clientId"],
            client_secret=SecretStr(data["clientSecret"]),
            registration_expires_at=registration,
        )

    def to_cache_dict(self) -> dict[str, str]:
        """The AWS CLI cache JSON object (the only place secrets are revealed: for the 0600 file).

        Keys come in the order botocore's ``SSOTokenProvider`` and the AWS CLI write them:
        ``startUrl, region, accessToken, expiresAt, clientId, clientSecret,
        registrationExpiresAt, refreshToken``.
        """
        data: dict[str, str] = {}
        if self.start_url is not None:
            data["startUrl"] = self.start_url
        if self.region is not None:
            data["region"] = self.region
        data["accessToken"] = self.access_token.get_secret_value()
        data["expiresAt"] = format_cache_time(self.expires_at)
        if self.client_id is not None:
            data["clientId"] = self.client_id
        if self.client_secret is not None:
            data["clientSecret"] = self.client_secret.get_secret_value()
        if self.registration_expires_at is not None:
            data["registrationExpiresAt"] = format_cache_time(self.registration_expires_at)
        if self.refresh_token is not None:
            data["refreshToken"] = self.refresh_token.get_secret_value()
        return data

    @classmethod
    def from_create_token(
        cls,
        response: dict[str, Any],
        *,
        start_url: str | None,
        region: str | None,
        client_id: str | None,
        client_secret: str | None,
        registration_expires_at: datetime | None,
        previous_refresh_token: SecretStr | None = None,
        now: datetime | None = None,
    ) -> SSOToken:
        """Build from an ``sso-oidc:CreateToken`` response (refresh tokens rotate: keep the new one)."""
        issued = now or _clock.now()
        refresh = response.get("refreshToken")
        return cls(
            access_token=SecretStr(response["accessToken"]),
            expires_at=issued + timedelta(seconds=int(response["expiresIn"])),
            start_url=start_url,
            region=region,
            refresh_token=SecretStr(refresh) if refresh else previous_refresh_token,
            client_id=client_id,
            client_secret=SecretStr(client_secret) if client_secret else None,
            registration_expires_at=registration_expires_at,
        )


def _secret(value: object) -> SecretStr | None:
    return SecretStr(value) if isinstance(value, str) and value else None


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that can hand out a valid access token.

    ``force_refresh=True`` means "the token you gave me was rejected (or is about to expire):
    get a new one, do not return the cached one". Providers raise
    ``errors.LoginRequiredError`` when only a person signing in can help, and
    ``errors.TokenProviderDeclined`` when they simply have nothing to offer.
    """

    def get_token(self, *, force_refresh: bool = False) -> SSOToken: ...


__all__ = [
    "CACHE_TIME_FORMAT",
    "SSOToken",
    "TokenProvider",
    "format_cache_time",
    "parse_cache_time",
    "utcnow",
]
