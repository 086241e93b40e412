"""``AioSSORefreshableSession``: an aiobotocore session whose SSO role credentials never go stale.

The asyncio front door of the session core (``_session_core``): the same arguments, validation,
wiring, token provider, role-credential fetcher, AssumeRole chain, sign-in watch, shared caches
and cross-process locks as :class:`~refreshable_sso.session.SSORefreshableSession`. Only the
I/O differs: clients are aiobotocore's, methods that call AWS are awaited, and everything
blocking (file locks, cache files, the SSO, SSO-OIDC and STS calls of the fetcher and the
AssumeRole hops) runs in a worker thread, so the event loop never waits on it.

Nothing binds to the first event loop it meets: the refresh lock works across loops, and the
client cache keeps one client per loop. It can be handed to ``aioboto3.Session(botocore_session=)``
and ``s3fs.S3FileSystem(session=)`` as is.

What the sync session has and this one has not, and why (``tests/aio/test_parity.py`` holds the
list): ``botocore_session=`` (this object *is* the aiobotocore session; pass it where one is
wanted), and resources (aiobotocore has none: ``resource()`` raises, naming aioboto3).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterator,
)
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from aiobotocore.session import AioSession  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso import discovery
from refreshable_sso.aio._lock import AnyLoopLock
from refreshable_sso.aio.clients import AioClientCache
from refreshable_sso.aio.credentials import AioSSOCredentials
from refreshable_sso.aio.expired_token import AioExpiredTokenHook
from refreshable_sso.aws import _botocore
from refreshable_sso.aws.clients import error_code, error_message, status_code
from refreshable_sso.discovery import AccountInfo, RoleInfo
from refreshable_sso.errors import ConfigurationError, IdentityError
from refreshable_sso.identity import Identity, parse_identity
from refreshable_sso.session._core import SessionCore, TemporaryCredentials, snapshot
from refreshable_sso.session.client_cache import CacheInfo

if TYPE_CHECKING:
    from refreshable_sso.serving.container import ContainerCredentialServer

logger = logging.getLogger(__name__)

Item = TypeVar("Item")

_DONE: Any = object()

#: Why ``resource()`` cannot exist here (the parity test checks it is raised).
NO_RESOURCES = (
    "aiobotocore has no resources (boto3's resource layer is sync-only); use aioboto3, which "
    "builds them on this session: aioboto3.Session(botocore_session=session).resource(...)"
)


async def _iterate_in_thread(make: Callable[[], Iterator[Item]]) -> AsyncIterator[Item]:
    """A sync iterator (blocking HTTP per page) consumed from a worker thread, item by item."""
    iterator = await asyncio.to_thread(make)
    while True:
        item = await asyncio.to_thread(next, iterator, _DONE)
        if item is _DONE:
            return
        yield item


class AioSSORefreshableSession(SessionCore, AioSession):  # type: ignore[misc]
    """An aiobotocore session for one IAM Identity Center account and role.

    ``create_client(...)`` works as in aiobotocore (``async with session.create_client("s3")
    as s3``); ``await session.client(...)`` returns a cached client that stays open until
    ``await session.close()`` (or the end of ``async with session``). Role credentials are
    fetched on first use (``defer_refresh=False`` fetches them on ``async with`` entry instead:
    a constructor cannot await). Every method that calls AWS is a coroutine here
    (``await session.whoami()``, ``await session.credentials``); the rest is as in
    ``SSORefreshableSession``.

    The constructor is the sync session's (``SessionCore.__init__``, documented once there),
    except that ``botocore_session`` is refused: this object *is* the aiobotocore session.
    """

    _front_door_name = "AioSSORefreshableSession"

    def _refuse_for_this_door(self, *, botocore_session: Any) -> None:
        if botocore_session is not None:
            raise ConfigurationError(
                "botocore_session: not accepted by AioSSORefreshableSession, which is itself the "
                "aiobotocore session; pass it where a botocore_session/session is wanted",
                ["botocore_session: not accepted (the session is the aiobotocore session)"],
            )

    def _open(
        self, *, region_name: str | None, profile_name: str | None, botocore_session: Any
    ) -> None:
        """Initialise the aiobotocore session, then the credentials every client of it reads."""
        AioSession.__init__(self, profile=profile_name)
        if region_name is not None:
            self.set_config_variable("region", region_name)
        self._wire()
        self._identity_lookup_async = AnyLoopLock()
        self._client_cache = AioClientCache(self._session_config.cache)
        self._sts_config = self._http.botocore_config(unsigned=False)
        self._role_credentials = AioSSOCredentials(
            self._fetch_role_credentials,  # the core's blocking fetch, run in a worker thread
            advisory_timeout=self._session_config.refresh.advisory_timeout,
            mandatory_timeout=self._session_config.refresh.mandatory_timeout,
        )
        # aiobotocore's get_credentials() and every client of this session read this object.
        _botocore.set_session_credentials(self, self._role_credentials)
        # A server's ExpiredToken / InvalidClientTokenId: one forced refresh per generation.
        self._expired_token_hook = AioExpiredTokenHook(
            self._current_access_key, self.refresh_credentials
        )
        self._expired_token_hook.register(self, f"refreshable-sso-aio-{id(self)}")

    # -- the core's hooks -----------------------------------------------------------------------

    def _session_region(self) -> str | None:
        return self.region_name

    @property
    def region_name(self) -> str | None:
        """The region of the session's clients (None: aiobotocore's usual resolution)."""
        region: str | None = self.get_config_variable("region")
        return region

    async def _current_access_key(self) -> str | None:
        frozen = await self._role_credentials.get_frozen_credentials()
        key: str | None = frozen.access_key
        return key

    # -- credentials --------------------------------------------------------------------------

    async def refreshable_credentials(self) -> TemporaryCredentials:
        """The current role credentials (refreshed first if due) with their expiry."""
        frozen = await self._role_credentials.get_frozen_credentials()
        return snapshot(frozen, _botocore.expiry_time(self._role_credentials))

    @property
    def credentials(self) -> Coroutine[Any, Any, TemporaryCredentials]:
        """``await session.credentials``: alias of ``await refreshable_credentials()``."""
        return self.refreshable_credentials()

    @property
    def credentials_expiration(self) -> datetime | None:
        """When the current role credentials expire (None before the first fetch)."""
        return _botocore.expiry_time(self._role_credentials)

    @property
    def expiration_time(self) -> datetime | None:
        """Alias of ``credentials_expiration``."""
        return self.credentials_expiration

    @property
    def needs_refresh(self) -> bool:
        """True when the credentials are inside the advisory window (or not fetched yet)."""
        needed: bool = self._role_credentials.refresh_needed()
        return needed

    async def ensure_valid_credentials(self) -> TemporaryCredentials:
        """Refresh now if inside the advisory window; raise if that refresh fails.

        Unlike an ordinary call (which tolerates a failed advisory refresh), this raises
        ``LoginRequiredError`` / ``CredentialRefreshError`` so a caller can act before the
        credentials actually run out.
        """
        await _botocore.refresh_now_async(self._role_credentials, only_if_needed=True)
        return await self.refreshable_credentials()

    async def refresh_credentials(self, force: bool = True) -> TemporaryCredentials:
        """Get new role credentials now (``force``: even if the current ones are fresh)."""
        if not force:
            return await self.ensure_valid_credentials()

        async def forget() -> None:
            await asyncio.to_thread(self._forget_credentials)

        await _botocore.refresh_now_async(self._role_credentials, before=forget)
        return await self.refreshable_credentials()

    # -- identity -----------------------------------------------------------------------------

    async def get_identity(self) -> Identity:
        """``sts:GetCallerIdentity`` through a cached async client, names parsed.

        The answer is also remembered (with the access key it was learned for) for
        ``credentials_role_arn()``.
        """
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
                f"{error_message(exc) or ''}".rstrip(": ")
            ) from exc
        except BotoCoreError as exc:
            raise IdentityError(f"sts:GetCallerIdentity failed: {exc}") from exc
        identity = parse_identity(dict(response))
        self._remember_identity(await self._current_access_key(), identity)
        return identity

    async def whoami(self) -> Identity:
        """Alias of ``get_identity()``."""
        return await self.get_identity()

    async def credentials_role_arn(self) -> str | None:
        """The ARN of the IAM role the session's credentials act as; see
        ``SSORefreshableSession.credentials_role_arn`` (one ``sts:GetCallerIdentity`` per set
        of credentials at most, none with ``assume_role=``)."""
        if self._assume_role:
            return self._chained_role_arn()
        async with self._identity_lookup_async:  # concurrent tasks: one lookup
            access_key = await self._current_access_key()
            known, arn = self._remembered_role_arn(access_key)
            if known:
                return arn
            try:
                identity = await self.get_identity()
            except IdentityError as exc:
                self._identity_unknown(access_key, exc)
                return None
        return self._role_arn_of(identity)

    async def console_url(
        self, destination: str | None = None, duration: int | None = None, **options: Any
    ) -> str:
        """An AWS console sign-in URL as this role (the federation call runs in a worker
        thread; see ``SSORefreshableSession.console_url``). The URL is a credential: do not
        log it."""
        from refreshable_sso import console

        options.setdefault("endpoint", self._session_config.endpoints.federation)
        options.setdefault("timeout", self._http.read_timeout)
        credentials = (await self.ensure_valid_credentials()).as_dict()
        url: str = await asyncio.to_thread(
            console.console_url,
            credentials,
            self.region_name or self._session_config.sso.sso_region,
            destination=destination,
            duration=duration,
            **options,
        )
        return url

    # -- clients and discovery ----------------------------------------------------------------

    async def client(self, service_name: Any, *args: Any, **kwargs: Any) -> Any:
        """A cached async client (one per arguments and event loop), open until ``close()``."""
        return await self._client_cache.client(
            self.create_client, self.region_name, service_name, *args, **kwargs
        )

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        """Not available: aiobotocore has no resources. Raises ``NotImplementedError`` naming
        aioboto3, which builds async resources on this session."""
        raise NotImplementedError(NO_RESOURCES)

    def cache_info(self) -> CacheInfo:
        """Hits, misses, evictions, size, max size and policy of the client cache."""
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

    # -- serving other processes ----------------------------------------------------------------

    def serve_container_credentials(
        self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None
    ) -> ContainerCredentialServer:
        """A container-credentials endpoint for this session (use it as a context manager).

        The server answers from its own thread, where each request awaits this session's
        credentials on a short-lived event loop (the refresh lock works across loops), so
        the caller's loop is never blocked. See ``serving/container.py``.
        """
        from refreshable_sso.serving.container import ContainerCredentialServer

        return ContainerCredentialServer(_ServedFromThread(self), host=host, port=port, token=token)

    # -- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close this event loop's cached clients (the credentials stay usable)."""
        await self.clear_cache()
        self._sign_in_watch.stop()

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

    def __repr__(self) -> str:
        return self._describe(self.credentials_expiration)


class _ServedFromThread:
    """The container server's view of an async session (``serving.source.ServedSession``):
    blocking calls from the server's thread, each run to completion on its own event loop."""

    def __init__(self, session: AioSSORefreshableSession) -> None:
        self._session = session

    def ensure_valid_credentials(self) -> TemporaryCredentials:
        return asyncio.run(self._session.ensure_valid_credentials())

    @property
    def credentials_account_id(self) -> str:
        return self._session.credentials_account_id

    def credentials_role_arn(self) -> str | None:
        return asyncio.run(self._role_arn())

    async def _role_arn(self) -> str | None:
        try:
            return await self._session.credentials_role_arn()
        finally:  # the STS client belongs to this short-lived loop: close it with the loop
            await self._session.clear_cache()


__all__ = ["NO_RESOURCES", "AioSSORefreshableSession"]
