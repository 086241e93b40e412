"""``SSORefreshableSession``: a ``boto3.Session`` whose SSO role credentials never go stale.

Wiring only. A token provider hands out access tokens; ``credentials.RoleCredentialFetcher``
turns one into role credentials with ``sso:GetRoleCredentials``; botocore's
``RefreshableCredentials`` decides *when* to call it (advisory and mandatory windows, one
refresher at a time). The credentials object sits on the botocore session, so
``get_credentials()`` and every client and resource made by the session use it.
"""

from __future__ import annotations

import logging
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3
from botocore.credentials import RefreshableCredentials

from refreshable_sso import _botocore, _clock, _pickling, _redact, _wiring, shared_loader
from refreshable_sso.assume import RoleChain
from refreshable_sso.clients import CacheInfo, ClientCache
from refreshable_sso.config import (
    AssumeRoleConfig,
    CacheConfig,
    EndpointConfig,
    HttpConfig,
    RefreshConfig,
    SessionConfig,
    SSOConfig,
    parse_assume_role,
    validate,
    validate_session_config,
)
from refreshable_sso.credentials import RoleCredentialFetcher
from refreshable_sso.errors import ConfigurationError, IdentityError, LoginRequiredError
from refreshable_sso.expired_token import ExpiredTokenHook
from refreshable_sso.fast_credentials import (
    FastDeferredRefreshableCredentials,
    FastRefreshableCredentials,
)
from refreshable_sso.identity import Identity, get_caller_identity, iam_role_arn
from refreshable_sso.profiles import load_profile_chain
from refreshable_sso.sign_in_watch import DEFAULT_BEFORE, SignInCallback, SignInWatch
from refreshable_sso.tokens.base import TokenProvider
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.store import TokenCache

