"""OIDC client registrations, cached where and how the AWS CLI v2 caches them.

Every interactive login needs a registered OIDC client (``sso-oidc:RegisterClient``). A
registration lasts about 90 days, so it is cached in ``~/.aws/sso/cache`` under the file name
the AWS CLI uses (``_paths.registration_cache_path``) with the CLI's keys (``clientId``,
``clientSecret``, ``expiresAt``, ``scopes``, ``grantTypes``). It is reused while more than 15
minutes remain (a token minted with it must be refreshable for a while) and while it allows
the grant the login needs; otherwise a new one is registered and the file rewritten, under the
file's cross-process lock so concurrent logins register once.

When the caller keeps the token in a dict-like store (aws-sso-lib's ``sso_cache``, a session's
``token_cache=``), the registration goes into that same store under the same key (the file's
name without ``.json``), as botocore's ``SSOTokenFetcher`` puts it into the cache it is given;
then nothing is written to disk, lock files included (the lock is in-process).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, SecretStr

from refreshable_sso.aws import clients as _aws
from refreshable_sso.aws import redact as _redact
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import LoginError
from refreshable_sso.storage.base import Record
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.paths import registration_cache_path
from refreshable_sso.tokens.base import format_cache_time, parse_cache_time, utcnow

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

    from refreshable_sso.storage.keyring import TokenStorage

logger = logging.getLogger(__name__)

DEFAULT_SCOPES: tuple[str, ...] = ("sso:account:access",)
#: A cached registration is renewed once fewer than this many seconds remain.
DEFAULT_MIN_REMAINING = 15 * 60.0
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
AUTHORIZATION_CODE_GRANT = "authorization_code"
REFRESH_TOKEN_GRANT = "refresh_token"  # noqa: S105 (a grant type name, not a secret)
PKCE_GRANT_TYPES: tuple[str, ...] = (AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT)
#: The redirect URI registered for PKCE; the loopback port is added per login (RFC 8252 7.3).
PKCE_REDIRECT_URI = "http://127.0.0.1/oauth/callback"
CLIENT_NAME_PREFIX = "refreshable-sso"

Flow = Literal["device", "pkce"]


class ClientRegistration(BaseModel):
    """One ``RegisterClient`` result; the secret is masked everywhere but the cache file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    client_secret: SecretStr
    expires_at: datetime
    scopes: tuple[str, ...] | None = None
    grant_types: tuple[str, ...] | None = None

    def seconds_left(self, now: datetime | None = None) -> float:
        return (self.expires_at - (now or utcnow())).total_seconds()

    def allows(self, flow: Flow) -> bool:
        """True if a login of this flow may use the registration.

        A registration without ``grantTypes`` is the device-code kind the CLI makes; one with
        ``grantTypes`` allows exactly those (PKCE needs ``authorization_code``).
        """
        if flow == "pkce":
            return self.grant_types is not None and AUTHORIZATION_CODE_GRANT in self.grant_types
        return self.grant_types is None or DEVICE_CODE_GRANT in self.grant_types

    def to_cache_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "clientId": self.client_id,
            "clientSecret": self.client_secret.get_secret_value(),
            "expiresAt": format_cache_time(self.expires_at),
        }
        if self.scopes is not None:
            data["scopes"] = list(self.scopes)
        if self.grant_types is not None:
            data["grantTypes"] = list(self.grant_types)
        return data

    @classmethod
    def from_cache_dict(cls, data: dict[str, Any]) -> ClientRegistration:
        """Parse the CLI's registration JSON; ``ValueError`` names the bad key."""
        for key in ("clientId", "clientSecret"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(f"{key!r} must be a non-empty string")
        expires_at = parse_cache_time(data.get("expiresAt"), "expiresAt")
        return cls(
            client_id=data["clientId"],
            client_secret=SecretStr(data["clientSecret"]),
            expires_at=expires_at,
            scopes=_string_tuple(data.get("scopes"), "scopes"),
            grant_types=_string_tuple(data.get("grantTypes"), "grantTypes"),
        )


def _string_tuple(value: object, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(value)


class ClientRegistrar:
    """Hands out a usable client registration for one start URL / region / scopes / session.

    ``cache_dir`` is the folder of the registration file (default ``~/.aws/sso/cache``);
    ``registration_cache`` is a dict-like store to keep it in instead (no file, no lock file).
    ``min_remaining`` is how many seconds a cached registration must have left to be reused;
    ``client`` an SSO-OIDC client to use (one is made from ``oidc_endpoint_url`` and ``http``);
    ``storage`` with ``kind="keyring"`` keeps the registration (its client secret) in the OS
    keyring instead of the file.
    """

    def __init__(
        self,
        start_url: str,
        sso_region: str,
        *,
        sso_session_name: str | None = None,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        cache_dir: Path | None = None,
        oidc_endpoint_url: str | None = None,
        http: HttpConfig = _aws.DEFAULT_HTTP,
        min_remaining: float = DEFAULT_MIN_REMAINING,
        client: SSOOIDCClient | None = None,
        registration_cache: MutableMapping[str, Any] | None = None,
        storage: TokenStorage | None = None,
    ) -> None:
        self.start_url = start_url
        self.sso_region = sso_region
        self.sso_session_name = sso_session_name
        self.scopes: tuple[str, ...] = tuple(scopes)
        self.min_remaining = min_remaining
        self._oidc_endpoint_url = oidc_endpoint_url
        self._http = http
        self._client = client
        path = registration_cache_path(
            start_url, sso_region, list(self.scopes), sso_session_name, cache_dir
        )
        self.file: Record
        if registration_cache is None and storage is not None and storage.keyring:
            from refreshable_sso.storage.keyring import KeyringRecord

            self.file = KeyringRecord(path)
        elif registration_cache is None:
            self.file = JsonFileRecord(path)
        else:  # the caller's store, keyed as botocore's SSOTokenFetcher keys it
            from refreshable_sso.storage.mapping import mapping_file

            self.file = mapping_file(registration_cache, path, "sso_cache")

    @property
    def path(self) -> Path:
        """The registration file (for a mapping: its label as a path)."""
        return Path(self.file.label)

    @property
    def client(self) -> SSOOIDCClient:
        if self._client is None:
            _redact.install()  # botocore's DEBUG logs would otherwise show secrets
            self._client = _aws.oidc_client(
                self.sso_region, endpoint_url=self._oidc_endpoint_url, http=self._http
            )
        return self._client

    def cached(self) -> ClientRegistration | None:
        """The cached registration as stored (None if absent or unreadable)."""
        data = self.file.read()
        if data is None:
            return None
        try:
            return ClientRegistration.from_cache_dict(data)
        except ValueError as exc:
            logger.warning(
                "ignoring client registration cache %s: %s; registering a new client",
                self.file.label,
                exc,
            )
            return None

    def usable(self, registration: ClientRegistration | None, flow: Flow) -> bool:
        """Reusable for ``flow``: allows its grant, same scopes, more than ``min_remaining`` left."""
        if registration is None or not registration.allows(flow):
            return False
        if registration.scopes is not None and tuple(registration.scopes) != self.scopes:
            return False
        if registration.scopes is None and self.scopes:
            # The AWS CLI's legacy login registers without scopes (same file name as ours):
            # tokens minted with such a client carry no refresh token. Register our own.
            return False
        return registration.seconds_left() > self.min_remaining

    def get(self, flow: Flow, *, renew: bool = False) -> ClientRegistration:
        """A registration for ``flow``: the cached one if usable (and not ``renew``), else a new one."""
        with self.file.lock():
            current = self.cached()
            if not renew and self.usable(current, flow):
                assert current is not None
                logger.debug(
                    "reusing client registration %s (%.0f s left)",
                    current.client_id,
                    current.seconds_left(),
                )
                return current
            registration = self._register(flow)
            self.file.write(registration.to_cache_dict())
            logger.info(
                "registered OIDC client %s for %s (valid until %s)",
                registration.client_id,
                self.sso_session_name or self.start_url,
                format_cache_time(registration.expires_at),
            )
            return registration

    def _register(self, flow: Flow) -> ClientRegistration:
        kwargs: dict[str, Any] = {
            "clientName": self._client_name(),
            "clientType": "public",
            "scopes": list(self.scopes),
        }
        grant_types: tuple[str, ...] | None = None
        if flow == "pkce":
            grant_types = PKCE_GRANT_TYPES
            kwargs["grantTypes"] = list(grant_types)
            kwargs["redirectUris"] = [PKCE_REDIRECT_URI]
            kwargs["issuerUrl"] = self.start_url
        try:
            response = self.client.register_client(**kwargs)
        except ClientError as exc:
            reason = _aws.error_message(exc, limit=200)
            raise LoginError(
                f"could not register an OIDC client with IAM Identity Center in "
                f"{self.sso_region} ({_aws.error_code(exc)}, HTTP {_aws.status_code(exc)})"
                + (f": {reason}" if reason else "")
            ) from exc
        except BotoCoreError as exc:
            raise LoginError(
                f"could not reach IAM Identity Center OIDC in {self.sso_region} to register a "
                f"client: {type(exc).__name__}"
            ) from exc
        expires_epoch = response.get("clientSecretExpiresAt")
        expires_at = (
            datetime.fromtimestamp(int(expires_epoch), tz=timezone.utc)
            if expires_epoch
            else utcnow() + timedelta(days=90)
        )
        return ClientRegistration(
            client_id=response["clientId"],
            client_secret=SecretStr(response["clientSecret"]),
            expires_at=expires_at,
            scopes=self.scopes,
            grant_types=grant_types,
        )

    def _client_name(self) -> str:
        suffix = self.sso_session_name or str(int(utcnow().timestamp()))
        return f"{CLIENT_NAME_PREFIX}-{suffix}"

    def __repr__(self) -> str:
        return f"ClientRegistrar(start_url={self.start_url!r}, path={self.file.label!r})"


__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "DEFAULT_MIN_REMAINING",
    "DEFAULT_SCOPES",
    "DEVICE_CODE_GRANT",
    "PKCE_GRANT_TYPES",
    "PKCE_REDIRECT_URI",
    "ClientRegistrar",
    "ClientRegistration",
]
