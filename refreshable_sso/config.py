"""Validated configuration for a refreshable SSO session (pydantic v2).

Every value a user can hand us goes through one of these models, so a typo fails at
construction with a message naming the field and how to fix it, not hours later inside
botocore. ``validate`` / ``validate_session_config`` turn pydantic's ``ValidationError`` into one
``ConfigurationError`` that lists every bad field at once. The models set
``hide_input_in_errors`` so the kept ``__cause__`` never echoes an input value either.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from refreshable_sso.errors import ConfigurationError

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

    from refreshable_sso.storage.keyring import TokenStorage

_REGION = re.compile(r"^[a-z]{2,4}(-[a-z0-9]+)+-\d{1,2}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role names and permission set names: letters, digits and + = , . @ _ - (1-64 characters).
_ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
_LOOPBACK_NAMES = frozenset({"localhost"})
# Our own override of the console federation endpoint (``emu.env()`` sets it).
FEDERATION_ENDPOINT_ENV = "REFRESHABLE_SSO_FEDERATION_ENDPOINT"
_SECRET_WORDS = ("secret", "token", "password", "passwd", "credential", "access_key", "session_key")


def _frozen_config() -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(value: str, what: str, *, allow_path: bool = True) -> str:
    """https anywhere, http only to a loopback host (a local emulator); a host is required."""
    if value != value.strip() or not value:
        raise ValueError(f"{what} must be a non-empty URL without surrounding spaces")
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(
            f"{what} must be an absolute https:// URL such as "
            "'https://d-1234567890.awsapps.com/start'"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"{what} must use https:// (plain http:// is only accepted for loopback hosts "
            "such as 127.0.0.1, localhost or [::1])"
        )
    if parts.username or parts.password:
        raise ValueError(f"{what} must not carry a user name or password")
    if not allow_path and parts.path not in ("", "/"):
        raise ValueError(f"{what} must not have a path")
    return value


class SSOConfig(BaseModel):
    """Which IAM Identity Center sign-in, account and role the session works for."""

    model_config = _frozen_config()

    start_url: str
    sso_region: str
    account_id: str
    role_name: str
    sso_session_name: str | None = None
    registration_scopes: tuple[str, ...] = ("sso:account:access",)
    #: Where the sign-in's secrets live: the AWS CLI's plain files, or the OS keyring.
    token_storage: Literal["file", "keyring"] = "file"  # noqa: S105 (a storage kind)
    #: Keyring only: what reaches the AWS CLI's token file ("short-lived": the access token).
    token_export: Literal["short-lived", "none"] = "short-lived"  # noqa: S105 (a mode name)

    def storage(self) -> TokenStorage:
        """Where the token cache and client registration of this sign-in keep their secrets."""
        from refreshable_sso.storage.keyring import TokenStorage

        return TokenStorage(self.token_storage, self.token_export)

    @field_validator("start_url")
    @classmethod
    def _start_url(cls, value: str) -> str:
        return _check_url(value, "start_url")

    @field_validator("sso_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(
                "sso_region must be an AWS region name such as 'us-east-1' or 'eu-west-2' "
                "(the region where IAM Identity Center is enabled)"
            )
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not _ACCOUNT_ID.match(value):
            raise ValueError(
                "account_id must be exactly 12 digits, e.g. '111111111111' "
                "(pass it as a string so leading zeros are kept)"
            )
        return value

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        if not _ROLE_NAME.match(value):
            raise ValueError(
                "role_name must be 1-64 characters of letters, digits and + = , . @ _ - "
                "(the permission set name, e.g. 'ReadOnlyAccess')"
            )
        return value

    @field_validator("sso_session_name")
    @classmethod
    def _session_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or value != value.strip() or "\n" in value):
            raise ValueError(
                "sso_session_name must be the non-empty name of an [sso-session NAME] "
                "section, without surrounding spaces"
            )
        return value

    @field_validator("registration_scopes", mode="before")
    @classmethod
    def _scopes(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, (list, tuple)) and (
            not value or not all(isinstance(s, str) and s and " " not in s for s in value)
        ):
            raise ValueError(
                "registration_scopes must be a non-empty list of scope names, "
                "e.g. ['sso:account:access']"
            )
        return value


class RefreshConfig(BaseModel):
    """When role credentials and access tokens are refreshed.

    ``advisory_timeout``: seconds before expiry at which one caller refreshes while the others
    keep using the current credentials (a failure here is logged and tolerated).
    ``mandatory_timeout``: seconds before expiry at which every caller waits for a successful
    refresh (a failure here is raised). ``token_refresh_window``: seconds before the access
    token expires at which the default token provider refreshes it.
    """

    model_config = _frozen_config()

    defer_refresh: bool = True
    advisory_timeout: float = Field(default=900.0, gt=0)
    mandatory_timeout: float = Field(default=600.0, gt=0)
    token_refresh_window: float = Field(default=900.0, ge=0)
    #: How long a sign-in lasts (the administrator's setting); None: unknown.
    sso_session_duration: timedelta | None = None
    #: With login="auto": sign in again this long before the sign-in session ends.
    relogin_ahead: timedelta | None = None

    @field_validator("sso_session_duration", "relogin_ahead")
    @classmethod
    def _positive_duration(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value.total_seconds() <= 0:
            raise ValueError("must be a positive duration (seconds or a timedelta)")
        return value

    @field_validator("mandatory_timeout")
    @classmethod
    def _mandatory_below_advisory(cls, value: float, info: ValidationInfo) -> float:
        advisory = info.data.get("advisory_timeout")
        if advisory is not None and value >= advisory:
            raise ValueError(
                f"mandatory_timeout must be smaller than advisory_timeout ({advisory:g}): "
                "the advisory window opens first, e.g. advisory 900, mandatory 600"
            )
        return value


class EndpointConfig(BaseModel):
    """Explicit endpoint URLs; None means botocore's usual resolution (AWS_ENDPOINT_URL_* first)."""

    model_config = _frozen_config()

    sso: str | None = None
    sso_oidc: str | None = None
    sts: str | None = None
    # The console federation endpoint (getSigninToken / login); None: FEDERATION_ENDPOINT_ENV,
    # else the partition's https://signin.../federation.
    federation: str | None = None

    @field_validator("sso", "sso_oidc", "sts")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return _check_url(value, f"endpoint {info.field_name}")

    @field_validator("federation")
    @classmethod
    def _federation_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, "endpoint federation")


