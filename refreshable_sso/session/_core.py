"""What the sync and the asyncio session share: everything of a session that is not I/O.

``SSORefreshableSession`` (a ``boto3.Session``) and ``AioSSORefreshableSession`` (an
aiobotocore session) are two front doors to one session: the same arguments, validation,
wiring of token provider and role-credential fetcher (through ``_wiring``), AssumeRole chain,
sign-in watch, configuration properties, pickling and identity memo. :class:`SessionCore` holds
all of that once, in the manner of httpx's ``BaseClient``; each front door adds only what
differs because its I/O differs: the credentials object (botocore's or aiobotocore's), the
client cache (threads or event loops), and whether a method that calls AWS blocks or is awaited.
A feature written here reaches both doors; ``tests/aio/test_parity.py`` fails when one door
gains a public name the other lacks.
"""

from __future__ import annotations

import logging
import pickle
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, TypeVar

from refreshable_sso import _clock
from refreshable_sso.aws import redact as _redact
from refreshable_sso.config import (
    AssumeRoleConfig,
    CacheConfig,
    EndpointConfig,
    HttpConfig,
    RefreshConfig,
    SessionConfig,
    SSOConfig,
    StorageConfig,
    parse_assume_role,
    validate,
    validate_session_config,
)
from refreshable_sso.credentials.chain import RoleChain
from refreshable_sso.credentials.role import RoleCredentialFetcher
from refreshable_sso.errors import ConfigurationError, IdentityError, LoginRequiredError
from refreshable_sso.identity import Identity, iam_role_arn
from refreshable_sso.profiles.reader import load_profile_chain
from refreshable_sso.session import _pickling, _wiring
from refreshable_sso.session.sign_in_watch import DEFAULT_BEFORE, SignInCallback, SignInWatch
from refreshable_sso.tokens.base import TokenProvider
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.store import TokenCache

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from refreshable_sso.aws.clients import HttpSettings
    from refreshable_sso.tokens.login import policy
    from refreshable_sso.tokens.login.options import LoginOptions

logger = logging.getLogger("refreshable_sso.session")

# The method name botocore's own SSO provider gives its credentials.
CREDENTIAL_METHOD = "sso"

# boto3.Session arguments that would put other credentials on the session.
_REFUSED_ARGUMENTS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_account_id",
)

Session = TypeVar("Session", bound="SessionCore")


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


def snapshot(frozen: Any, expiry: datetime | None) -> TemporaryCredentials:
    """``TemporaryCredentials`` from botocore/aiobotocore frozen credentials and their expiry."""
    return TemporaryCredentials(
        str(frozen.access_key), str(frozen.secret_key), str(frozen.token or ""), expiry
    )


