"""``SSORefreshableSession``: a ``boto3.Session`` whose SSO role credentials never go stale.

The sync front door of the session core (``_session_core``: arguments, validation, wiring,
AssumeRole chain, sign-in watch, pickling). What is here is what blocks: botocore's
``RefreshableCredentials`` decides *when* to call the role-credential fetcher (advisory and
mandatory windows, one refresher at a time) and sits on the botocore session, so
``get_credentials()`` and every client and resource made by the session use it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
from botocore.credentials import RefreshableCredentials

from refreshable_sso.aws import _botocore
from refreshable_sso.aws import loader as shared_loader
from refreshable_sso.aws.fast_credentials import (
    FastDeferredRefreshableCredentials,
    FastRefreshableCredentials,
)
from refreshable_sso.errors import IdentityError
from refreshable_sso.expired_token import ExpiredTokenHook
from refreshable_sso.identity import Identity, get_caller_identity
from refreshable_sso.session._core import (
    CREDENTIAL_METHOD,
    SessionCore,
    TemporaryCredentials,
    snapshot,
)
from refreshable_sso.session.client_cache import CacheInfo, ClientCache

if TYPE_CHECKING:
    from refreshable_sso.discovery import AccountInfo, RoleInfo
    from refreshable_sso.serving.container import ContainerCredentialServer

logger = logging.getLogger("refreshable_sso.session")  # the name it always had


class SSORefreshableSession(SessionCore, boto3.Session):
    """A boto3 session for one IAM Identity Center account and role, refreshed for as long as the sign-in lasts.

    The constructor (shared with ``AioSSORefreshableSession``, and documented once, in its
    Args) takes whose sign-in and which role, the region, three shortcuts (``login``,
    ``token_provider``, ``assume_role``) and the configuration objects of
    ``refreshable_sso.config`` (``sso=``, ``refresh=``, ``endpoints=``, ``http=``,
    ``client_cache=``, ``storage=``) and ``login_options=`` (a ``LoginOptions``), each also as a
    dict. The flat keywords of earlier releases (``advisory_timeout=``, ``token_cache_dir=``,
    ...) still work and win over the same field in an object. Invalid values raise one
    ``ConfigurationError`` listing every bad field.
    """

    def _open(
        self, *, region_name: str | None, profile_name: str | None, botocore_session: Any
    ) -> None:
        """Initialise the boto3 session, then the credentials every client of it reads."""
        if botocore_session is None:  # ours share the process-wide loader; a caller's is kept as is
            botocore_session = shared_loader.botocore_session(profile_name)
        boto3.Session.__init__(
            self,
            region_name=region_name,
            botocore_session=botocore_session,
            profile_name=profile_name,
        )
        self._config = self._session_config  # the name this class always had for it
        self._wire()
        self._client_cache = ClientCache(self._session_config.cache)
        # Read once: the hot path of a cached client() must not look the region up every call.
        self._default_region: str | None = self.region_name
        self._create_client = super().client
        self._create_resource = super().resource
        self._role_credentials = self._build_credentials()
        # Every client, resource and get_credentials() of this session reads this object.
        core: Any = _botocore.core_session(self)
        _botocore.set_session_credentials(core, self._role_credentials)
        # A server's ExpiredToken / InvalidClientTokenId: one forced refresh per generation.
        self._expired_token_hook = ExpiredTokenHook(
            self._current_access_key, self.refresh_credentials
        )
        self._expired_token_hook.register(core, f"refreshable-sso-{id(self)}")

    # -- the core's hooks -----------------------------------------------------------------------

    def _session_region(self) -> str | None:
        return self.region_name

    def _sibling_options(self) -> dict[str, Any]:
        # the same data loader (parsed models, endpoint rules) as this session: no re-parse
        return {
            "botocore_session": shared_loader.botocore_session(
                loader=shared_loader.data_loader(self)
            )
        }

    def _current_access_key(self) -> str | None:
        key: str | None = self._role_credentials.get_frozen_credentials().access_key
        return key

    def _build_credentials(self) -> RefreshableCredentials:
        """botocore's refreshable credentials with a lock-free fast path (see fast_credentials)."""
        refresh = self._session_config.refresh
        credentials: RefreshableCredentials
        if refresh.defer_refresh:
            credentials = FastDeferredRefreshableCredentials(
                refresh_using=self._fetch_role_credentials, method=CREDENTIAL_METHOD
            )
        else:
            credentials = FastRefreshableCredentials.create_from_metadata(
                self._fetch_role_credentials(),
                refresh_using=self._fetch_role_credentials,
                method=CREDENTIAL_METHOD,
            )
        # Set on the instance in both modes: DeferredRefreshableCredentials takes no timeouts.
        _botocore.set_refresh_windows(
            credentials, refresh.advisory_timeout, refresh.mandatory_timeout
        )
        return credentials

    # -- credentials --------------------------------------------------------------------------

    def refreshable_credentials(self) -> TemporaryCredentials:
        """The current role credentials (refreshed first if due) with their expiry."""
        return snapshot(*_botocore.frozen_with_expiry(self._role_credentials))

    @property
    def credentials(self) -> TemporaryCredentials:
        """Alias of ``refreshable_credentials()``."""
        return self.refreshable_credentials()

    @property
    def credentials_expiration(self) -> datetime | None:
        """When the current role credentials expire (None before the first fetch when deferred)."""
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

    def ensure_valid_credentials(self) -> TemporaryCredentials:
        """Refresh now if inside the advisory window; raise if that refresh fails.

        Unlike an ordinary call (which tolerates a failed advisory refresh), this raises
        ``LoginRequiredError`` / ``CredentialRefreshError`` so a caller can act before the
        credentials actually run out.
        """
        # botocore's own lock and refresh step, run as a mandatory refresh so failures raise.
        _botocore.refresh_now(self._role_credentials, only_if_needed=True)
        return self.refreshable_credentials()

    def refresh_credentials(self, force: bool = True) -> TemporaryCredentials:
        """Get new role credentials now (``force``: even if the current ones are fresh)."""
        if not force:
            return self.ensure_valid_credentials()
        _botocore.refresh_now(self._role_credentials, before=self._forget_credentials)
        return self.refreshable_credentials()

    # -- identity -----------------------------------------------------------------------------

    def get_identity(self) -> Identity:
        """``sts:GetCallerIdentity`` signed with this session's role credentials, names parsed.

        The answer is also remembered (with the access key it was learned for) for
        ``credentials_role_arn()``.
        """
        identity = get_caller_identity(
            self._role_credentials,
            region=self.region_name or self._session_config.sso.sso_region,
            endpoint_url=self._session_config.endpoints.sts,
            http=self._http,
            expired_token_hook=self._expired_token_hook,
        )
        self._remember_identity(self._current_access_key(), identity)
        return identity

    def whoami(self) -> Identity:
        """Alias of ``get_identity()``."""
        return self.get_identity()

    def credentials_role_arn(self) -> str | None:
        """The ARN of the IAM role the session's credentials act as (``RoleArn`` to processes
        we serve).

        With ``assume_role=``, the last hop's ``role_arn``, no call needed. For the SSO role,
        the IAM role IAM Identity Center provisioned for the permission set
        (``arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/[REGION/]AWSReservedSSO_NAME_HASH``,
        see ``identity.iam_role_arn``): its name and hash are known only from
        ``sts:GetCallerIdentity``, so the identity ``whoami()`` learned is used, or one call is
        made, signed with these credentials and remembered until they are refreshed. None
        (logged as a warning, once per set of credentials) when STS cannot say.
        """
        if self._assume_role:
            return self._chained_role_arn()
        with self._identity_lookup:  # concurrent requests: one lookup, the others reuse it
            access_key = self._current_access_key()
            known, arn = self._remembered_role_arn(access_key)
            if known:
                return arn
            try:
                identity = self.get_identity()
            except IdentityError as exc:
                self._identity_unknown(access_key, exc)
                return None
        return self._role_arn_of(identity)

    def console_url(
        self, destination: str | None = None, duration: int | None = None, **options: Any
    ) -> str:
        """An AWS console sign-in URL as this role (see ``refreshable_sso.console.console_url``;
        ``endpoints.federation`` is honoured). The URL is a credential: do not log it."""
        from refreshable_sso import console

        options.setdefault("endpoint", self._session_config.endpoints.federation)
        options.setdefault("timeout", self._http.read_timeout)
        return console.console_url(
            self.ensure_valid_credentials().as_dict(),
            self.region_name or self._session_config.sso.sso_region,
            destination=destination,
            duration=duration,
            **options,
        )

    # -- clients and discovery ----------------------------------------------------------------

    def client(self, service_name: Any, *args: Any, **kwargs: Any) -> Any:
        """A (cached) client signed with the session's refreshable role credentials."""
        if not args and not kwargs:  # client("s3"): the hot path, one dict lookup
            try:
                cached = self._client_cache.hit(service_name, self._default_region)
            except TypeError:  # an unhashable service name: boto3 says what is wrong below
                cached = None
            if cached is not None:
                return cached
        return self._client_cache.client(
            self._create_client, self._default_region, service_name, *args, **kwargs
        )

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        """A (cached) resource signed with the session's refreshable role credentials."""
        return self._client_cache.resource(
            self._create_resource, self._default_region, *args, **kwargs
        )

    def cache_info(self) -> CacheInfo:
        """Hits, misses, evictions, size, max size and policy of the client cache."""
        return self._client_cache.info()

    def clear_cache(self) -> None:
        """Drop (and close) every cached client and resource."""
        self._client_cache.clear()

    def list_accounts(self) -> Iterator[AccountInfo]:
        """Accounts the signed-in user can reach."""
        from refreshable_sso import discovery

        accounts: Iterator[AccountInfo] = discovery.list_accounts(
            self._token_provider,
            self._session_config.sso.sso_region,
            sso_endpoint_url=self._session_config.endpoints.sso,
            http=self._http,
        )
        return accounts

    def list_roles(self, account_id: str | None = None) -> Iterator[RoleInfo]:
        """Roles in one account, or in every reachable account when ``account_id`` is None."""
        from refreshable_sso import discovery

        roles: Iterator[RoleInfo] = discovery.list_roles(
            self._token_provider,
            self._session_config.sso.sso_region,
            account_id,
            sso_endpoint_url=self._session_config.endpoints.sso,
            http=self._http,
        )
        return roles

    # -- serving other processes ----------------------------------------------------------------

    def serve_container_credentials(
        self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None
    ) -> ContainerCredentialServer:
        """A container-credentials endpoint for this session (use it as a context manager).

        Any AWS SDK in another process with ``server.env()`` in its environment gets this
        session's refreshed credentials from it. See ``serving/container.py``.
        """
        from refreshable_sso.serving.container import ContainerCredentialServer

        return ContainerCredentialServer(self, host=host, port=port, token=token)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the session's cached clients (the credentials stay usable)."""
        self.clear_cache()
        self._sign_in_watch.stop()

    def __enter__(self) -> SSORefreshableSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._describe(self.credentials_expiration)


__all__ = ["CREDENTIAL_METHOD", "SSORefreshableSession", "TemporaryCredentials"]
