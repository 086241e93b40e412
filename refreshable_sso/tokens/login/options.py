"""``LoginOptions``: everything about a sign-in except whose it is, as one frozen object.

A sign-in has a dozen knobs (flow, browser, message, callback, timeout, cancel event, scopes,
endpoint, HTTP settings, where the token goes and whether it goes to the OS keyring). They used to travel as a dozen keywords through
four layers (``login()`` -> the provider factory -> the PKCE provider -> the base provider), and
whatever the chain could not carry was patched onto the built provider afterwards. Now
``login()``, ``logout()``, the CLI, ``compat.login`` and a session's wiring build one
``LoginOptions`` and hand it whole to the providers, which read it and nothing else. The
old keywords still work: they build the object (``LoginOptions.from_keywords``).

Validated with pydantic like the rest of the user-facing configuration; a bad value is a
``ConfigurationError`` naming the field. The token store is left out of ``repr`` (a dict-like
store holds access tokens).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    InstanceOf,
    SkipValidation,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from refreshable_sso.config import HttpConfig, configuration_error
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.storage.keyring import TokenExport, TokenStorage, TokenStorageKind
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from refreshable_sso.tokens.store import TokenCache

#: ``prompt_callback(verification_uri, user_code, verification_uri_complete, expires_at)``.
PromptCallback = Callable[[str, str, str, datetime], None]
#: Opens a URL in a browser the person can use; returns False when it could not.
BrowserOpener = Callable[[str], bool]
#: Where a login's messages go (default: stderr).
Notifier = Callable[[str], None]
LoginFlow = Literal["auto", "pkce", "device"]

DEFAULT_LOGIN_TIMEOUT = 600.0
#: A cached token is handed out by an interactive provider while more than this remains.
DEFAULT_REUSE_MARGIN = 300.0
#: Seconds added to the device-code polling interval on each ``SlowDown`` (RFC 8628 3.5).
SLOW_DOWN_STEP = 5.0

_TEMPLATE_FIELDS = {
    "url": "https://example.invalid/device",
    "code": "ABCD-EFGH",
    "url_complete": "https://example.invalid/device?user_code=ABCD-EFGH",
    "expires_at": "2030-01-01T00:00:00+00:00",
}


class LoginOptions(BaseModel):
    """How a sign-in runs and where its result goes: one frozen, validated object.

    Build it once and pass it whole: ``login(..., options=)``, ``logout(..., options=)``,
    ``DeviceCodeProvider(..., options=)``, ``AuthorizationCodeProvider(..., options=)`` and
    ``default_interactive_provider(sso, options=)`` all take it. Whose sign-in it is (start URL,
    region, sso-session) is not part of it, so one object serves several sign-ins, except for
    ``token_store``, which belongs to one.

    Attributes:
        flow: ``"auto"`` (browser sign-in with PKCE, the device code where no browser can
            open), ``"pkce"`` (browser only) or ``"device"`` (device code); None reads
            ``REFRESHABLE_SSO_LOGIN_FLOW`` when the provider is chosen (default ``"auto"``).
        open_browser: False never opens a browser: the person is shown the URL and code to open
            elsewhere (``--no-browser``).
        message: A template for the instructions shown to the person, with the fields
            ``{url}``, ``{code}``, ``{url_complete}`` and ``{expires_at}``; None uses ours.
            Checked here, so a typo fails now and not in the middle of a login.
        prompt_callback: Takes over telling the person completely:
            ``f(verification_uri, user_code, verification_uri_complete, expires_at)``; nothing
            is written to stderr then.
        browser_opener: Opens a URL in a browser the person can use, ``f(url) -> bool``
            (False: it could not); None uses Python's ``webbrowser`` where a display exists.
        notifier: Where the instructions go, ``f(text)``; None writes them to stderr.
        timeout: Seconds a sign-in may take before ``LoginTimeoutError`` (> 0).
        cancel_event: A ``threading.Event``; setting it cancels the running login at once
            (``LoginCancelledError``), and every later one until it is cleared.
        scopes: The OAuth scopes the client registers for; ``sso:account:access`` gives a token
            with a refresh token. Non-empty.
        reuse_margin: An interactive provider hands out the cached token while more than this
            many seconds remain (>= 0).
        slow_down_step: Seconds added to the device-code polling interval whenever the server
            says ``SlowDown`` (>= 0; RFC 8628 says 5).
        oidc_endpoint_url: The SSO-OIDC endpoint (e.g. the local emulator); None uses
            ``AWS_ENDPOINT_URL_SSO_OIDC`` or the region's public endpoint.
        cache_dir: The folder of the token and client-registration files (default
            ``~/.aws/sso/cache``, shared with the AWS CLI).
        http: Timeouts and retries for the SSO-OIDC calls (:class:`HttpConfig` or a dict).
        token_cache: A dict-like store (aws-sso-lib's ``sso_cache``, a session's
            ``token_cache=``) that holds the token and the client registration in place of the
            files in ``cache_dir``: with it a sign-in writes nothing to disk. Left out of
            ``repr``.
        new_session: End the current sign-in session first (``sso:Logout`` with the cached
            token, refreshed first if needed), so the sign-in really starts a new session with
            its full duration. Without it, an approval in a browser whose portal session still
            lives joins that session and the end does not move (aws/aws-cli#9041).
        sso_endpoint_url: The SSO portal endpoint ``sso:Logout`` is sent to for
            ``new_session`` (e.g. the local emulator); None uses ``AWS_ENDPOINT_URL_SSO`` or
            AWS's own.
        token_store: The very ``TokenCache`` the sign-in writes its token through, when
            someone else reads the same one (a session's token reader and login policy share
            one object with our sign-in). It must belong to the provider's start URL and
            sso-session. None: the provider makes its own over ``cache_dir``/``token_cache``
            and ``token_storage``.
        token_storage: Where the sign-in keeps its token and client registration:
            ``"file"`` (the AWS CLI's files in ``cache_dir``, the default) or ``"keyring"``
            (the OS keyring; a missing or locked one raises ``KeyringUnavailableError``, never
            a plain-text fallback). None means ``"file"``. Ignored with ``token_cache``.
        token_export: With ``token_storage="keyring"``, what reaches the AWS CLI's token file:
            ``"short-lived"`` (the access token alone, the default) or ``"none"``. None means
            ``"short-lived"``.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )

    flow: LoginFlow | None = None
    open_browser: bool = True
    message: str | None = None
    prompt_callback: PromptCallback | None = None
    browser_opener: BrowserOpener | None = None
    notifier: Notifier | None = None
    timeout: float = DEFAULT_LOGIN_TIMEOUT
    cancel_event: InstanceOf[threading.Event] | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    reuse_margin: float = Field(default=DEFAULT_REUSE_MARGIN, ge=0)
    slow_down_step: float = Field(default=SLOW_DOWN_STEP, ge=0)
    oidc_endpoint_url: str | None = None
    cache_dir: Path | None = None
    http: HttpConfig = HttpConfig()
    # kept as given (the caller's object, never a copy), checked by _token_cache
    token_cache: SkipValidation[MutableMapping[str, Any] | None] = Field(default=None, repr=False)
    token_store: InstanceOf[TokenCache] | None = None
    token_storage: TokenStorageKind = "file"  # noqa: S105 (a storage kind)
    token_export: TokenExport = "short-lived"  # noqa: S105 (a mode name)
    new_session: bool = False
    sso_endpoint_url: str | None = None

    def __init__(self, **fields: Any) -> None:
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise configuration_error(exc, "LoginOptions") from exc

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("the login timeout must be a positive number of seconds")
        return value

    @field_validator("message")
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            value.format(**_TEMPLATE_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"the message template is invalid ({type(exc).__name__}: {exc}); use the "
                "fields {url}, {code}, {url_complete} and {expires_at}, and double any literal "
                "braces"
            ) from None
        return value

    @field_validator("token_storage", "token_export", mode="before")
    @classmethod
    def _storage_default(cls, value: object, info: ValidationInfo) -> object:
        # None is "not chosen" (a profile or CLI flag that says nothing): the default
        if value is None:
            return cls.model_fields[info.field_name or ""].default
        return value

    def storage(self) -> TokenStorage:
        """Where this sign-in's token cache and client registration keep their secrets."""
        return TokenStorage(self.token_storage, self.token_export)

    @field_validator("token_cache", mode="before")
    @classmethod
    def _token_cache(cls, value: object) -> object:
        if value is not None and not isinstance(value, MutableMapping):
            raise ValueError(
                "token_cache must be a dict or other MutableMapping (or None for the files)"
            )
        return value

    @field_validator("scopes", mode="before")
    @classmethod
    def _scopes(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError("scopes must be a list of scopes, not one string")
        if value is None or (isinstance(value, (list, tuple)) and not value):
            raise ValueError("scopes must be a non-empty list such as ['sso:account:access']")
        return value

    @classmethod
    def from_keywords(
        cls, options: LoginOptions | None, where: str, /, **keywords: Any
    ) -> LoginOptions:
        """``options`` itself, or a new object from the separate keywords of ``where``.

        This is how the old keyword arguments keep working: a caller passes either the object
        or the keywords. A keyword that differs from its default next to ``options`` is a
        ``ConfigurationError`` naming it (which of the two should win would be a guess).

        Args:
            options: The object the caller passed (returned unchanged, same identity).
            where: The function or class the keywords were given to, for the error message.
            **keywords: The keyword arguments, named as ``LoginOptions`` fields.
        """
        if options is None:
            return cls(**keywords)
        if not isinstance(options, LoginOptions):
            raise ConfigurationError(
                f"{where}: options must be a LoginOptions, got {type(options).__name__}",
                [f"options: expected a LoginOptions, got {type(options).__name__}"],
            )
        both = [
            name
            for name, value in keywords.items()
            if not _is_default(value, cls.model_fields[name].default)
        ]
        if both:
            names = ", ".join(both)
            raise ConfigurationError(
                f"{where}: {names} given both as keyword(s) and through options=; set them in "
                "the LoginOptions only",
                [f"{name}: given both as a keyword and in options" for name in both],
            )
        return options


def _is_default(value: object, default: object) -> bool:
    if value is default:
        return True
    if isinstance(value, (MutableMapping, threading.Event, TokenCache)) or callable(value):
        return False  # compared by identity only
    try:
        return bool(value == default)
    except Exception:  # an odd type: treat it as given
        return False


__all__ = [
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_REUSE_MARGIN",
    "SLOW_DOWN_STEP",
    "BrowserOpener",
    "LoginFlow",
    "LoginOptions",
    "Notifier",
    "PromptCallback",
]