class SessionCore:
    """The state and behaviour both session classes share; no method here does I/O.

    A front door calls :meth:`_validate` with its constructor's arguments before its own base
    class is initialised (so invalid arguments raise before anything is built), then
    :meth:`_wire` once its botocore session exists, and implements the few hooks below.
    """

    _front_door_name = "SSORefreshableSession"  # named in errors about the arguments

    # -- what a front door provides -------------------------------------------------------------

    def _session_region(self) -> str | None:
        """The session's region (``region_name``)."""
        raise NotImplementedError

    def _sibling_options(self) -> dict[str, Any]:
        """Extra constructor keywords a ``for_role``/``assume_role`` sibling gets."""
        return {}

    # -- construction ---------------------------------------------------------------------------

    def __init__(
        self,
        *,
        start_url: str | None = None,
        sso_region: str | None = None,
        account_id: str | None = None,
        role_name: str | None = None,
        sso_session_name: str | None = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        login: str | None = None,
        token_provider: TokenProvider | None = None,
        assume_role: AssumeRoleConfig | Mapping[str, Any] | Sequence[Any] | None = None,
        sso: SSOConfig | Mapping[str, Any] | None = None,
        refresh: RefreshConfig | Mapping[str, Any] | None = None,
        endpoints: EndpointConfig | Mapping[str, Any] | None = None,
        http: HttpConfig | Mapping[str, Any] | None = None,
        client_cache: CacheConfig | Mapping[str, Any] | bool | None = None,
        storage: StorageConfig | Mapping[str, Any] | None = None,
        login_options: LoginOptions | Mapping[str, Any] | None = None,
        botocore_session: Any = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        """Validate every argument at once, then build the session; nothing waits on AWS here.

        The arguments name whose sign-in and which role (the identity fields), the region of
        the session's clients, three common shortcuts, and the configuration objects; every
        other setting is a field of one of those objects. Each object may also be a dict. The
        flat keywords of earlier releases still work: each is one field of an object (see
        ``SessionOptions``) and wins over the same field given in the object. Invalid values
        raise one ``ConfigurationError`` listing every bad field.

        Args:
            start_url: The IAM Identity Center start URL
                (``https://d-xxxxxxxxxx.awsapps.com/start``).
            sso_region: The region of the IAM Identity Center instance.
            account_id: The 12-digit account whose role the session acts as.
            role_name: The permission set's role name in that account.
            sso_session_name: The ``[sso-session NAME]`` of ``~/.aws/config``; names the token
                cache file the AWS CLI shares (None: the legacy per-start-URL file).
            region_name: The region of the session's clients (default: the profile's or
                ``AWS_REGION``; the SSO region for STS calls when unset).
            profile_name: The ``~/.aws/config`` profile the session came from (named in errors,
                and the botocore profile of the session).
            login: ``"never"`` (raise ``LoginRequiredError``) or ``"auto"`` (sign in
                interactively when needed); default: ``"auto"`` only with a terminal on stdin.
            token_provider: Your own source of access tokens (``get_token(*,
                force_refresh=False)``) instead of the AWS CLI's token cache.
            assume_role: AssumeRole hops on top of the SSO role: an ``AssumeRoleConfig``, a
                dict, a role ARN, or a list of them (in order).
            sso: ``SSOConfig``: the identity fields above, the registration scopes, and where
                the sign-in keeps its secrets (``token_storage``, ``token_export``).
            refresh: ``RefreshConfig``: when role credentials and tokens are refreshed, the
                sign-in's duration and ``relogin_ahead``.
            endpoints: ``EndpointConfig``: explicit SSO, SSO-OIDC, STS and federation endpoints.
            http: ``HttpConfig``: timeouts and retries of the SSO, SSO-OIDC and STS calls.
            client_cache: ``CacheConfig`` for the client and resource cache; False disables it.
            storage: ``StorageConfig``: the token and role-credential caches (directories,
                dict-like stores, sharing across processes).
            login_options: ``LoginOptions`` for the sign-ins this session starts with
                ``login="auto"``: flow, browser, prompt, timeout, cancel event. The session
                sets what it owns (scopes, endpoints, HTTP settings, where the token goes).
            botocore_session: A botocore session to build on (default: a fresh one sharing the
                process's data loader). The asyncio session *is* its aiobotocore session and
                refuses this argument with a ``ConfigurationError``.
            **options: The flat keywords of earlier releases, each one field of the objects
                above (``SessionOptions`` lists them): ``registration_scopes``,
                ``token_storage``, ``token_export`` (``sso``); ``defer_refresh``,
                ``advisory_timeout``, ``mandatory_timeout``, ``token_refresh_window``,
                ``sso_session_duration``, ``relogin_ahead`` (``refresh``);
                ``eviction_policy``, ``max_size`` (``client_cache``); ``cache_credentials``,
                ``token_cache_dir``, ``credential_cache_dir``, ``token_cache``,
                ``credential_cache`` (``storage``); ``login_flow`` (``login_options.flow``);
                and ``login_provider`` (a token provider that signs in, with ``login="auto"``)
                and ``on_login`` (called with the ``LoginEvent`` when a sign-in starts).
        """
        self._refuse_for_this_door(botocore_session=botocore_session)
        self._validate(
            identity={
                "start_url": start_url,
                "sso_region": sso_region,
                "account_id": account_id,
                "role_name": role_name,
                "sso_session_name": sso_session_name,
            },
            objects=_ConfigObjects(
                sso, refresh, endpoints, http, client_cache, storage, login_options
            ),
            login=login,
            token_provider=token_provider,
            assume_role=assume_role,
            profile_name=profile_name,
            options=dict(options),
        )
        self._open(
            region_name=region_name, profile_name=profile_name, botocore_session=botocore_session
        )

    def _refuse_for_this_door(self, *, botocore_session: Any) -> None:
        """Raise ``ConfigurationError`` for an argument this front door cannot take (first,
        before anything else is checked, since no other value can make it acceptable)."""

    def _open(
        self, *, region_name: str | None, profile_name: str | None, botocore_session: Any
    ) -> None:
        """Initialise the front door's own session class and build what does I/O."""
        raise NotImplementedError

    def _validate(
        self,
        *,
        identity: Mapping[str, Any],
        objects: _ConfigObjects,
        login: str | None,
        token_provider: TokenProvider | None,
        assume_role: AssumeRoleConfig | Mapping[str, Any] | Sequence[Any] | None,
        profile_name: str | None,
        options: dict[str, Any],
    ) -> None:
        """Check every argument (one ``ConfigurationError`` listing every bad field) and keep
        the validated configuration; nothing is built and nothing is read from disk."""
        unknown = {name: options.pop(name) for name in list(options) if name not in _OPTION_OF}
        _refuse_unexpected(unknown, self._front_door_name)
        flat: dict[str, dict[str, Any]] = {}
        for name, value in options.items():
            flat.setdefault(_OPTION_OF[name], {})[name] = value
        given = flat.pop("given", {})
        storage = _storage(objects.storage, flat.pop("storage", {}))
        # Dict-like stores in place of the token file / role credential files (storage.mapping).
        self._token_mapping = storage.token_cache
        self._credential_mapping = storage.credential_cache
        self._storage_config = storage
        login_provider, on_login = given.get("login_provider"), given.get("on_login")
        self._given = _pickling.GivenProviders(token_provider, login_provider, on_login, login)
        if login is None:  # a person at a terminal can sign in; a service must not wait for one
            login = _default_login_policy()
        self._login_options = _login_options(objects.login_options)
        login_flow = flat.pop("login", {}).get("login_flow")
        if login_flow is None and self._login_options is not None:
            login_flow = self._login_options.flow
        provider_problems = _provider_problems(
            token_provider, login_provider, login, storage.token_cache
        )
        hops, hop_problems = parse_assume_role(assume_role)
        provider_problems.extend(hop_problems)
        self._session_config: SessionConfig = validate_session_config(
            sso=objects.sso,
            refresh=objects.refresh,
            endpoints=objects.endpoints,
            cache=_cache_section(objects.client_cache),
            http=objects.http,
            login=login,
            login_flow=login_flow,
            overrides={
                "sso": {**identity, **flat.get("sso", {})},
                "refresh": flat.get("refresh", {}),
                "cache": flat.get("cache", {}),
            },
            extra_problems=provider_problems,
        )
        self._assume_role: tuple[AssumeRoleConfig, ...] = hops
        self._cache_credentials = storage.cache_credentials
        self._token_cache_dir = storage.token_cache_dir
        self._credential_cache_dir = storage.credential_cache_dir
        self._login_profile = profile_name

    def _wire(self) -> None:
        """Build the token provider, sign-in watch, role fetcher and AssumeRole chain."""
        # Mask tokens and keys in botocore's DEBUG wire logs of every client this session makes.
        _redact.install()
        config = self._session_config
        self._http: HttpSettings = config.http.to_settings()
        self._state_lock = threading.Lock()
        # The caller identity last learned and the access key it was learned with (None: STS
        # could not say for that key); one lookup at a time (credentials_role_arn).
        self._known_identity: tuple[str, Identity | None] | None = None
        self._identity_lookup = threading.Lock()
        self._last_refresh: datetime | None = None
        self._refresh_count = 0
        wiring = _wiring.build_token_provider(
            config,
            self._http,
            given=self._given.token_provider,
            login_provider=self._given.login_provider,
            on_login=self._given.on_login,
            token_cache_dir=self._token_cache_dir,
            token_mapping=self._token_mapping,
            login_options=self._login_options,
        )
        self._cached_provider: CachedTokenProvider | None = wiring.cached
        self._login_policy: policy.LoginPolicyProvider | None = wiring.login_policy
        self._token_provider: TokenProvider = wiring.provider
        self._sign_in_watch = self._build_sign_in_watch()
        self._fetcher: RoleCredentialFetcher = _wiring.build_role_fetcher(
            config,
            self._token_provider,
            self._http,
            cache_credentials=self._cache_credentials,
            credential_cache_dir=self._credential_cache_dir,
            credential_mapping=self._credential_mapping,
        )
        self._chain: RoleChain | None = self._build_chain() if self._assume_role else None

    def _build_sign_in_watch(self) -> SignInWatch:
        sso, refresh = self._session_config.sso, self._session_config.refresh
        login = self._login_policy
        watch = SignInWatch(
            TokenCache(
                sso.start_url,
                sso.sso_session_name,
                self._token_cache_dir,
                self._token_mapping,
                storage=sso.storage(),  # the keyring's token, when the sign-in keeps it there
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

    def _build_chain(self) -> RoleChain:
        """AssumeRole hops on top of the SSO role (``assume_role=``), cached like role creds."""
        config = self._session_config
        return RoleChain(
            self._fetcher.fetch,
            self._assume_role,
            region=self._session_region() or config.sso.sso_region,
            advisory_timeout=config.refresh.advisory_timeout,
            mandatory_timeout=config.refresh.mandatory_timeout,
            sts_endpoint_url=config.endpoints.sts,
            http=self._http,
            cache_dir=self._credential_cache_dir,
            use_cache=self._cache_credentials,
            credential_cache=self._credential_mapping,
        )

    def _fetch_role_credentials(self) -> dict[str, str]:
        """The refresh function (blocking; the asyncio session runs it in a worker thread):
        the chain's last hop, or one GetRoleCredentials (or a fresh shared-cache hit)."""
        sso = self._session_config.sso
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

    def _forget_credentials(self) -> None:
        """Drop the fetcher's (or chain's) remembered credentials before a forced refresh."""
        (self._chain or self._fetcher).invalidate()

    # -- siblings -------------------------------------------------------------------------------

    @classmethod
    def from_profile(cls: type[Session], profile_name: str, **kwargs: Any) -> Session:
        """A session for an SSO profile of ``~/.aws/config`` (``sso_session`` or legacy style),
        or for a ``role_arn`` + ``source_profile`` profile chained down to one (any depth; pass
        ``mfa_token_provider=`` for hops with ``mfa_serial``).

        Keyword arguments are passed on and win over the profile (e.g. ``advisory_timeout``).
        Raises ``ProfileError`` naming the profile and every missing key.
        """
        chained = load_profile_chain(profile_name)
        for key, value in chained.sso.sso_fields().items():
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
        self: Session, account_id: str, role_name: str, *, region_name: str | None = None
    ) -> Session:
        """A sibling session for another account/role of the same sign-in (one token provider)."""
        sso = validate(SSOConfig, self.sso_config, account_id=account_id, role_name=role_name)
        return self._sibling(sso, region_name)

    def assume_role(
        self: Session,
        role_arn: str | AssumeRoleConfig,
        *,
        region_name: str | None = None,
        **hop: Any,
    ) -> Session:
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

    def _sibling(
        self: Session,
        sso: SSOConfig,
        region_name: str | None,
        assume_role: list[AssumeRoleConfig | Mapping[str, Any]] | None = None,
    ) -> Session:
        """A session on this one's sign-in and caches, for ``sso`` (and hops)."""
        config = self._session_config
        build: Callable[..., Session] = type(self)  # a front door, with its own constructor
        return build(
            sso=sso,
            refresh=config.refresh,
            endpoints=config.endpoints,
            http=config.http,
            client_cache=config.cache,
            token_provider=self._token_provider,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
            credential_cache=self._credential_mapping,
            region_name=region_name or self._session_region(),
            assume_role=assume_role,
            **self._sibling_options(),
        )

    # -- configuration --------------------------------------------------------------------------

    @property
    def sso_config(self) -> SSOConfig:
        """The SSO target: start URL, SSO region, account id, role name, sso-session name."""
        return self._session_config.sso

    @property
    def refresh_config(self) -> RefreshConfig:
        """Refresh settings (defer_refresh, advisory/mandatory timeouts, token window)."""
        return self._session_config.refresh

    @property
    def endpoint_config(self) -> EndpointConfig:
        """Explicit SSO / SSO-OIDC / STS endpoints (None: botocore's usual resolution)."""
        return self._session_config.endpoints

    @property
    def http_config(self) -> HttpConfig:
        """Timeouts and retries for SSO, SSO-OIDC and STS calls."""
        return self._session_config.http

    @property
    def storage_config(self) -> StorageConfig:
        """Where the token and role credentials are cached (files or dict-like stores)."""
        return self._storage_config

    @property
    def token_provider(self) -> TokenProvider:
        """The provider role credentials are fetched with (shared by ``for_role`` siblings)."""
        return self._token_provider

    @property
    def assume_role_config(self) -> tuple[AssumeRoleConfig, ...]:
        """The AssumeRole hops on top of the SSO role, in order (empty without chaining)."""
        return self._assume_role

    @property
    def role_chain(self) -> RoleChain | None:
        """The hops' fetchers (None without ``assume_role=``)."""
        return self._chain

    @property
    def credentials_account_id(self) -> str:
        """The account the session's credentials act in: the last AssumeRole hop's role ARN
        account, or the SSO role's (what ``AccountId`` says to other processes we serve)."""
        if self._assume_role:
            return self._assume_role[-1].role_arn.split(":")[4]
        return self._session_config.sso.account_id

    # -- credentials state (what is known without a call) ---------------------------------------

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

    # -- the sign-in session --------------------------------------------------------------------

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
        is refused because the server ended the sign-in first. The callback runs in the
        watch's thread, also for the asyncio session (hand work to a loop with
        ``loop.call_soon_threadsafe``).
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

    # -- identity memo (credentials_role_arn) ---------------------------------------------------

    def _remember_identity(self, access_key: str | None, identity: Identity) -> None:
        if access_key:
            with self._state_lock:
                self._known_identity = (access_key, identity)

    def _chained_role_arn(self) -> str | None:
        return self._assume_role[-1].role_arn if self._assume_role else None

    def _remembered_role_arn(self, access_key: str | None) -> tuple[bool, str | None]:
        """``(known, arn)``: the role ARN learned for these credentials, if it was."""
        with self._state_lock:
            known = self._known_identity
        if known is None or known[0] != access_key:
            return False, None
        return True, self._role_arn_of(known[1])

    def _role_arn_of(self, identity: Identity | None) -> str | None:
        if identity is None:
            return None
        return iam_role_arn(identity, self._session_config.sso.sso_region)

    def _identity_unknown(self, access_key: str | None, exc: IdentityError) -> None:
        sso = self._session_config.sso
        logger.warning(
            "The IAM role of %s in %s is not known (%s); RoleArn is left out until "
            "the role credentials are refreshed",
            sso.role_name,
            sso.account_id,
            exc,
        )
        with self._state_lock:
            self._known_identity = (access_key or "", None)

    # -- pickling and repr ----------------------------------------------------------------------

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
            self._session_config,
            self._given,
            region_name=self._session_region(),
            profile_name=self._login_profile,
            cache_credentials=self._cache_credentials,
            token_cache_dir=self._token_cache_dir,
            credential_cache_dir=self._credential_cache_dir,
            assume_role=list(self._assume_role) or None,
        )
        if self._login_options is not None and arguments["login"] == "auto":
            _pickling.check_picklable("login_options", self._login_options)
            arguments["login_options"] = self._login_options
        return (_pickling.rebuild, (type(self), arguments))

    def _describe(self, expiry: datetime | None) -> str:
        sso = self._session_config.sso
        return (
            f"{type(self).__name__}(start_url={sso.start_url!r}, "
            f"sso_session_name={sso.sso_session_name!r}, sso_region={sso.sso_region!r}, "
            f"account_id={sso.account_id!r}, role_name={sso.role_name!r}, "
            f"region_name={self._session_region()!r}, "
            f"defer_refresh={self._session_config.refresh.defer_refresh}, "
            f"credentials_expire={expiry.isoformat() if expiry else None!r})"
        )


