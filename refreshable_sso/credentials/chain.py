"""Role chaining: ``sts:AssumeRole`` hops on top of the SSO role credentials, shared.

:class:`AssumeRoleFetcher` is to one hop what ``credentials.RoleCredentialFetcher`` is to the SSO
role: the ``refresh_using`` of a botocore ``RefreshableCredentials``. It is fed by the previous
hop's credentials (themselves refreshable), and answers, cheapest first, from memory, from the AWS
CLI's assume-role cache (``~/.aws/cli/cache``, the file name botocore's ``AssumeRoleProvider``
computes for the same arguments, so the CLI, a boto3 with a ``JSONFileCache`` and we share
entries), and only then from STS, under the entry's lock after one more look, so 8 processes on
one chained profile make one AssumeRole call.

:class:`RoleChain` composes the hops: each intermediate hop is a ``RefreshableCredentials`` with
the session's advisory/mandatory windows, so asking a hop for its source refreshes that source
only when it is itself due. The session sees one ``fetch()`` and knows nothing of STS.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, MutableMapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.credentials import Credentials, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from refreshable_sso import _clock
from refreshable_sso.aws import _botocore
from refreshable_sso.aws.clients import (
    DEFAULT_HTTP,
    error_code,
    error_message,
    status_code,
    sts_client,
)
from refreshable_sso.config import AssumeRoleConfig, HttpConfig
from refreshable_sso.errors import AssumeRoleError, CacheFileError
from refreshable_sso.mfa import MfaCodeError, MfaTokenProvider, mfa_token_provider
from refreshable_sso.storage.base import Record
from refreshable_sso.storage.base import RecordVersion as FileVersion
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.paths import cli_cache_dir
from refreshable_sso.tokens.base import parse_cache_time

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.assume")

METHOD = "assume-role"
Fetch = Callable[[], dict[str, str]]


def assume_role_kwargs(config: AssumeRoleConfig) -> dict[str, Any]:
    """The AssumeRole arguments of a hop, without RoleSessionName when none is configured."""
    kwargs: dict[str, Any] = {"RoleArn": config.role_arn}
    if config.role_session_name is not None:
        kwargs["RoleSessionName"] = config.role_session_name
    if config.external_id is not None:
        kwargs["ExternalId"] = config.external_id
    if config.duration_seconds is not None:
        kwargs["DurationSeconds"] = config.duration_seconds
    if config.policy is not None:
        kwargs["Policy"] = config.policy
    if config.tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in config.tags.items()]
    if config.source_identity is not None:
        kwargs["SourceIdentity"] = config.source_identity
    if config.mfa_serial is not None:
        kwargs["SerialNumber"] = config.mfa_serial
    return kwargs


def cache_key(kwargs: dict[str, Any]) -> str:
    """botocore's ``BaseAssumeRoleCredentialFetcher._create_cache_key``, byte for byte: sha1 of
    the sorted JSON of the arguments (a generated RoleSessionName left out, the Policy parsed so
    its keys sort too)."""
    args = dict(kwargs)
    if "Policy" in args:
        args["Policy"] = json.loads(args["Policy"])
    digest = hashlib.sha1(
        json.dumps(args, sort_keys=True).encode("utf-8"), usedforsecurity=False
    ).hexdigest()
    return digest.replace(":", "_").replace("/", "_")


def cache_path(kwargs: dict[str, Any], cache_dir: Path | None = None) -> Path:
    return (cache_dir or cli_cache_dir()) / f"{cache_key(kwargs)}.json"


class AssumedCredentials:
    """One AssumeRole result as the AWS CLI caches it (``repr`` masks the secrets)."""

    __slots__ = ("access_key_id", "arn", "expiration", "secret_access_key", "session_token")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str,
        expiration: datetime,
        arn: str,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = SecretStr(secret_access_key)
        self.session_token = SecretStr(session_token)
        self.expiration = expiration.astimezone(timezone.utc)
        self.arn = arn

    def __reduce__(self) -> Any:
        raise TypeError("AssumedCredentials holds secrets and is not picklable")

    def __repr__(self) -> str:
        return (
            f"AssumedCredentials(access_key_id={self.access_key_id[:4]}****, arn={self.arn!r}, "
            f"expiration={self.expiration.isoformat()!r})"
        )

    def seconds_left(self) -> float:
        return (self.expiration - _clock.now()).total_seconds()

    @property
    def account_id(self) -> str | None:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> AssumedCredentials:
        creds = response.get("Credentials")
        if not isinstance(creds, dict):
            raise ValueError("'Credentials' is missing or not an object")
        for key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            if not isinstance(creds.get(key), str) or not creds[key]:
                raise ValueError(f"'Credentials.{key}' is missing or not a string")
        expiration = creds.get("Expiration")
        if isinstance(expiration, datetime):
            when = expiration if expiration.tzinfo else expiration.replace(tzinfo=timezone.utc)
        else:
            when = parse_cache_time(expiration, "Credentials.Expiration")
        user = response.get("AssumedRoleUser")
        arn = user.get("Arn", "") if isinstance(user, dict) else ""
        return cls(
            creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], when, str(arn)
        )

    def to_cache_dict(self) -> dict[str, Any]:
        """What botocore's ``JSONFileCache`` writes for an AssumeRole response."""
        creds: dict[str, str] = {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key.get_secret_value(),
            "SessionToken": self.session_token.get_secret_value(),
            "Expiration": self.expiration.isoformat(),
        }
        if self.account_id:
            creds["AccountId"] = self.account_id
        return {"Credentials": creds, "AssumedRoleUser": {"Arn": self.arn}}

    def to_botocore_metadata(self) -> dict[str, str]:
        return {
            "access_key": self.access_key_id,
            "secret_key": self.secret_access_key.get_secret_value(),
            "token": self.session_token.get_secret_value(),
            "expiry_time": self.expiration.isoformat(),
        }


