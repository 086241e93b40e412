"""``AioSSORefreshableSession``: an aiobotocore session whose SSO role credentials never go stale.

Configured exactly like :class:`~refreshable_sso.session.SSORefreshableSession` (the same
keyword arguments, pydantic models and validation) and wired to the same token provider,
role-credential fetcher, shared caches and cross-process locks. Only the I/O differs: clients
are aiobotocore's, and everything blocking (file locks, cache files, the SSO and SSO-OIDC
calls) runs in a worker thread, so the event loop never waits on it.

Nothing binds to the first event loop it meets: the refresh lock works across loops, and the
client cache keeps one client per loop. It can be handed to ``aioboto3.Session(botocore_session=)``
and ``s3fs.S3FileSystem(session=)`` as is.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiobotocore.session import AioSession  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso import _botocore, _clock, _pickling, _redact, _wiring, discovery
from refreshable_sso._aws import HttpSettings, error_code, status_code
from refreshable_sso.aio.clients import AioClientCache
from refreshable_sso.aio.credentials import AioSSOCredentials
from refreshable_sso.aio.expired_token import AioExpiredTokenHook
from refreshable_sso.clients import CacheInfo
from refreshable_sso.config import (
    CacheConfig,
    EndpointConfig,
    HttpConfig,
    RefreshConfig,
    SessionConfig,
    SSOConfig,
    validate,
    validate_session_config,
)
from refreshable_sso.credentials import RoleCredentialFetcher
from refreshable_sso.discovery import AccountInfo, RoleInfo
from refreshable_sso.errors import ConfigurationError, IdentityError, LoginRequiredError
from refreshable_sso.identity import Identity, parse_identity
from refreshable_sso.profiles import load_sso_profile
from refreshable_sso.session import (
    TemporaryCredentials,
    _cache_section,
    _provider_problems,
    _refuse_unexpected,
)
from refreshable_sso.tokens import policy
from refreshable_sso.tokens.base import TokenProvider

logger = logging.getLogger(__name__)

Item = TypeVar("Item")

_DONE: Any = object()


async def _iterate_in_thread(make: Callable[[], Iterator[Item]]) -> AsyncIterator[Item]:
    """A sync iterator (blocking HTTP per page) consumed from a worker thread, item by item."""
    iterator = await asyncio.to_thread(make)
    while True:
        item = await asyncio.to_thread(next, iterator, _DONE)
        if item is _DONE:
            return
        yield item


class AioSSORefreshableSession(AioSession):  # type: ignore[misc]
    """An aiobotocore session for one IAM Identity Center account and role.

    ``create_client(...)`` works as in aiobotocore (``async with session.create_client("s3")
    as s3``); ``await session.client(...)`` returns a cached client that stays open until
    ``await session.close()`` (or the end of ``async with session``). Role credentials are
    fetched on first use (``defer_refresh=False`` fetches them on ``async with`` entry instead:
    a constructor cannot await).
    """

    def __init__(
        self,
        *,
        start_url: str | None = None,
        sso_region: str | None = None,
        account_id: str | None = None,
        role_name: str | None = None,
        region_name: str | None = None,
        sso_session_name: str | None = None,
        registration_scopes: tuple[str, ...] | list[str] | None = None,
        token_provider: TokenProvider | None = None,
        defer_refresh: bool | None = None,
        advisory_timeout: float | None = None,
        mandatory_timeout: float | None = None,
        token_refresh_window: float | None = None,
        sso: SSOConfig | Mapping[str, Any] | None = None,
        refresh: RefreshConfig | Mapping[str, Any] | None = None,
        endpoints: EndpointConfig | Mapping[str, Any] | None = None,
        http: HttpConfig | Mapping[str, Any] | None = None,
        client_cache: CacheConfig | Mapping[str, Any] | bool | None = None,
        eviction_policy: str | None = None,
        max_size: int | None = None,
        cache_credentials: bool = True,
        token_cache_dir: str | Path | None = None,
        credential_cache_dir: str | Path | None = None,
        login: str | None = None,
        login_flow: str | None = None,
        login_provider: TokenProvider | None = None,
        on_login: Callable[..., Any] | None = None,
        profile_name: str | None = None,
        **unexpected: Any,
    ) -> None:
        if "botocore_session" in unexpected:
            raise ConfigurationError(
                "botocore_session: not accepted by AioSSORefreshableSession, which is itself the "
                "aiobotocore session; pass it where a botocore_session/session is wanted",
                ["botocore_session: not accepted (the session is the aiobotocore session)"],
            )
        _refuse_unexpected(unexpected)
        self._given = _pickling.GivenProviders(token_provider, login_provider, on_login, login)
        if login is None:
            login = policy.default_login_policy()
        config = validate_session_config(
            sso=sso,
            refresh=refresh,
            endpoints=endpoints,
            cache=_cache_section(client_cache),
            http=http,
            login=login,
            login_flow=login_flow,
            overrides={
                "sso": {
                    "start_url": start_url,
                    "sso_region": sso_region,
                    "account_id": account_id,
                    "role_name": role_name,
                    "sso_session_name": sso_session_name,
                    "registration_scopes": registration_scopes,
                },
                "refresh": {
                    "defer_refresh": defer_refresh,
                    "advisory_timeout": advisory_timeout,
                    "mandatory_timeout": mandatory_timeout,
                    "token_refresh_window": token_refresh_window,
                },
                "cache": {"eviction_policy": eviction_policy, "max_size": max_size},
            },
            extra_problems=_provider_problems(token_provider, login_provider, login),
        )
        super().__init__(profile=profile_name)
        if region_name is not None:
            self.set_config_variable("region", region_name)
        _redact.install()
        self._session_config: SessionConfig = config
        self._http: HttpSettings = config.http.to_settings()
        self._cache_credentials = cache_credentials
        self._token_cache_dir = Path(token_cache_dir) if token_cache_dir is not None else None
        self._credential_cache_dir = (
            Path(credential_cache_dir) if credential_cache_dir is not None else None
        )
        self._login_profile = profile_name
        self._state_lock = threading.Lock()
        self._last_refresh: datetime | None = None
        self._refresh_count = 0
        self._token_provider = self._build_token_provider(token_provider, login_provider, on_login)
        self._fetcher = self._build_fetcher()
        self._client_cache = AioClientCache(config.cache)
        self._sts_config = self._http.botocore_config(unsigned=False)
        self._role_credentials = AioSSOCredentials(
            self._fetch_role_credentials,
            advisory_timeout=config.refresh.advisory_timeout,
            mandatory_timeout=config.refresh.mandatory_timeout,
        )
        # aiobotocore's get_credentials() and every client of this session read this object.
        _botocore.set_session_credentials(self, self._role_credentials)
        # A server's ExpiredToken / InvalidClientTokenId: one forced refresh per generation.
        self._expired_token_hook = AioExpiredTokenHook(
            self._current_access_key, self.refresh_credentials
        )
        self._expired_token_hook.register(self, f"refreshable-sso-aio-{id(self)}")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_profile(cls, profile_name: str, **kwargs: Any) -> AioSSORefreshableSession:
        """A session for an SSO profile of ``~/.aws/config`` (reads the file once, here)."""
        profile = load_sso_profile(profile_name)
        for key, value in profile.sso_fields().items():
            kwargs.setdefault(key, value)
        if profile.region and kwargs.get("region_name") is None:
            kwargs["region_name"] = profile.region
        kwargs.setdefault("profile_name", profile_name)
        return cls(**kwargs)

    def for_role(
        self, account_id: str, role_name: str, *, region_name: str | None = None
    ) -> AioSSORefreshableSession:
        """A sibling session for another account/role of the same sign-in (same token cache)."""
        sso = validate(SSOConfig, self.sso_config, account_id=account_id, role_name=role_name)
        return type(self)(
            sso=sso,
            refresh=self._session_config.refresh,
            endpoints=self._session_config.endpoints,
            http=self._session_config.http,
            client_cache=self._session_config.cache,
            # What the caller gave, not the built provider: the sibling shares the sign-in
            # through the token cache file (and stays picklable).
            token_provider=self._given.token_provider,
            login_provider=self._given.login_provider,
            on_login=self._given.on_login,
            login=self._given.login,
            login_flow=self._session_config.login_flow,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
            region_name=region_name or self.region_name,
        )

    def _build_token_provider(
        self,
        given: TokenProvider | None,
        login_provider: TokenProvider | None,
        on_login: Callable[..., Any] | None,
    ) -> TokenProvider:
        return _wiring.build_token_provider(
            self._session_config,
            self._http,
            given=given,
            login_provider=login_provider,
            on_login=on_login,
            token_cache_dir=self._token_cache_dir,
        ).provider

    def _build_fetcher(self) -> RoleCredentialFetcher:
        return _wiring.build_role_fetcher(
            self._session_config,
            self._token_provider,
            self._http,
            cache_credentials=self._cache_credentials,
            credential_cache_dir=self._credential_cache_dir,
        )

    def _fetch_role_credentials(self) -> dict[str, str]:
        """Runs in a worker thread: one GetRoleCredentials (or a fresh shared-cache hit)."""
        sso = self._session_config.sso
        try:
            metadata: dict[str, str] = self._fetcher.fetch()
        except LoginRequiredError as exc:
            named = _wiring.naming_the_profile(exc, sso, self._login_profile)
            if named is exc:
                raise
            raise named from exc
        with self._state_lock:
            self._last_refresh = _clock.now()
            self._refresh_count += 1
        return metadata

    # -- configuration ------------------------------------------------------------------------

    @property
    def sso_config(self) -> SSOConfig:
        return self._session_config.sso

    @property
    def refresh_config(self) -> RefreshConfig:
        return self._session_config.refresh

    @property
    def endpoint_config(self) -> EndpointConfig:
        return self._session_config.endpoints

    @property
    def http_config(self) -> HttpConfig:
        return self._session_config.http

    @property
    def token_provider(self) -> TokenProvider:
        return self._token_provider

    @property
    def region_name(self) -> str | None:
        region: str | None = self.get_config_variable("region")
        return region

    # -- credentials --------------------------------------------------------------------------

    async def refreshable_credentials(self) -> TemporaryCredentials:
        """The current role credentials (refreshed first if due) with their expiry."""
        frozen = await self._role_credentials.get_frozen_credentials()
        expiry = _botocore.expiry_time(self._role_credentials)
        return TemporaryCredentials(
            str(frozen.access_key), str(frozen.secret_key), str(frozen.token or ""), expiry
        )

    async def _current_access_key(self) -> str | None:
        frozen = await self._role_credentials.get_frozen_credentials()
        key: str | None = frozen.access_key
        return key

    async def refresh_credentials(self) -> TemporaryCredentials:
        """Get new role credentials now, even if the current ones are fresh."""

        async def forget() -> None:
            await asyncio.to_thread(self._fetcher.invalidate)

        await _botocore.refresh_now_async(self._role_credentials, before=forget)
        return await self.refreshable_credentials()

    @property
    def credentials_expiration(self) -> datetime | None:
        return _botocore.expiry_time(self._role_credentials)

    @property
    def last_refresh_time(self) -> datetime | None:
        with self._state_lock:
            return self._last_refresh

    @property
    def refresh_count(self) -> int:
        with self._state_lock:
            return self._refresh_count

    # -- identity, clients, discovery -------------------------------------------------------------

    async def get_identity(self) -> Identity:
        """``sts:GetCallerIdentity`` through a cached async client, names parsed."""
        sts = await self.client(
            "sts",
            region_name=self.region_name or self._session_config.sso.sso_region,
            endpoint_url=self._session_config.endpoints.sts,
            config=self._sts_config,
        )
        try:
            response = await sts.get_caller_identity()
        except ClientError as exc:
            raise IdentityError(
                f"sts:GetCallerIdentity was refused (HTTP {status_code(exc)}, {error_code(exc)}): "
                f"{exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
            ) from exc
        except BotoCoreError as exc:
            raise IdentityError(f"sts:GetCallerIdentity failed: {exc}") from exc
        return parse_identity(dict(response))

    async def whoami(self) -> Identity:
        """Alias of ``get_identity()``."""
        return await self.get_identity()

    async def client(self, *args: Any, **kwargs: Any) -> Any:
        """A cached async client (one per arguments and event loop), open until ``close()``."""
        return await self._client_cache.client(
            self.create_client, self.region_name, *args, **kwargs
        )

    def cache_info(self) -> CacheInfo:
        return self._client_cache.info()

    async def clear_cache(self) -> None:
        """Close and drop the cached clients of the calling event loop."""
        await self._client_cache.clear()

    def list_accounts(self) -> AsyncIterator[AccountInfo]:
        """``async for account in session.list_accounts()``: accounts the user can reach."""
        return _iterate_in_thread(
            lambda: discovery.list_accounts(
                self._token_provider,
                self._session_config.sso.sso_region,
                sso_endpoint_url=self._session_config.endpoints.sso,
                http=self._http,
            )
        )

    def list_roles(self, account_id: str | None = None) -> AsyncIterator[RoleInfo]:
        """``async for role in session.list_roles()``: roles in one or every reachable account."""
        return _iterate_in_thread(
            lambda: discovery.list_roles(
                self._token_provider,
                self._session_config.sso.sso_region,
                account_id,
                sso_endpoint_url=self._session_config.endpoints.sso,
                http=self._http,
            )
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close this event loop's cached clients (the credentials stay usable)."""
        await self.clear_cache()

    async def __aenter__(self) -> AioSSORefreshableSession:
        if not self._session_config.refresh.defer_refresh:
            await self._role_credentials.get_frozen_credentials()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the configuration only (no token, credential, lock or client): see _pickling."""
        arguments = _pickling.session_arguments(
            self._session_config,
            self._given,
            region_name=self.region_name,
            profile_name=self._login_profile,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
        )
        return (_pickling.rebuild, (type(self), arguments))

    def __repr__(self) -> str:
        sso = self._session_config.sso
        expiry = self.credentials_expiration
        return (
            f"{type(self).__name__}(start_url={sso.start_url!r}, "
            f"sso_session_name={sso.sso_session_name!r}, sso_region={sso.sso_region!r}, "
            f"account_id={sso.account_id!r}, role_name={sso.role_name!r}, "
            f"region_name={self.region_name!r}, "
            f"credentials_expire={expiry.isoformat() if expiry else None!r})"
        )


__all__ = ["AioSSORefreshableSession"]