def _cache_section(
    client_cache: CacheConfig | Mapping[str, Any] | bool | None,
) -> CacheConfig | Mapping[str, Any] | None:
    if client_cache is True:
        return None
    if client_cache is False:
        return {"max_size": 0}
    return client_cache


class SessionOptions(TypedDict, total=False):
    """The flat keywords a session also takes, each one field of a configuration object.

    They are what earlier releases took as 34 constructor arguments; they stay so that code
    written then keeps working, and each wins over the same field given in its object.
    ``_OPTION_OF`` says which object each belongs to.
    """

    registration_scopes: tuple[str, ...] | list[str] | None
    token_storage: str | None
    token_export: str | None
    defer_refresh: bool | None
    advisory_timeout: float | None
    mandatory_timeout: float | None
    token_refresh_window: float | None
    sso_session_duration: float | timedelta | None
    relogin_ahead: float | timedelta | None
    eviction_policy: str | None
    max_size: int | None
    cache_credentials: bool | None
    token_cache_dir: str | Path | None
    credential_cache_dir: str | Path | None
    token_cache: MutableMapping[str, Any] | None
    credential_cache: MutableMapping[str, Any] | None
    login_flow: str | None
    login_provider: TokenProvider | None
    on_login: Callable[..., Any] | None


# Each flat keyword -> the configuration object it is a field of ("given": kept as passed).
_OPTION_OF: dict[str, str] = {
    "registration_scopes": "sso",
    "token_storage": "sso",
    "token_export": "sso",
    "defer_refresh": "refresh",
    "advisory_timeout": "refresh",
    "mandatory_timeout": "refresh",
    "token_refresh_window": "refresh",
    "sso_session_duration": "refresh",
    "relogin_ahead": "refresh",
    "eviction_policy": "cache",
    "max_size": "cache",
    "cache_credentials": "storage",
    "token_cache_dir": "storage",
    "credential_cache_dir": "storage",
    "token_cache": "storage",
    "credential_cache": "storage",
    "login_flow": "login",
    "login_provider": "given",
    "on_login": "given",
}