class CacheConfig(BaseModel):
    """The per-session client/resource cache: eviction policy and bound (0 disables caching)."""

    model_config = _frozen_config()

    eviction_policy: Literal["LRU", "LFU"] = "LRU"
    max_size: int = Field(default=64, ge=0)


class StorageConfig(BaseModel):
    """Where a session keeps what it shares with other processes: the token and role credentials.

    By default both live in the AWS CLI's files (``~/.aws/sso/cache`` and ``~/.aws/cli/cache``),
    locked and written atomically, so every process on the host and the AWS CLI share one
    sign-in and one set of role credentials. A dict-like store keeps them in memory instead
    (nothing of the sign-in then reaches disk); the store is kept as given, never copied, and
    left out of ``repr``. Where the *secrets* of a sign-in live (files or the OS keyring) is
    ``SSOConfig.token_storage``, because it belongs to the sign-in and is remembered with it.

    Attributes:
        cache_credentials: Share role credentials through the credential cache (files or
            ``credential_cache``) across processes; False keeps them in this session only.
        token_cache_dir: The directory of the token cache (None: ``~/.aws/sso/cache``).
        credential_cache_dir: The directory of the role credential cache (None:
            ``~/.aws/cli/cache``).
        token_cache: A dict-like store in place of the token cache files (token and client
            registration); not usable together with a session's ``token_provider``.
        credential_cache: A dict-like store in place of the role credential cache files.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )

    cache_credentials: bool = True
    token_cache_dir: Path | None = None
    credential_cache_dir: Path | None = None
    # kept as given (the caller's object, never a copy), checked by _mapping below
    token_cache: SkipValidation[MutableMapping[str, Any] | None] = Field(default=None, repr=False)
    credential_cache: SkipValidation[MutableMapping[str, Any] | None] = Field(
        default=None, repr=False
    )

    @field_validator("token_cache", "credential_cache", mode="before")
    @classmethod
    def _mapping(cls, value: object) -> object:
        if value is None or isinstance(value, MutableMapping):
            return value
        raise ValueError(
            "expected a dict or other MutableMapping (or None for the AWS CLI's files), got "
            f"{type(value).__name__}"
        )

    def fields_given(self) -> dict[str, Any]:
        """The fields set to something other than their default, by name (the mappings kept
        as the very objects given)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class HttpConfig(BaseModel):
    """Timeouts and retries (with botocore's backoff) for the SSO, SSO-OIDC and STS calls.

    The one HTTP settings type: sessions take it as ``http=``, and ``login()``, ``logout()``,
    the token providers and the client factories take the same object.
    (``refreshable_sso.aws.clients.HttpSettings`` is another name for it, kept for old imports.)

    The defaults bound a hung endpoint: 3 attempts x 4 s read timeout plus at most about 3 s of
    backoff, so the first error reaches the caller within about 20 s (a black-holed address:
    3 x 3 s connect timeout). IAM Identity Center answers in well under a second when healthy.

    Attributes:
        connect_timeout: Seconds to wait for a TCP/TLS connection, per attempt (> 0).
        read_timeout: Seconds to wait for an answer once connected, per attempt (> 0).
        max_attempts: Attempts per call, the first included (1-20). botocore's ``standard``
            mode retries 5xx, 429 and timeouts with exponential backoff and jitter; we do not
            write our own loop.
        retry_mode: botocore's retry mode: ``"standard"``, ``"adaptive"`` or ``"legacy"``.
    """

    model_config = _frozen_config()

    connect_timeout: float = Field(default=3.0, gt=0)
    read_timeout: float = Field(default=4.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_mode: Literal["standard", "adaptive", "legacy"] = "standard"

    @property
    def worst_case_wait(self) -> float:
        """Seconds one call can take against a hung endpoint, backoff excluded."""
        return self.max_attempts * (self.connect_timeout + self.read_timeout)

    def botocore_config(self, *, unsigned: bool) -> BotocoreConfig:
        """The ``botocore.config.Config`` for a client with these settings.

        Args:
            unsigned: True for the SSO portal and SSO-OIDC clients (a bearer token or nothing
                travels instead of a SigV4 signature).
        """
        from botocore import UNSIGNED  # botocore loads only when a client is made
        from botocore.config import Config

        options: dict[str, Any] = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            # total_max_attempts counts the first try; botocore's max_attempts would not
            "retries": {"total_max_attempts": self.max_attempts, "mode": self.retry_mode},
            "user_agent_extra": "refreshable-sso",
        }
        if unsigned:
            options["signature_version"] = UNSIGNED
        return Config(**options)

    def to_settings(self) -> HttpConfig:
        """This object (there is one HTTP settings type now; kept for existing callers)."""
        return self