if TYPE_CHECKING:
    from refreshable_sso._aws import HttpSettings
    from refreshable_sso.discovery import AccountInfo, RoleInfo
    from refreshable_sso.serving.container import ContainerCredentialServer
    from refreshable_sso.tokens import policy

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

    def __getitem__(self, key: Any) -> Any:
        """``creds["access_key"]`` as boto3-refresh-session's dict allows (``expiry_time`` ISO
        8601 there); integer indexes and slices stay a tuple's."""
        if isinstance(key, str):
            try:
                return self.as_dict()[key]
            except KeyError:
                raise KeyError(
                    f"{key!r}: use access_key, secret_key, token or expiry_time"
                ) from None
        return tuple.__getitem__(self, key)

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
        sso_session_duration: float | timedelta | None = None,
        relogin_ahead: float | timedelta | None = None,
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
        assume_role: AssumeRoleConfig | Mapping[str, Any] | Sequence[Any] | None = None,
        token_cache: MutableMapping[str, Any] | None = None,
        credential_cache: MutableMapping[str, Any] | None = None,
        **unexpected: Any,
    ) -> None:
        _refuse_unexpected(unexpected)
        # Dict-like stores in place of the token file / role credential files (mappingstore).
        self._token_mapping = _cache_mapping("token_cache", token_cache)
        self._credential_mapping = _cache_mapping("credential_cache", credential_cache)
        self._given = _pickling.GivenProviders(token_provider, login_provider, on_login, login)
        if login is None:  # a person at a terminal can sign in; a service must not wait for one
            login = _default_login_policy()
        provider_problems = _provider_problems(token_provider, login_provider, login, token_cache)
        hops, hop_problems = parse_assume_role(assume_role)
        provider_problems.extend(hop_problems)
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
                    "sso_session_duration": sso_session_duration,
                    "relogin_ahead": relogin_ahead,
                },
                "cache": {"eviction_policy": eviction_policy, "max_size": max_size},
            },
            extra_problems=provider_problems,
        )
        if botocore_session is None:  # ours share the process-wide loader; a caller's is kept as is
            botocore_session = shared_loader.botocore_session(profile_name)
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
        # The caller identity last learned and the access key it was learned with (None: STS
        # could not say for that key); one lookup at a time (credentials_role_arn).
        self._known_identity: tuple[str, Identity | None] | None = None
        self._identity_lookup = threading.Lock()
        self._last_refresh: datetime | None = None
        self._refresh_count = 0
        self._cached_provider: CachedTokenProvider | None = None
        self._login_policy: policy.LoginPolicyProvider | None = None
        self._token_provider = self._build_token_provider(token_provider, login_provider, on_login)
        self._sign_in_watch = self._build_sign_in_watch()
        self._fetcher = self._build_fetcher()
        self._assume_role: tuple[AssumeRoleConfig, ...] = hops
        self._chain: RoleChain | None = self._build_chain() if hops else None
        self._client_cache = self._build_client_cache()
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

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_profile(cls, profile_name: str, **kwargs: Any) -> SSORefreshableSession:
        """A session for an SSO profile of ``~/.aws/config`` (``sso_session`` or legacy style),
        or for a ``role_arn`` + ``source_profile`` profile chained down to one (any depth; pass
        ``mfa_token_provider=`` for hops with ``mfa_serial``).

        Keyword arguments are passed on and win over the profile (e.g. ``advisory_timeout``).
        Raises ``ProfileError`` naming the profile and every missing key.
        """
        chained = load_profile_chain(profile_name)
        profile = chained.sso
        fields = profile.sso_fields()
        for key, value in fields.items():
            kwargs.setdefault(key, value)
        region = chained.region
        if region and kwargs.get("region_name") is None:
            kwargs["region_name"] = region
        mfa = kwargs.pop("mfa_token_provider", None)
        if chained.hops:
            kwargs.setdefault(
                "assume_role",
                [
                    {**hop, "mfa_token_provider": mfa} if "mfa_serial" in hop and mfa else hop
                    for hop in chained.hops
                ],
            )
        kwargs.setdefault("profile_name", profile_name)
        return cls(**kwargs)

    def for_role(
        self, account_id: str, role_name: str, *, region_name: str | None = None
    ) -> SSORefreshableSession:
        """A sibling session for another account/role of the same sign-in (one token provider)."""
        sso = validate(SSOConfig, self.sso_config, account_id=account_id, role_name=role_name)
        return self._sibling(sso, region_name)

    def _sibling(
        self,
        sso: SSOConfig,
        region_name: str | None,
        assume_role: list[AssumeRoleConfig | Mapping[str, Any]] | None = None,
    ) -> SSORefreshableSession:
        """A session on this one's sign-in, caches and data loader, for ``sso`` (and hops)."""
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
            credential_cache=self._credential_mapping,
            region_name=region_name or self.region_name,
            # the same data loader (parsed models, endpoint rules) as this session: no re-parse
            botocore_session=shared_loader.botocore_session(loader=shared_loader.data_loader(self)),
            assume_role=assume_role,
        )

    def _build_token_provider(
        self,
        given: TokenProvider | None,
        login_provider: TokenProvider | None,
        on_login: Callable[..., Any] | None,
    ) -> TokenProvider:
        wiring = _wiring.build_token_provider(
            self._config,
            self._http,
            given=given,
            login_provider=login_provider,
            on_login=on_login,
            token_cache_dir=self._token_cache_dir,
            token_mapping=self._token_mapping,
        )
        self._cached_provider = wiring.cached
        self._login_policy = wiring.login_policy
        return wiring.provider

    def _build_sign_in_watch(self) -> SignInWatch:
        sso, refresh, login = self._config.sso, self._config.refresh, self._login_policy
        watch = SignInWatch(
            TokenCache(
                sso.start_url, sso.sso_session_name, self._token_cache_dir, self._token_mapping
            ),
            duration=refresh.sso_session_duration,
            relogin_ahead=refresh.relogin_ahead,
            relogin=(
                (lambda why, planned: login.sign_in_again(why, unless_changed_since=planned))
                if login is not None
                else None
            ),
            current_sign_in=login.current_sign_in if login is not None else None,
        )
        if self._cached_provider is not None:
            self._cached_provider.on_refresh_refused = watch.server_ended
        watch.start()  # only when sso_session_duration is known
        return watch

    def _current_access_key(self) -> str | None:
        key: str | None = self._role_credentials.get_frozen_credentials().access_key
        return key

    def _build_fetcher(self) -> RoleCredentialFetcher:
        return _wiring.build_role_fetcher(
            self._config,
            self._token_provider,
            self._http,
            cache_credentials=self._cache_credentials,
            credential_cache_dir=self._credential_cache_dir,
            credential_mapping=self._credential_mapping,
        )

    def _build_chain(self) -> RoleChain:
        """AssumeRole hops on top of the SSO role (``assume_role=``), cached like role creds."""
        refresh = self._config.refresh
        return RoleChain(
            self._fetcher.fetch,
            self._assume_role,
            region=self.region_name or self._config.sso.sso_region,
            advisory_timeout=refresh.advisory_timeout,
            mandatory_timeout=refresh.mandatory_timeout,
            sts_endpoint_url=self._config.endpoints.sts,
            http=self._http,
            cache_dir=self._credential_cache_dir,
            use_cache=self._cache_credentials,
            credential_cache=self._credential_mapping,
        )

    @property
    def assume_role_config(self) -> tuple[AssumeRoleConfig, ...]:
        """The AssumeRole hops on top of the SSO role, in order (empty without chaining)."""
        return self._assume_role

    @property
    def credentials_account_id(self) -> str:
        """The account the session's credentials act in: the last AssumeRole hop's role ARN
        account, or the SSO role's (what ``AccountId`` says to other processes we serve)."""
        if self._assume_role:
            return self._assume_role[-1].role_arn.split(":")[4]
        return self._config.sso.account_id

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
            return self._assume_role[-1].role_arn
        sso_region = self._config.sso.sso_region
        with self._identity_lookup:  # concurrent requests: one lookup, the others reuse it
            access_key = self._current_access_key()
            with self._state_lock:
                known = self._known_identity
            if known is None or known[0] != access_key:
                try:
                    self.get_identity()
                except IdentityError as exc:
                    logger.warning(
                        "The IAM role of %s in %s is not known (%s); RoleArn is left out until "
                        "the role credentials are refreshed",
                        self._config.sso.role_name,
                        self._config.sso.account_id,
                        exc,
                    )
                    with self._state_lock:
                        self._known_identity = (access_key or "", None)
                    return None
                with self._state_lock:
                    known = self._known_identity
        identity = known[1] if known is not None else None
        return iam_role_arn(identity, sso_region) if identity is not None else None

    @property
    def role_chain(self) -> RoleChain | None:
        """The hops' fetchers (None without ``assume_role=``)."""
        return self._chain

    def assume_role(
        self,
        role_arn: str | AssumeRoleConfig,
        *,
        region_name: str | None = None,
        **hop: Any,
    ) -> SSORefreshableSession:
        """A sibling session one hop further: ``role_arn`` assumed with this session's
        credentials (same token provider, same sign-in). ``hop`` takes AssumeRoleConfig fields."""
        if isinstance(role_arn, AssumeRoleConfig) and hop:
            raise ConfigurationError(
                "assume_role(): pass either an AssumeRoleConfig or role_arn with keyword fields, "
                f"not both (got extra {sorted(hop)})"
            )
        config = (
            role_arn if isinstance(role_arn, AssumeRoleConfig) else {"role_arn": role_arn, **hop}
        )
        return self._sibling(self.sso_config, region_name, [*self._assume_role, config])

    def _build_client_cache(self) -> ClientCache:
        return ClientCache(self._config.cache)

    def _build_credentials(self) -> RefreshableCredentials:
        """botocore's refreshable credentials with a lock-free fast path (see fast_credentials)."""
        refresh = self._config.refresh
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

    def _fetch_role_credentials(self) -> dict[str, str]:
        """botocore's ``refresh_using``: one GetRoleCredentials (or a fresh disk-cache hit)."""
        sso = self._config.sso
        try:
            metadata: dict[str, str] = (self._chain or self._fetcher).fetch()
        except LoginRequiredError as exc:
            named = _wiring.naming_the_profile(exc, sso, self._login_profile)
            if named is exc:
                raise
            raise named from exc
        with self._state_lock:
            self._last_refresh = _clock.now()
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
        frozen, expiry = _botocore.frozen_with_expiry(self._role_credentials)
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
        return _botocore.expiry_time(self._role_credentials)

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
        # botocore's own lock and refresh step, run as a mandatory refresh so failures raise.
        _botocore.refresh_now(self._role_credentials, only_if_needed=True)
        return self.refreshable_credentials()

    def refresh_credentials(self, force: bool = True) -> TemporaryCredentials:
        """Get new role credentials now (``force``: even if the current ones are fresh)."""
        if not force:
            return self.ensure_valid_credentials()
        _botocore.refresh_now(
            self._role_credentials, before=(self._chain or self._fetcher).invalidate
        )
        return self.refreshable_credentials()

    # -- the sign-in session ------------------------------------------------------------------

    @property
    def sign_in_expires_at(self) -> datetime | None:
        """When the sign-in session ends (our login's time + ``sso_session_duration``), or None."""
        return self._sign_in_watch.expires_at()

    @property
    def sign_in_remaining(self) -> timedelta | None:
        """How long the sign-in session has left (negative once over), or None when unknown."""
        return self._sign_in_watch.remaining()

    def on_sign_in_expiring(
        self, callback: SignInCallback, before: timedelta = DEFAULT_BEFORE
    ) -> None:
        """Call ``callback(event)`` once per sign-in, ``before`` its end (from a timer thread).

        Also called at once, with the server's error code as ``event.reason``, when a refresh
        is refused because the server ended the sign-in first.
        """
        if not callable(callback):
            raise ConfigurationError(
                "on_sign_in_expiring: callback must be callable as callback(event)"
            )
        if not isinstance(before, timedelta) or before.total_seconds() < 0:
            raise ConfigurationError(
                "on_sign_in_expiring: before must be a timedelta >= 0, e.g. timedelta(minutes=30)"
            )
        self._sign_in_watch.on_expiring(callback, before)

    # -- identity -----------------------------------------------------------------------------

    def get_identity(self) -> Identity:
        """``sts:GetCallerIdentity`` signed with this session's role credentials, names parsed.

        The answer is also remembered (with the access key it was learned for) for
        ``credentials_role_arn()``.
        """
        identity = get_caller_identity(
            self._role_credentials,
            region=self.region_name or self._config.sso.sso_region,
            endpoint_url=self._config.endpoints.sts,
            http=self._http,
            expired_token_hook=self._expired_token_hook,
        )
        access_key = self._current_access_key()
        if access_key:
            with self._state_lock:
                self._known_identity = (access_key, identity)
        return identity

    def whoami(self) -> Identity:
        """Alias of ``get_identity()``."""
        return self.get_identity()

    def console_url(
        self, destination: str | None = None, duration: int | None = None, **options: Any
    ) -> str:
        """An AWS console sign-in URL as this role (see ``refreshable_sso.console.console_url``;
        ``endpoints.federation`` is honoured). The URL is a credential: do not log it."""
        from refreshable_sso import console

        options.setdefault("endpoint", self._config.endpoints.federation)
        options.setdefault("timeout", self._http.read_timeout)
        return console.console_url(
            self.ensure_valid_credentials().as_dict(),
            self.region_name or self._config.sso.sso_region,
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
            self._config.sso.sso_region,
            sso_endpoint_url=self._config.endpoints.sso,
            http=self._http,
        )
        return accounts

    def list_roles(self, account_id: str | None = None) -> Iterator[RoleInfo]:
        """Roles in one account, or in every reachable account when ``account_id`` is None."""
        from refreshable_sso import discovery

        roles: Iterator[RoleInfo] = discovery.list_roles(
            self._token_provider,
            self._config.sso.sso_region,
            account_id,
            sso_endpoint_url=self._config.endpoints.sso,
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

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the configuration only (no token, credential, lock or client): see _pickling."""
        for name, mapping in (
            ("token_cache", self._token_mapping),
            ("credential_cache", self._credential_mapping),
        ):
            if mapping is not None:
                raise pickle.PicklingError(
                    f"{type(self).__name__} with a dict-like {name} cannot be pickled: the "
                    "mapping holds tokens or credentials, and a worker would get a copy, not "
                    "the shared store. Build the session inside the worker, or use the default "
                    "file caches (shared and locked across the host's processes)"
                )
        if self._assume_role:
            _pickling.check_picklable("assume_role", self._assume_role)
        arguments = _pickling.session_arguments(
            self._config,
            self._given,
            region_name=self.region_name,
            profile_name=self._login_profile,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
            assume_role=list(self._assume_role) or None,
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


def _cache_mapping(name: str, value: object) -> MutableMapping[str, Any] | None:
    """A dict-like cache argument, or a ConfigurationError saying what is accepted."""
    if value is None or isinstance(value, MutableMapping):
        return value
    raise ConfigurationError(
        f"{name}: expected a dict or other MutableMapping (or None for the AWS CLI's files), "
        f"got {type(value).__name__}",
        [f"{name}: not a MutableMapping"],
    )


def _default_login_policy() -> str:
    """``policy.default_login_policy()``, importing the login flows only when it can say "auto".

    Without a terminal on stdin the answer is "never" and the interactive flows (http.server,
    webbrowser) are not needed; with one, the policy module decides.
    """
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        interactive = False
    if not interactive:
        return "never"
    from refreshable_sso.tokens import policy

    return policy.default_login_policy()


def _provider_problems(
    token_provider: object, login_provider: object, login: object, token_cache: object = None
) -> list[str]:
    problems = []
    for name, provider in (("token_provider", token_provider), ("login_provider", login_provider)):
        if provider is not None and not callable(getattr(provider, "get_token", None)):
            problems.append(
                f"{name}: must have a get_token(*, force_refresh=False) method returning an "
                f"SSOToken (got a {type(provider).__name__})"
            )
    if login_provider is not None and login != "auto":
        problems.append("login_provider: only used with login='auto'; pass login='auto' as well")
    if token_cache is not None and token_provider is not None:
        problems.append(
            "token_cache: read only by the built-in AWS-CLI token cache reader, and "
            "token_provider= replaces that reader, so the mapping would go unused; pass "
            "one of the two (put the mapping in your provider if it should use it)"
        )
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