class _ConfigObjects(NamedTuple):
    """The configuration objects (or dicts) a constructor was given, as given."""

    sso: SSOConfig | Mapping[str, Any] | None
    refresh: RefreshConfig | Mapping[str, Any] | None
    endpoints: EndpointConfig | Mapping[str, Any] | None
    http: HttpConfig | Mapping[str, Any] | None
    client_cache: CacheConfig | Mapping[str, Any] | bool | None
    storage: StorageConfig | Mapping[str, Any] | None
    login_options: LoginOptions | Mapping[str, Any] | None


def _storage(
    given: StorageConfig | Mapping[str, Any] | None, flat: Mapping[str, Any]
) -> StorageConfig:
    """The storage settings: the object (or dict) with the flat keywords over it."""
    if isinstance(given, StorageConfig) and not flat:
        return given
    base = given.fields_given() if isinstance(given, StorageConfig) else given
    # None keeps a field's default (the files), as a flat keyword's None always did
    fields = {name: value for name, value in flat.items() if value is not None}
    return validate(StorageConfig, base, **fields)


def _login_options(given: LoginOptions | Mapping[str, Any] | None) -> LoginOptions | None:
    """The session's template for its sign-ins (None: the defaults)."""
    if given is None:
        return None
    from refreshable_sso.tokens.login.options import LoginOptions  # with the login flows

    if isinstance(given, LoginOptions):
        return given
    if isinstance(given, Mapping):
        return LoginOptions(**given)
    raise ConfigurationError(
        f"login_options: expected a LoginOptions or a dict, got {type(given).__name__}",
        ["login_options: expected a LoginOptions or a dict"],
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
    from refreshable_sso.tokens.login import policy

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


def _refuse_unexpected(
    unexpected: Mapping[str, Any], front_door: str = "SSORefreshableSession"
) -> None:
    if not unexpected:
        return
    problems = []
    for name in unexpected:
        if name in _REFUSED_ARGUMENTS:
            problems.append(
                f"{name}: not accepted (value masked); an {front_door} gets its credentials "
                "from IAM Identity Center. Use a plain boto3.Session for static keys"
            )
        else:
            problems.append(
                f"{name}: unknown argument; see docs/configuration.md for the accepted names"
            )
    raise ConfigurationError(
        f"Invalid {front_door} arguments:\n" + "\n".join(f"  - {p}" for p in problems),
        problems,
    )


__all__ = [
    "CREDENTIAL_METHOD",
    "SessionCore",
    "SessionOptions",
    "TemporaryCredentials",
    "snapshot",
]
