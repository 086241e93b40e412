"""Role credentials: ``sso:GetRoleCredentials`` turned into botocore refresh metadata, shared.

:class:`RoleCredentialFetcher` is what a botocore ``RefreshableCredentials`` calls when its
credentials near expiry. It answers, cheapest first, from memory; from the AWS CLI's role
credential cache (``~/.aws/cli/cache``, same file names and JSON as the CLI, so the two share
entries); and only then from IAM Identity Center. The network call happens under the cache
entry's lock after looking at the entry once more, so 8 processes starting together make one
GetRoleCredentials call and the other 7 read its result.

A rejected access token (UnauthorizedException) is refreshed once through the token provider
(``force_refresh=True``) and the call retried; every other failure becomes a
:class:`~refreshable_sso.errors.CredentialRefreshError` that names the account, role, HTTP
status and error code and says what to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import MutableMapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from refreshable_sso import _clock
from refreshable_sso.aws import redact as _redact
from refreshable_sso.aws.clients import (
    DEFAULT_HTTP,
    describe_wait,
    error_code,
    error_message,
    sso_client,
    status_code,
)
from refreshable_sso.config import HttpConfig
from refreshable_sso.credentials import reuse as _reuse
from refreshable_sso.errors import CacheFileError, CredentialRefreshError, LoginRequiredError
from refreshable_sso.storage.base import DEFAULT_LOCK_TIMEOUT, Record
from refreshable_sso.storage.base import RecordVersion as FileVersion
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.paths import cli_cache_dir, role_credentials_cache_path
from refreshable_sso.tokens.base import (
    SSOToken,
    TokenProvider,
    format_cache_time,
    parse_cache_time,
)

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.credentials")

PROVIDER_TYPE = "sso"

#: Clocks that disagree by more than this (seconds) are treated as skewed: the credentials'
#: expiry is then taken from the server's lifetime, measured on the local clock.
SKEW_TOLERANCE = 5.0
#: After credentials arrived already expired, the next GetRoleCredentials waits this long.
EXPIRED_ON_ARRIVAL_BACKOFF = 1.0

_skew_logged: set[str] = set()
_skew_logged_lock = threading.Lock()


def server_date(response: object) -> datetime | None:
    """The server's ``Date`` header of a botocore response (None when absent or unreadable)."""
    if not isinstance(response, dict):
        return None
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    raw = headers.get("date") if isinstance(headers, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def on_local_clock(
    credentials: RoleCredentials, served_at: datetime | None, received_at: float
) -> tuple[RoleCredentials, float]:
    """The credentials with their expiry on the local clock, and the skew (local - server, s).

    When the two clocks agree within ``SKEW_TOLERANCE`` the server's expiry is kept as is.
    Otherwise the expiry is the server's lifetime (``expiration - Date``) from the local moment
    of receipt, less one second for the ``Date`` header's whole-second resolution.
    """
    if served_at is None:
        return credentials, 0.0
    skew = received_at - served_at.timestamp()
    if abs(skew) <= SKEW_TOLERANCE:
        return credentials, skew
    lifetime = (credentials.expiration - served_at).total_seconds() - 1.0
    local_expiry = datetime.fromtimestamp(received_at, tz=timezone.utc) + timedelta(
        seconds=lifetime
    )
    return credentials.model_copy(update={"expiration": local_expiry}), skew


def _describe_skew(skew: float) -> str:
    direction = "ahead of" if skew > 0 else "behind"
    return f"the local clock is {abs(skew):.0f} s {direction} the server's"


def _from_epoch_millis(millis: float) -> datetime:
    """An exact UTC datetime for epoch milliseconds (no float rounding of the milliseconds)."""
    whole = int(millis)
    return datetime.fromtimestamp(whole // 1000, tz=timezone.utc) + timedelta(
        milliseconds=whole % 1000
    )


class RoleCredentials(BaseModel):
    """One set of temporary role credentials (secrets masked in ``repr``/``str``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_key_id: str
    secret_access_key: SecretStr
    session_token: SecretStr
    expiration: datetime
    account_id: str | None = None

    @field_validator("expiration")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until these credentials expire (negative once they have)."""
        return (self.expiration - (now or _clock.now())).total_seconds()

    def expiration_text(self) -> str:
        """The expiry as the AWS CLI writes it, plus milliseconds when it has them.

        One rendering for the cache file and for botocore: reuse is decided on this expiry, and a
        botocore (or another process) that saw whole seconds would see up to 1 s less and could
        be handed credentials it already considers expired. Whole-second expiries are written
        byte for byte as the AWS CLI writes them; readers parse both forms.
        """
        text = format_cache_time(self.expiration)
        millis = self.expiration.microsecond // 1000
        return f"{text[:-1]}.{millis:03d}Z" if millis else text

    def to_botocore_metadata(self) -> dict[str, str]:
        """What ``botocore.credentials.RefreshableCredentials`` expects from its refresh call."""
        return {
            "access_key": self.access_key_id,
            "secret_key": self.secret_access_key.get_secret_value(),
            "token": self.session_token.get_secret_value(),
            "expiry_time": self.expiration_text(),
        }

    @classmethod
    def from_api(cls, role_credentials: object, account_id: str) -> RoleCredentials:
        """From GetRoleCredentials' ``roleCredentials`` (expiration in epoch milliseconds)."""
        if not isinstance(role_credentials, dict):
            raise ValueError("'roleCredentials' is missing")
        for key in ("accessKeyId", "secretAccessKey", "sessionToken"):
            if not isinstance(role_credentials.get(key), str) or not role_credentials[key]:
                raise ValueError(f"{key!r} is missing or not a string")
        expiration = role_credentials.get("expiration")
        if not isinstance(expiration, int | float) or isinstance(expiration, bool):
            raise ValueError("'expiration' is missing or not a number")
        return cls(
            access_key_id=role_credentials["accessKeyId"],
            secret_access_key=SecretStr(role_credentials["secretAccessKey"]),
            session_token=SecretStr(role_credentials["sessionToken"]),
            expiration=_from_epoch_millis(expiration),
            account_id=account_id,
        )

    @classmethod
    def from_cache_dict(cls, data: object) -> RoleCredentials:
        """From an AWS CLI cache entry; ``ValueError`` names what is wrong (never a value)."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        provider = data.get("ProviderType", PROVIDER_TYPE)
        if provider != PROVIDER_TYPE:
            raise ValueError(f"'ProviderType' is {provider!r}, not {PROVIDER_TYPE!r}")
        creds = data.get("Credentials")
        if not isinstance(creds, dict):
            raise ValueError("'Credentials' is missing or not an object")
        for key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            if not isinstance(creds.get(key), str) or not creds[key]:
                raise ValueError(f"'Credentials.{key}' is missing or not a string")
        account_id = creds.get("AccountId")
        if account_id is not None and not isinstance(account_id, str):
            raise ValueError("'Credentials.AccountId' must be a string")
        return cls(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=SecretStr(creds["SecretAccessKey"]),
            session_token=SecretStr(creds["SessionToken"]),
            expiration=parse_cache_time(creds.get("Expiration"), "Credentials.Expiration"),
            account_id=account_id,
        )

    def to_cache_dict(self) -> dict[str, Any]:
        """The AWS CLI cache entry (the only place the secrets are written: a 0600 file)."""
        creds: dict[str, str] = {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key.get_secret_value(),
            "SessionToken": self.session_token.get_secret_value(),
            "Expiration": self.expiration_text(),
        }
        if self.account_id is not None:
            creds["AccountId"] = self.account_id
        return {"ProviderType": PROVIDER_TYPE, "Credentials": creds}


class RoleCredentialEntry:
    """The cache file of one account/role of one sign-in (sso-session or start URL)."""

    def __init__(self, path: Path, mapping: MutableMapping[str, Any] | None = None) -> None:
        self.file: Record = JsonFileRecord(path)
        if mapping is not None:  # a dict-like store in place of the file, same key and value
            from refreshable_sso.storage.mapping import mapping_file

            self.file = mapping_file(mapping, path, "credential_cache")

    @property
    def path(self) -> Path:
        """The cache file (for a mapping: its label as a path)."""
        return Path(self.file.label)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def load(self) -> tuple[RoleCredentials | None, FileVersion | None]:
        """The cached credentials and their file's version; (None, None) if absent or bad."""
        data, version = self.file.read_versioned()
        if data is None:
            return None, None
        try:
            return RoleCredentials.from_cache_dict(data), version
        except ValueError as exc:
            self.file.quarantine(f"not usable role credentials: {exc}", version)
            return None, None

    def save(self, credentials: RoleCredentials) -> None:
        """Write atomically, mode 0600."""
        self.file.write(credentials.to_cache_dict())

    def delete(self) -> bool:
        return self.file.delete()

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        return self.file.lock(timeout)


class RoleCredentialCache:
    """The AWS CLI's role credential cache directory (``~/.aws/cli/cache``), locked per entry."""

    def __init__(
        self, cache_dir: Path | None = None, mapping: MutableMapping[str, Any] | None = None
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else cli_cache_dir()
        self.mapping = mapping  # entries in this dict-like store instead of files

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.cache_dir)!r})"

    def entry(
        self,
        account_id: str,
        role_name: str,
        *,
        sso_session_name: str | None = None,
        start_url: str | None = None,
    ) -> RoleCredentialEntry:
        """The entry the AWS CLI would use for this account, role and sign-in."""
        return RoleCredentialEntry(
            role_credentials_cache_path(
                account_id,
                role_name,
                sso_session_name=sso_session_name,
                start_url=start_url,
                cache_dir=self.cache_dir,
            ),
            self.mapping,
        )