def _usable(creds: AssumedCredentials, obtained_at: float, min_remaining: float) -> bool:
    """More than ``min_remaining`` left; half the lifetime for credentials that live shorter."""
    lifetime = creds.expiration.timestamp() - obtained_at
    needed = min_remaining if lifetime > min_remaining else max(0.0, lifetime / 2)
    return creds.seconds_left() > needed


class AssumeRoleFetcher:
    """Fetches (and shares) the credentials of one hop, signed with ``source``.

    The hop's credentials are cached in ``cache_dir`` (the AWS CLI's ``~/.aws/cli/cache``) or,
    when ``credential_cache`` is a dict-like store, under the same key in it (nothing on disk);
    ``use_cache=False`` keeps them in memory only.
    """

    def __init__(
        self,
        source: Credentials,
        config: AssumeRoleConfig,
        *,
        region: str,
        sts_endpoint_url: str | None = None,
        http: HttpConfig = DEFAULT_HTTP,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        min_remaining: float = 900.0,
        credential_cache: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.config = config
        self.region = region
        self.min_remaining = float(min_remaining)
        self._endpoint_url = sts_endpoint_url
        self._http = http
        self._kwargs = assume_role_kwargs(config)
        self.entry: Record | None = None
        if use_cache and credential_cache is not None:
            from refreshable_sso.storage.mapping import mapping_file

            path = cache_path(self._kwargs, cache_dir)
            self.entry = mapping_file(credential_cache, path, "credential_cache")
        elif use_cache:
            self.entry = JsonFileRecord(cache_path(self._kwargs, cache_dir))
        # Like botocore: a generated session name, left out of the cache key.
        self.session_name = config.role_session_name or f"refreshable-sso-{int(_clock.wall())}"
        self._mfa: MfaTokenProvider | None = (
            mfa_token_provider(config.mfa_token_provider)
            if config.mfa_token_provider is not None
            else None
        )
        self._lock_timeout = http.max_attempts * (http.connect_timeout + http.read_timeout) + 90.0
        self._lock = threading.Lock()
        self._memo: tuple[AssumedCredentials, float] | None = None
        self.call_count = 0  # AssumeRole calls this fetcher made

    def __repr__(self) -> str:
        return f"{type(self).__name__}(role_arn={self.config.role_arn!r}, cache={self.entry!r})"

    @property
    def current(self) -> AssumedCredentials | None:
        memo = self._memo
        return memo[0] if memo is not None else None

    def fetch(self) -> dict[str, str]:
        """botocore's ``refresh_using``: credentials with more than ``min_remaining`` left."""
        return self.fetch_credentials().to_botocore_metadata()

    def fetch_credentials(self) -> AssumedCredentials:
        memo = self._memo
        if memo is not None and _usable(*memo, self.min_remaining):
            return memo[0]
        with self._lock:
            memo = self._memo
            if memo is not None and _usable(*memo, self.min_remaining):
                return memo[0]
            entry = self.entry
            if entry is None:
                return self._remember(self._call(), _clock.wall())
            found = self._from_disk(entry)
            if found is not None:
                return found
            # The source may refresh (and sign in) here: outside the entry's lock.
            source = self.source.get_frozen_credentials()
            with self._entry_lock(entry):
                found = self._from_disk(entry)
                if found is not None:
                    return found
                creds = self._call(source)
                try:
                    entry.write(creds.to_cache_dict())
                except CacheFileError as exc:
                    logger.warning("Could not cache assumed-role credentials: %s", exc)
                return self._remember(creds, _clock.wall())

    def invalidate(self) -> None:
        """Forget this hop's credentials (memory and disk); the next fetch assumes the role."""
        with self._lock:
            self._memo = None
            if self.entry is not None:
                with self._entry_lock(self.entry):
                    self.entry.delete()

    # -- internals -----------------------------------------------------------------------

    def _entry_lock(self, entry: Record) -> AbstractContextManager[None]:
        return entry.lock(self._lock_timeout)

    def _remember(self, creds: AssumedCredentials, obtained_at: float) -> AssumedCredentials:
        self._memo = (creds, obtained_at)
        return creds

    def _from_disk(self, entry: Record) -> AssumedCredentials | None:
        data, version = entry.read_versioned()
        if data is None or version is None:
            return None
        try:
            creds = AssumedCredentials.from_response(data)
        except ValueError as exc:
            entry.quarantine(f"not usable assumed-role credentials: {exc}", version)
            return None
        obtained_at = _obtained_at(version)
        if not _usable(creds, obtained_at, self.min_remaining):
            return None
        logger.debug("Using cached assumed-role credentials from %s", entry.label)
        return self._remember(creds, obtained_at)

    def _call(self, source: Any = None) -> AssumedCredentials:
        frozen: Any = source if source is not None else self.source.get_frozen_credentials()
        kwargs = dict(self._kwargs, RoleSessionName=self.session_name)
        if self.config.mfa_serial is not None:
            kwargs["TokenCode"] = self._mfa_code(self.config.mfa_serial)
        client = sts_client(
            self.region,
            Credentials(frozen.access_key, frozen.secret_key, frozen.token),
            endpoint_url=self._endpoint_url,
            http=self._http,
        )
        try:
            response = client.assume_role(**kwargs)
        except ClientError as exc:
            message = error_message(exc) or f"{error_code(exc)} (no reason given)"
            raise AssumeRoleError(
                f"STS refused: {message}; check the role's trust policy, external_id, MFA and "
                "duration_seconds (at most 3600 when chaining roles)",
                role_arn=self.config.role_arn,
                status_code=status_code(exc),
                error_code=error_code(exc),
            ) from exc
        except BotoCoreError as exc:
            raise AssumeRoleError(
                f"the call failed before STS answered ({type(exc).__name__}: {exc})",
                role_arn=self.config.role_arn,
                error_code=type(exc).__name__,
            ) from exc
        finally:
            client.close()
        try:
            creds = AssumedCredentials.from_response(dict(response))
        except ValueError as exc:
            raise AssumeRoleError(
                f"the AssumeRole response is malformed ({exc})", role_arn=self.config.role_arn
            ) from exc
        self.call_count += 1
        logger.info(
            "Assumed role %s; credentials valid until %s",
            self.config.role_arn,
            creds.expiration.isoformat(),
        )
        return creds

    def _mfa_code(self, serial: str) -> str:
        if self._mfa is None:
            raise AssumeRoleError(
                f"the hop has mfa_serial {serial!r} but no mfa_token_provider; pass one "
                "(a callable, an argv list or a code)",
                role_arn=self.config.role_arn,
            )
        try:
            return self._mfa.get_code(serial)
        except MfaCodeError as exc:
            raise AssumeRoleError(str(exc), role_arn=self.config.role_arn) from exc


def _obtained_at(version: FileVersion) -> float:
    return _clock.from_system_time(version.written_at)


def refreshable(fetch: Fetch, advisory: float, mandatory: float) -> DeferredRefreshableCredentials:
    """botocore refreshable credentials over ``fetch`` with the session's windows."""
    return _botocore.deferred_credentials(fetch, METHOD, advisory, mandatory)


class RoleChain:
    """The SSO role credentials (``base``) followed by one or more AssumeRole hops.

    ``cache_dir``, ``use_cache`` and ``credential_cache`` say where each hop caches its
    credentials (see :class:`AssumeRoleFetcher`).
    """

    def __init__(
        self,
        base: Fetch,
        hops: Sequence[AssumeRoleConfig],
        *,
        region: str,
        advisory_timeout: float,
        mandatory_timeout: float,
        sts_endpoint_url: str | None = None,
        http: HttpConfig = DEFAULT_HTTP,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        credential_cache: MutableMapping[str, Any] | None = None,
    ) -> None:
        if not hops:
            raise ValueError("RoleChain needs at least one hop")
        self.hops: tuple[AssumeRoleConfig, ...] = tuple(hops)
        self.base_credentials = refreshable(base, advisory_timeout, mandatory_timeout)
        source: Credentials = self.base_credentials
        self.fetchers: list[AssumeRoleFetcher] = []
        for config in self.hops:
            fetcher = AssumeRoleFetcher(
                source,
                config,
                region=region,
                sts_endpoint_url=sts_endpoint_url,
                http=http,
                cache_dir=cache_dir,
                use_cache=use_cache,
                min_remaining=advisory_timeout,
                credential_cache=credential_cache,
            )
            self.fetchers.append(fetcher)
            source = refreshable(fetcher.fetch, advisory_timeout, mandatory_timeout)
        self.final = self.fetchers[-1]

    def fetch(self) -> dict[str, str]:
        """The final hop's credentials (refreshing earlier hops only where they are due)."""
        return self.final.fetch()

    def invalidate(self) -> None:
        self.final.invalidate()

    @property
    def role_arn(self) -> str:
        return self.final.config.role_arn

    def __repr__(self) -> str:
        return f"RoleChain({[h.role_arn for h in self.hops]!r})"


__all__ = [
    "AssumeRoleFetcher",
    "AssumedCredentials",
    "RoleChain",
    "assume_role_kwargs",
    "cache_key",
    "cache_path",
]