class SessionConfig(BaseModel):
    """Everything a session needs, validated in one pass so every problem is reported at once."""

    model_config = _frozen_config()

    sso: SSOConfig
    refresh: RefreshConfig = RefreshConfig()
    endpoints: EndpointConfig = EndpointConfig()
    cache: CacheConfig = CacheConfig()
    http: HttpConfig = HttpConfig()
    login: Literal["never", "auto"] = "never"
    login_flow: Literal["auto", "pkce", "device"] | None = None


# How to fix what pydantic's built-in checks reject, by field name.
_FIX_HINTS: dict[str, str] = {
    "start_url": "the AWS access portal URL, e.g. 'https://d-1234567890.awsapps.com/start'",
    "sso_region": "the region where IAM Identity Center is enabled, e.g. 'us-east-1'",
    "account_id": "the 12-digit AWS account id as a string, e.g. '111111111111'",
    "role_name": "the permission set / role name, e.g. 'ReadOnlyAccess'",
    "sso_session_name": "the NAME of an [sso-session NAME] section in ~/.aws/config, or None",
    "registration_scopes": "a list of scopes, e.g. ['sso:account:access']",
    "token_storage": "'file' (the AWS CLI's files) or 'keyring' (the OS keyring)",
    "token_export": "'short-lived' (the access token alone to the AWS CLI's file) or 'none'",
    "defer_refresh": "True (fetch on first use) or False (fetch now)",
    "advisory_timeout": "a positive number of seconds larger than mandatory_timeout, e.g. 900",
    "mandatory_timeout": "a positive number of seconds smaller than advisory_timeout, e.g. 600",
    "token_refresh_window": "a number of seconds >= 0, e.g. 900",
    "sso_session_duration": "the sign-in session length your administrator set, in seconds or a timedelta, e.g. 28800 (8 h)",
    "relogin_ahead": "a timedelta (or seconds) before the sign-in ends, e.g. timedelta(minutes=30)",
    "eviction_policy": "'LRU' or 'LFU'",
    "max_size": "an integer >= 0 (0 turns the client cache off)",
    "connect_timeout": "a positive number of seconds, e.g. 3",
    "read_timeout": "a positive number of seconds, e.g. 4",
    "max_attempts": "an integer from 1 to 20 (attempts including the first)",
    "retry_mode": "'standard', 'adaptive' or 'legacy'",
    "login": "'never' (raise LoginRequiredError) or 'auto' (sign in interactively when needed)",
    "login_flow": "'auto' (browser, device code where none can open), 'pkce' or 'device'; None reads REFRESHABLE_SSO_LOGIN_FLOW",
    "sso": "the SSO target: start_url, sso_region, account_id, role_name",
}


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _describe_value(field: str, value: Any) -> str:
    """A short rendering of the rejected value: masked for secret-looking fields and URLs with userinfo."""
    if _is_secret_name(field):
        return "'***'"
    if isinstance(value, str):
        parts = urlsplit(value) if "://" in value else None
        if parts is not None and (parts.username or parts.password):
            return "(a URL with credentials, masked)"
        shown = value if len(value) <= 80 else value[:77] + "..."
        return repr(shown)
    if isinstance(value, (int, float, bool)) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One human line per problem: field, what is wrong (value masked if secret), how to fix it."""
    problems: list[str] = []
    for error in exc.errors(include_url=False, include_input=True):
        location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        field = location[-1] if location else "configuration"
        if location and location[0] in ("sso", "refresh", "endpoints", "cache", "http"):
            location = location[1:] or location
        name = ".".join(location) or field
        kind = error.get("type", "")
        message = str(error.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if message.startswith(f"{field} "):
            message = message[len(field) + 1 :]
        hint = _FIX_HINTS.get(field, "")
        if kind == "missing":
            line = f"{name}: required but missing" + (f"; pass {hint}" if hint else "")
        elif kind == "extra_forbidden":
            line = f"{name}: unknown setting; check the spelling (allowed names are documented in docs/configuration.md)"
        else:
            shown = _describe_value(field, error.get("input"))
            line = f"{name}: {message} (got {shown})"
            if hint and kind != "value_error":
                line += f"; expected {hint}"
        problems.append(line)
    return problems


def configuration_error(
    exc: ValidationError, what: str = "SSO session configuration"
) -> ConfigurationError:
    """Turn pydantic's ``ValidationError`` into our ``ConfigurationError`` listing every problem."""
    problems = describe_validation_error(exc)
    count = len(problems)
    message = f"Invalid {what} ({count} problem{'s' if count != 1 else ''}):\n" + "\n".join(
        f"  - {line}" for line in problems
    )
    error = ConfigurationError(message, problems)
    error.__cause__ = exc
    return error