def _usable_for(credentials: RoleCredentials, obtained_at: float, min_remaining: float) -> bool:
    """See ``_reuse.usable`` (the rule the credential-process fast path shares)."""
    lifetime = credentials.expiration.timestamp() - obtained_at
    return _reuse.usable(credentials.seconds_left(), lifetime, min_remaining)


class _Rejected(Exception):
    """GetRoleCredentials answered UnauthorizedException (internal)."""


class RoleCredentialFetcher:
    """Fetches (and shares) the credentials of one role, for botocore's refreshable credentials."""

    def __init__(
        self,
        token_provider: TokenProvider,
        *,
        account_id: str,
        role_name: str,
        sso_region: str,
        start_url: str,
        sso_session_name: str | None = None,
        sso_endpoint_url: str | None = None,
        http: HttpConfig = DEFAULT_HTTP,
        cache: RoleCredentialCache | None = None,
        min_remaining: float = 900.0,
    ) -> None:
        self.token_provider = token_provider
        self.account_id = account_id
        self.role_name = role_name
        self.sso_region = sso_region
        self.start_url = start_url
        self.sso_session_name = sso_session_name
        self.min_remaining = float(min_remaining)
        self.entry = (
            cache.entry(
                account_id, role_name, sso_session_name=sso_session_name, start_url=start_url
            )
            if cache is not None
            else None
        )
        self._endpoint_url = sso_endpoint_url
        self._http = http
        # The lock is held for one GetRoleCredentials call with its retries, at most.
        self._lock_timeout = http.max_attempts * (http.connect_timeout + http.read_timeout) + 30.0
        self._client: SSOClient | None = None
        self._lock = threading.Lock()
        self._memo: tuple[RoleCredentials, float] | None = None  # (credentials, obtained at)
        self.fetch_count = 0  # GetRoleCredentials calls this fetcher made
        self.last_refreshed_at: datetime | None = None
        self.clock_skew = 0.0  # local minus server clock at the last fetch, seconds
        # (_clock.monotonic() before which no new fetch is made, why): expired-on-arrival backoff
        self._backoff: tuple[float, str] | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_id={self.account_id!r}, role_name={self.role_name!r}, "
            f"cache={self.entry!r})"
        )

    @property
    def current(self) -> RoleCredentials | None:
        """The credentials last handed out (None before the first fetch)."""
        memo = self._memo
        return memo[0] if memo is not None else None

    # -- public --------------------------------------------------------------------------

    def fetch(self) -> dict[str, str]:
        """Credentials with more than ``min_remaining`` seconds left, as botocore metadata."""
        return self.fetch_credentials().to_botocore_metadata()

    def fetch_credentials(self) -> RoleCredentials:
        """Like :meth:`fetch`, as a :class:`RoleCredentials` (secrets masked in repr)."""
        memo = self._memo
        if memo is not None and _usable_for(*memo, self.min_remaining):
            return memo[0]
        with self._lock:
            memo = self._memo
            if memo is not None and _usable_for(*memo, self.min_remaining):
                return memo[0]
            if self.entry is not None:
                cached = self._from_disk(self.entry)
                if cached is not None:
                    return cached
            self._respect_backoff()
            credentials = self._fetch_new()
            memo = self._memo
            if memo is None or memo[0] is not credentials:  # new, not read from disk
                self._memo = (credentials, _clock.wall())
            return credentials

    def _respect_backoff(self) -> None:
        """Re-raise a recent expired-on-arrival failure instead of calling again at once."""
        backoff = self._backoff
        if backoff is None:
            return
        not_before, explain = backoff
        if _clock.monotonic() < not_before:
            raise self._expired_on_arrival(explain)
        self._backoff = None

    def invalidate(self) -> None:
        """Forget the cached credentials (memory and disk) so the next fetch gets new ones."""
        with self._lock:
            self._memo = None
            if self.entry is not None:
                with self.entry.lock(self._lock_timeout):
                    self.entry.delete()

    # -- cache ---------------------------------------------------------------------------

    def _from_disk(self, entry: RoleCredentialEntry) -> RoleCredentials | None:
        credentials, version = entry.load()
        if credentials is None or version is None:
            return None
        obtained_at = _clock.from_system_time(version.written_at)
        if not _usable_for(credentials, obtained_at, self.min_remaining):
            return None
        self._memo = (credentials, obtained_at)
        logger.debug("Using cached role credentials from %s", entry.path)
        return credentials

    def _fetch_new(self) -> RoleCredentials:
        """Call GetRoleCredentials (under the entry's lock, after one more look at the entry)."""
        rejected: ClientError | None = None
        for attempt in range(2):
            # Outside the entry lock: getting a token may mean a refresh (or even a login).
            token = self.token_provider.get_token(force_refresh=attempt > 0)
            entry = self.entry
            try:
                if entry is None:
                    return self._call(token)
                with entry.lock(self._lock_timeout):
                    cached = self._from_disk(entry)
                    if cached is not None:
                        return cached
                    credentials = self._call(token)
                    self._store(entry, credentials)
                    return credentials
            except _Rejected as exc:
                rejected = exc.__cause__ if isinstance(exc.__cause__, ClientError) else None
                logger.info(
                    "IAM Identity Center rejected the access token for role %s in account %s; "
                    "refreshing the token and trying once more",
                    self.role_name,
                    self.account_id,
                )
        reason = (
            f"IAM Identity Center rejected the access token (UnauthorizedException) when getting "
            f"credentials for role {self.role_name!r} in account {self.account_id}, even right "
            f"after refreshing it; the sign-in session has probably ended or been revoked"
        )
        raise LoginRequiredError(
            reason,
            start_url=self.start_url,
            sso_session_name=self.sso_session_name,
            sso_region=self.sso_region,
        ) from rejected

    @staticmethod
    def _store(entry: RoleCredentialEntry, credentials: RoleCredentials) -> None:
        try:
            entry.save(credentials)
        except CacheFileError as exc:
            logger.warning("Could not cache role credentials (they are used from memory): %s", exc)

    # -- the call ------------------------------------------------------------------------

    def _sso(self) -> SSOClient:
        if self._client is None:
            _redact.install()
            self._client = sso_client(
                self.sso_region, endpoint_url=self._endpoint_url, http=self._http
            )
        return self._client

    def _call(self, token: SSOToken) -> RoleCredentials:
        started = _clock.monotonic()  # the caller's wait includes building the client
        client = self._sso()
        try:
            response = client.get_role_credentials(
                roleName=self.role_name,
                accountId=self.account_id,
                accessToken=token.access_token.get_secret_value(),
            )
            received_at = _clock.wall()
        except ClientError as exc:
            if error_code(exc) == "UnauthorizedException":
                raise _Rejected() from exc
            raise self._client_error(exc) from exc
        except BotoCoreError as exc:
            raise self._transport_error(exc, _clock.monotonic() - started) from exc
        try:
            credentials = RoleCredentials.from_api(response.get("roleCredentials"), self.account_id)
        except ValueError as exc:
            raise CredentialRefreshError(
                f"the GetRoleCredentials response is malformed ({exc})",
                account_id=self.account_id,
                role_name=self.role_name,
            ) from exc
        self.fetch_count += 1
        self.last_refreshed_at = _clock.now()
        credentials = self._on_local_clock(credentials, server_date(response), received_at)
        logger.info(
            "Got role credentials for role %s in account %s; valid until %s",
            self.role_name,
            self.account_id,
            format_cache_time(credentials.expiration),
        )
        return credentials

    def _on_local_clock(
        self, credentials: RoleCredentials, served_at: datetime | None, received_at: float
    ) -> RoleCredentials:
        """Skew-corrected credentials; never ones the local clock already considers expired."""
        adjusted, skew = on_local_clock(credentials, served_at, received_at)
        self.clock_skew = skew
        if adjusted is not credentials:
            key = self._endpoint_url or self.sso_region
            with _skew_logged_lock:
                first = key not in _skew_logged
                _skew_logged.add(key)
            if first:
                logger.warning(
                    "Clock skew: %s (IAM Identity Center, %s); role credential expiry is "
                    "computed from the server's lifetime on the local clock. Synchronise the "
                    "clock (NTP) to avoid surprises elsewhere",
                    _describe_skew(skew),
                    key,
                )
        if adjusted.seconds_left() <= 0:
            explain = (
                f"the credentials GetRoleCredentials returned had already expired by the local "
                f"clock on arrival (valid until {adjusted.expiration_text()}; "
                f"{_describe_skew(skew)}); check the system clock (NTP). Retrying at most once "
                f"every {EXPIRED_ON_ARRIVAL_BACKOFF:g} s"
            )
            self._backoff = (_clock.monotonic() + EXPIRED_ON_ARRIVAL_BACKOFF, explain)
            raise self._expired_on_arrival(explain)
        return adjusted

    def _expired_on_arrival(self, explain: str) -> CredentialRefreshError:
        return CredentialRefreshError(
            explain,
            account_id=self.account_id,
            role_name=self.role_name,
            error_code="ExpiredOnArrival",
        )

    def _client_error(self, exc: ClientError) -> CredentialRefreshError:
        code = error_code(exc)
        status = status_code(exc)
        attempts = self._http.max_attempts
        if code == "ResourceNotFoundException" or status == 404:
            explain = (
                "the account or role does not exist, or the role is not assigned to you in "
                "this account; check account_id and role_name (list what you can use with "
                "session.list_roles())"
            )
        elif code in ("ForbiddenException", "AccessDeniedException") or status == 403:
            explain = (
                "you are not allowed to use this role in this account; check account_id and "
                "role_name, or ask your administrator for the assignment"
            )
        elif code in ("TooManyRequestsException", "ThrottlingException") or status == 429:
            explain = (
                f"IAM Identity Center throttled the request and {attempts} attempts did not get "
                f"through; try again shortly, or allow more attempts (HttpConfig.max_attempts)"
            )
        elif status is not None and status >= 500:
            explain = (
                f"IAM Identity Center failed with a server error on {attempts} attempts; "
                f"try again later"
            )
        elif code == "InvalidRequestException":
            explain = (
                "the request was rejected as invalid; check account_id (12 digits) and role_name"
            )
        else:
            explain = "IAM Identity Center refused the request"
        message = error_message(exc, limit=200)
        if message:
            explain += f" (server said: {message})"
        return CredentialRefreshError(
            explain,
            account_id=self.account_id,
            role_name=self.role_name,
            status_code=status,
            error_code=code,
        )

    def _transport_error(self, exc: BotoCoreError, waited: float) -> CredentialRefreshError:
        if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
            explain = (
                f"the SSO portal did not answer in time: {describe_wait(exc, self._http, waited)} "
                f"({exc}); check the network, or try again later (timeouts and attempts: "
                f"HttpConfig / http=)"
            )
        elif isinstance(exc, EndpointConnectionError):
            explain = (
                f"could not connect to the SSO portal ({exc}); check the network and the "
                f"endpoint (AWS_ENDPOINT_URL_SSO or sso_endpoint_url)"
            )
        else:
            explain = (
                f"the call failed before IAM Identity Center answered ({type(exc).__name__}: {exc})"
            )
        return CredentialRefreshError(
            explain,
            account_id=self.account_id,
            role_name=self.role_name,
            error_code=type(exc).__name__,
        )


__all__ = [
    "RoleCredentialCache",
    "RoleCredentialEntry",
    "RoleCredentialFetcher",
    "RoleCredentials",
]
