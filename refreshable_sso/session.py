"""``SSORefreshableSession``: a ``boto3.Session`` whose SSO role credentials never go stale.

Wiring only. A token provider hands out access tokens; ``credentials.RoleCredentialFetcher``
turns one into role credentials with ``sso:GetRoleCredentials``; botocore's
``RefreshableCredentials`` decides *when* to call it (advisory and mandatory windows, one
refresher at a time). The credentials object sits on the botocore session, so
``get_credentials()`` and every client and resource made by the session use it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3
from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

from refreshable_sso import _pickling, _redact, discovery
from refreshable_sso.clients import CacheInfo, ClientCache
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
from refreshable_sso.credentials import RoleCredentialCache, RoleCredentialFetcher
from refreshable_sso.discovery import AccountInfo, RoleInfo
from refreshable_sso.errors import ConfigurationError, LoginRequiredError
from refreshable_sso.identity import Identity, get_caller_identity
from refreshable_sso.profiles import load_sso_profile
from refreshable_sso.tokens import policy
from refreshable_sso.tokens.base import TokenProvider, utcnow
from refreshable_sso.tokens.cached import CachedTokenProvider

if TYPE_CHECKING:
    from refreshable_sso._aws import HttpSettings

logger = logging.getLogger(__name__)

# The method name botocore's own SSO provider gives its credentials.
CREDENTIAL_METHOD = "sso"

# boto3.Session arguments that would put other credentials on the session.
_REFUSED_ARGUMENTS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_account_id",
)


def _mask(value: str | None, keep: int = 0) -> str:
    if not value:
        return "None"
    return (value[:keep] + "****") if keep else "****"


class TemporaryCredentials(NamedTuple):
    """A consistent snapshot of the role credentials and their expiry; ``repr`` masks the secrets."""

    access_key: str
    secret_key: str
    token: str
    expiry_time: datetime | None

    def __repr__(self) -> str:
        expiry = self.expiry_time.isoformat() if self.expiry_time else None
        return (
            f"TemporaryCredentials(access_key={_mask(self.access_key, 4)!r}, secret_key='****', "
            f"token='****', expiry_time={expiry!r})"
        )

    def __str__(self) -> str:
        return self.__repr__()

    def as_dict(self) -> dict[str, str]:
        """The botocore refresh-metadata shape (``expiry_time`` in ISO 8601): reveals secrets."""
        return {
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "token": self.token,
            "expiry_time": self.expiry_time.isoformat() if self.expiry_time else "",
        }


def _cache_section(
    client_cache: CacheConfig | Mapping[str, Any] | bool | None,
) -> CacheConfig | Mapping[str, Any] | None:
    if client_cache is True:
        return None
    if client_cache is False:
        return {"max_size": 0}
    return client_cache


class SSORefreshableSession(boto3.Session):
    """A boto3 session for one IAM Identity Center account and role, refreshed for as long as the sign-in lasts.

    Configuration may be given as plain keyword arguments, as the pydantic models of
    ``refreshable_sso.config`` (``sso=``, ``refresh=``, ``endpoints=``, ``http=``,
    ``client_cache=``) or as dicts; keyword arguments win. Invalid values raise one
    ``ConfigurationError`` listing every bad field.
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
        botocore_session: Any = None,
        **unexpected: Any,
    ) -> None:
        _refuse_unexpected(unexpected)
        self._given = _pickling.GivenProviders(token_provider, login_provider, on_login, login)
        if login is None:  # a person at a terminal can sign in; a service must not wait for one
            login = policy.default_login_policy()
        provider_problems = _provider_problems(token_provider, login_provider, login)
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
            extra_problems=provider_problems,
        )
        super().__init__(
            region_name=region_name, botocore_session=botocore_session, profile_name=profile_name
        )
        # Mask tokens and keys in botocore's DEBUG wire logs of every client this session makes.
        _redact.install()
        self._config: SessionConfig = config
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
        self._client_cache = self._build_client_cache()
        # Read once: the hot path of a cached client() must not look the region up every call.
        self._default_region: str | None = self.region_name
        self._create_client = super().client
        self._create_resource = super().resource
        self._role_credentials = self._build_credentials()
        # Every client, resource and get_credentials() of this session reads this object.
        core: Any = self._session
        core._credentials = self._role_credentials

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_profile(cls, profile_name: str, **kwargs: Any) -> SSORefreshableSession:
        """A session for an SSO profile of ``~/.aws/config`` (``sso_session`` or legacy style).

        Keyword arguments are passed on and win over the profile (e.g. ``advisory_timeout``).
        Raises ``ProfileError`` naming the profile and every missing key.
        """
        profile = load_sso_profile(profile_name)
        fields = profile.sso_fields()
        for key, value in fields.items():
            kwargs.setdefault(key, value)
        if profile.region and kwargs.get("region_name") is None:
            kwargs["region_name"] = profile.region
        kwargs.setdefault("profile_name", profile_name)
        return cls(**kwargs)

    def for_role(
        self, account_id: str, role_name: str, *, region_name: str | None = None
    ) -> SSORefreshableSession:
        """A sibling session for another account/role of the same sign-in (one token provider)."""
        sso = validate(SSOConfig, self.sso_config, account_id=account_id, role_name=role_name)
        return type(self)(
            sso=sso,
            refresh=self._config.refresh,
            endpoints=self._config.endpoints,
            http=self._config.http,
            client_cache=self._config.cache,
            token_provider=self._token_provider,
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
        sso = self._config.sso
        base: TokenProvider
        if given is not None:
            base = given
        else:
            base = CachedTokenProvider(
                sso.start_url,
                sso.sso_region,
                sso_session_name=sso.sso_session_name,
                cache_dir=self._token_cache_dir,
                refresh_window=self._config.refresh.token_refresh_window,
                oidc_endpoint_url=self._config.endpoints.sso_oidc,
                http=self._http,
            )
        if self._config.login != "auto":
            return base
        interactive = login_provider or policy.default_interactive_provider(
            sso,
            flow=self._config.login_flow,
            oidc_endpoint_url=self._config.endpoints.sso_oidc,
            cache_dir=self._token_cache_dir,
            http=self._http,
        )
        wrapped: TokenProvider = policy.LoginPolicyProvider(
            base,
            policy="auto",
            interactive=interactive,
            sso=sso,
            on_login=on_login,
            cache_dir=self._token_cache_dir,
        )
        return wrapped

    def _build_fetcher(self) -> RoleCredentialFetcher:
        sso = self._config.sso
        return RoleCredentialFetcher(
            self._token_provider,
            account_id=sso.account_id,
            role_name=sso.role_name,
            sso_region=sso.sso_region,
            start_url=sso.start_url,
            sso_session_name=sso.sso_session_name,
            sso_endpoint_url=self._config.endpoints.sso,
            http=self._http,
            cache=RoleCredentialCache(self._credential_cache_dir)
            if self._cache_credentials
            else None,
            # Cached credentials inside the advisory window would be refreshed again at once.
            min_remaining=self._config.refresh.advisory_timeout,
        )

    def _build_client_cache(self) -> ClientCache:
        return ClientCache(self._config.cache)

    def _build_credentials(self) -> RefreshableCredentials:
        refresh = self._config.refresh
        credentials: RefreshableCredentials
        if refresh.defer_refresh:
            credentials = DeferredRefreshableCredentials(
                refresh_using=self._fetch_role_credentials, method=CREDENTIAL_METHOD
            )
        else:
            credentials = RefreshableCredentials.create_from_metadata(
                self._fetch_role_credentials(),
                refresh_using=self._fetch_role_credentials,
                method=CREDENTIAL_METHOD,
            )
        # Set on the instance in both modes: DeferredRefreshableCredentials takes no timeouts.
        internals: Any = credentials
        internals._advisory_refresh_timeout = refresh.advisory_timeout
        internals._mandatory_refresh_timeout = refresh.mandatory_timeout
        return credentials

    def _fetch_role_credentials(self) -> dict[str, str]:
        """botocore's ``refresh_using``: one GetRoleCredentials (or a fresh disk-cache hit)."""
        sso = self._config.sso
        try:
            metadata: dict[str, str] = self._fetcher.fetch()
        except LoginRequiredError as exc:
            if self._login_profile and exc.profile_name is None:
                raise LoginRequiredError(
                    exc.reason,
                    start_url=exc.start_url or sso.start_url,
                    sso_session_name=exc.sso_session_name or sso.sso_session_name,
                    profile_name=self._login_profile,
                ) from exc
            raise
        with self._state_lock:
            self._last_refresh = utcnow()
            self._refresh_count += 1
        logger.debug(
            "role credentials for %s in %s handed to botocore; they expire at %s",
            sso.role_name,
            sso.account_id,
            metadata.get("expiry_time"),
        )
        return metadata

    # -- configuration ------------------------------------------------------------------------

    @property
    def sso_config(self) -> SSOConfig:
        """The SSO target: start URL, SSO region, account id, role name, sso-session name."""
        return self._config.sso

    @property
    def refresh_config(self) -> RefreshConfig:
        """Refresh settings (defer_refresh, advisory/mandatory timeouts, token window)."""
        return self._config.refresh

    @property
    def endpoint_config(self) -> EndpointConfig:
        """Explicit SSO / SSO-OIDC / STS endpoints (None: botocore's usual resolution)."""
        return self._config.endpoints

    @property
    def http_config(self) -> HttpConfig:
        """Timeouts and retries for SSO, SSO-OIDC and STS calls."""
        return self._config.http

    @property
    def token_provider(self) -> TokenProvider:
        """The provider role credentials are fetched with (shared by ``for_role`` siblings)."""
        return self._token_provider

    # -- credentials --------------------------------------------------------------------------

    def refreshable_credentials(self) -> TemporaryCredentials:
        """The current role credentials (refreshed first if due) with their expiry."""
        source: Any = self._role_credentials
        for _ in range(3):
            frozen = source.get_frozen_credentials()
            expiry: datetime | None = source._expiry_time
            if frozen is source._frozen_credentials:
                break  # expiry belongs to this snapshot (no refresh slipped in between)
        return TemporaryCredentials(
            str(frozen.access_key), str(frozen.secret_key), str(frozen.token or ""), expiry
        )

    @property
    def credentials(self) -> TemporaryCredentials:
        """Alias of ``refreshable_credentials()``."""
        return self.refreshable_credentials()

    @property
    def credentials_expiration(self) -> datetime | None:
        """When the current role credentials expire (None before the first fetch when deferred)."""
        source: Any = self._role_credentials
        expiry: datetime | None = source._expiry_time
        return expiry

    @property
    def expiration_time(self) -> datetime | None:
        """Alias of ``credentials_expiration``."""
        return self.credentials_expiration

    @property
    def last_refresh_time(self) -> datetime | None:
        """When this session last obtained role credentials (None if it never has)."""
        with self._state_lock:
            return self._last_refresh

    @property
    def refresh_count(self) -> int:
        """How many times this session obtained role credentials."""
        with self._state_lock:
            return self._refresh_count

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
        source: Any = self._role_credentials
        if source.refresh_needed():
            # botocore's own lock and refresh step, run as a mandatory refresh so failures raise.
            with source._refresh_lock:
                if source.refresh_needed():
                    source._protected_refresh(is_mandatory=True)
        return self.refreshable_credentials()

    def refresh_credentials(self, force: bool = True) -> TemporaryCredentials:
        """Get new role credentials now (``force``: even if the current ones are fresh)."""
        if not force:
            return self.ensure_valid_credentials()
        source: Any = self._role_credentials
        with source._refresh_lock:
            self._fetcher.invalidate()
            source._protected_refresh(is_mandatory=True)
        return self.refreshable_credentials()

    # -- identity -----------------------------------------------------------------------------

    def get_identity(self) -> Identity:
        """``sts:GetCallerIdentity`` signed with this session's role credentials, names parsed."""
        return get_caller_identity(
            self._role_credentials,
            region=self.region_name or self._config.sso.sso_region,
            endpoint_url=self._config.endpoints.sts,
            http=self._http,
        )

    def whoami(self) -> Identity:
        """Alias of ``get_identity()``."""
        return self.get_identity()

    # -- clients and discovery ----------------------------------------------------------------

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A (cached) client signed with the session's refreshable role credentials."""
        return self._client_cache.client(self._create_client, self._default_region, *args, **kwargs)

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
        accounts: Iterator[AccountInfo] = discovery.list_accounts(
            self._token_provider,
            self._config.sso.sso_region,
            sso_endpoint_url=self._config.endpoints.sso,
            http=self._http,
        )
        return accounts

    def list_roles(self, account_id: str | None = None) -> Iterator[RoleInfo]:
        """Roles in one account, or in every reachable account when ``account_id`` is None."""
        roles: Iterator[RoleInfo] = discovery.list_roles(
            self._token_provider,
            self._config.sso.sso_region,
            account_id,
            sso_endpoint_url=self._config.endpoints.sso,
            http=self._http,
        )
        return roles

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the session's cached clients (the credentials stay usable)."""
        self.clear_cache()

    def __enter__(self) -> SSORefreshableSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the configuration only (no token, credential, lock or client): see _pickling."""
        arguments = _pickling.session_arguments(
            self._config,
            self._given,
            region_name=self.region_name,
            profile_name=self._login_profile,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
        )
        return (_pickling.rebuild, (type(self), arguments))

    def __repr__(self) -> str:
        sso = self._config.sso
        expiry = self.credentials_expiration
        return (
            f"{type(self).__name__}(start_url={sso.start_url!r}, "
            f"sso_session_name={sso.sso_session_name!r}, sso_region={sso.sso_region!r}, "
            f"account_id={sso.account_id!r}, role_name={sso.role_name!r}, "
            f"region_name={self.region_name!r}, "
            f"defer_refresh={self._config.refresh.defer_refresh}, "
            f"credentials_expire={expiry.isoformat() if expiry else None!r})"
        )


def _provider_problems(token_provider: object, login_provider: object, login: object) -> list[str]:
    problems = []
    for name, provider in (("token_provider", token_provider), ("login_provider", login_provider)):
        if provider is not None and not callable(getattr(provider, "get_token", None)):
            problems.append(
                f"{name}: must have a get_token(*, force_refresh=False) method returning an "
                f"SSOToken (got a {type(provider).__name__})"
            )
    if login_provider is not None and login != "auto":
        problems.append("login_provider: only used with login='auto'; pass login='auto' as well")
    return problems


def _refuse_unexpected(unexpected: Mapping[str, Any]) -> None:
    if not unexpected:
        return
    problems = []
    for name in unexpected:
        if name in _REFUSED_ARGUMENTS:
            problems.append(
                f"{name}: not accepted (value masked); an SSORefreshableSession gets its credentials "
                "from IAM Identity Center. Use a plain boto3.Session for static keys"
            )
        else:
            problems.append(
                f"{name}: unknown argument; see docs/configuration.md for the accepted names"
            )
    raise ConfigurationError(
        "Invalid SSORefreshableSession arguments:\n" + "\n".join(f"  - {p}" for p in problems),
        problems,
    )


__all__ = ["CREDENTIAL_METHOD", "SSORefreshableSession", "TemporaryCredentials"]