Model = TypeVar("Model", bound=BaseModel)


def validate(
    model: type[Model], value: Model | Mapping[str, Any] | None = None, /, **fields: Any
) -> Model:
    """Build ``model`` from an instance, a mapping and/or keyword fields (keywords win).

    Raises ``ConfigurationError`` listing every bad field (values of secret-looking fields masked).
    """
    if isinstance(value, model) and not fields:
        return value
    data: dict[str, Any] = {}
    if isinstance(value, BaseModel):
        data.update(value.model_dump())
    elif value is not None:
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"Invalid {model.__name__}: expected a {model.__name__} or a dict, "
                f"got {type(value).__name__}",
                [f"{model.__name__}: expected a {model.__name__} or a dict"],
            )
        data.update(value)
    data.update(fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise configuration_error(exc, model.__name__) from exc


def _section(value: Any, name: str, model: type[BaseModel], problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        if not isinstance(value, model):
            problems.append(
                f"{name}: expected a {model.__name__} or a dict, got {type(value).__name__}"
            )
            return {}
        return value.model_dump()
    if isinstance(value, Mapping):
        return dict(value)
    problems.append(f"{name}: expected a {model.__name__} or a dict, got {type(value).__name__}")
    return {}


def validate_session_config(
    *,
    sso: SSOConfig | Mapping[str, Any] | None = None,
    refresh: RefreshConfig | Mapping[str, Any] | None = None,
    endpoints: EndpointConfig | Mapping[str, Any] | None = None,
    cache: CacheConfig | Mapping[str, Any] | None = None,
    http: HttpConfig | Mapping[str, Any] | None = None,
    login: str = "never",
    login_flow: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    extra_problems: Sequence[str] = (),
) -> SessionConfig:
    """Merge models/dicts with keyword overrides (None values ignored) and validate all at once.

    ``overrides`` maps a section name ("sso", "refresh", ...) to fields given as plain keyword
    arguments; they win over the same field in the model or dict for that section.
    ``extra_problems`` are problems the caller found in arguments outside these models; they
    are reported together with the rest.
    """
    problems: list[str] = list(extra_problems)
    sections: dict[str, Any] = {
        "sso": _section(sso, "sso", SSOConfig, problems),
        "refresh": _section(refresh, "refresh", RefreshConfig, problems),
        "endpoints": _section(endpoints, "endpoints", EndpointConfig, problems),
        "cache": _section(cache, "cache", CacheConfig, problems),
        "http": _section(http, "http", HttpConfig, problems),
    }
    for section, fields in (overrides or {}).items():
        sections[section].update({k: v for k, v in fields.items() if v is not None})
    data: dict[str, Any] = {key: value for key, value in sections.items() if value or key == "sso"}
    data["login"] = login
    data["login_flow"] = login_flow
    try:
        config = SessionConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe_validation_error(exc))
        count = len(problems)
        message = (
            f"Invalid SSO session configuration ({count} problem{'s' if count != 1 else ''}):\n"
        )
        raise ConfigurationError(
            message + "\n".join(f"  - {p}" for p in problems), problems
        ) from exc
    if problems:
        raise ConfigurationError(
            "Invalid SSO session configuration:\n" + "\n".join(f"  - {p}" for p in problems),
            problems,
        )
    return config


# -- role chaining (sts:AssumeRole hops on top of the SSO role) ---------------------------------

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}$")
_ROLE_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_MFA_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


class AssumeRoleConfig(BaseModel):
    """One ``sts:AssumeRole`` hop, signed with the credentials of the hop before it.

    ``mfa_token_provider`` (a callable, an argv list or a static code; see ``refreshable_sso.mfa``)
    is asked for a code on every AssumeRole of a hop with ``mfa_serial``.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )

    role_arn: str
    role_session_name: str | None = None
    external_id: str | None = None
    duration_seconds: int | None = Field(default=None, ge=900, le=43200)
    policy: str | None = None
    tags: dict[str, str] | None = None
    source_identity: str | None = None
    mfa_serial: str | None = None
    mfa_token_provider: Any = Field(default=None, repr=False)

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str) -> str:
        if not _ROLE_ARN.match(value):
            raise ValueError(
                "role_arn must be an IAM role ARN such as 'arn:aws:iam::222222222222:role/Deploy'"
            )
        return value

    @field_validator("role_session_name", "source_identity")
    @classmethod
    def _session_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _ROLE_SESSION_NAME.match(value):
            raise ValueError(
                f"{info.field_name} must be 2-64 characters of letters, digits and + = , . @ _ -"
            )
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is not None and not _EXTERNAL_ID.match(value):
            raise ValueError(
                "external_id must be 2-1224 characters of letters, digits and + = , . @ : / _ -"
            )
        return value

    @field_validator("mfa_serial")
    @classmethod
    def _mfa_serial(cls, value: str | None) -> str | None:
        if value is not None and not _MFA_SERIAL.match(value):
            raise ValueError(
                "mfa_serial must be an MFA device ARN such as 'arn:aws:iam::111111111111:mfa/alice'"
            )
        return value

    @field_validator("policy", mode="before")
    @classmethod
    def _policy(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return json.dumps(value)
        if isinstance(value, str):
            try:
                loaded = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(
                    "policy must be a JSON policy document (a dict or its JSON text)"
                ) from None
            if not isinstance(loaded, dict):
                raise ValueError("policy must be a JSON object with 'Version' and 'Statement'")
        return value

    @model_validator(mode="after")
    def _mfa_pair(self) -> AssumeRoleConfig:
        if self.mfa_token_provider is not None:
            if self.mfa_serial is None:
                raise ValueError("mfa_token_provider needs mfa_serial (the MFA device ARN) as well")
            from refreshable_sso.mfa import mfa_token_provider

            mfa_token_provider(self.mfa_token_provider)  # refuses a shape it cannot use
        return self


def parse_assume_role(value: object) -> tuple[tuple[AssumeRoleConfig, ...], list[str]]:
    """``assume_role=``: one hop (model or dict) or a list of them; (hops, problems)."""
    if value is None:
        return (), []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        return (), ["assume_role: an empty list; pass None for no role chaining"]
    hops: list[AssumeRoleConfig] = []
    problems: list[str] = []
    for i, item in enumerate(items):
        where = "assume_role" if len(items) == 1 else f"assume_role[{i}]"
        if isinstance(item, AssumeRoleConfig):
            hops.append(item)
            continue
        if not isinstance(item, Mapping):
            problems.append(
                f"{where}: expected an AssumeRoleConfig or a dict, got {type(item).__name__}"
            )
            continue
        try:
            hops.append(AssumeRoleConfig.model_validate(dict(item)))
        except ValidationError as exc:
            problems.extend(f"{where}.{line}" for line in describe_validation_error(exc))
        except ConfigurationError as exc:
            problems.extend(f"{where}.mfa_token_provider: {p}" for p in exc.problems or [str(exc)])
    return tuple(hops), problems


__all__ = [
    "AssumeRoleConfig",
    "CacheConfig",
    "EndpointConfig",
    "HttpConfig",
    "RefreshConfig",
    "SSOConfig",
    "SessionConfig",
    "StorageConfig",
    "configuration_error",
    "describe_validation_error",
    "parse_assume_role",
    "validate",
    "validate_session_config",
]
