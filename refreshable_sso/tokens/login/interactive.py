"""What the interactive logins share: telling the person, opening a browser, waiting, storing.

The device-code and authorization-code providers differ in protocol but not in how they reach
a person or where the result goes. This module is the one place library code writes to stderr
(``notify_stderr``): a login nobody is told about would just hang. Everything here can be
replaced by the caller: a ``message`` template, a ``prompt_callback`` that takes over
completely, a ``browser_opener``. ``InteractiveTokenProvider`` stores each login in the token
cache the AWS CLI and botocore share, so one sign-in serves ``aws``, plain boto3 and us.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso import _clock
from refreshable_sso.aws import clients as _aws
from refreshable_sso.config import HttpConfig
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    LoginCancelledError,
    LoginRequiredError,
    LoginTimeoutError,
    TokenProviderError,
)
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.login.options import (
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_REUSE_MARGIN,
    SLOW_DOWN_STEP,
    BrowserOpener,
    LoginFlow,
    LoginOptions,
    Notifier,
    PromptCallback,
)
from refreshable_sso.tokens.registration import DEFAULT_SCOPES, ClientRegistrar, ClientRegistration
from refreshable_sso.tokens.store import TokenCache

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.tokens.interactive")

LOGIN_FLOWS: tuple[str, ...] = ("auto", "pkce", "device")
#: Environment variable that chooses the login flow once for every program of a user.
LOGIN_FLOW_ENV = "REFRESHABLE_SSO_LOGIN_FLOW"
DISABLE_BROWSER_ENV = "AWS_SSO_DISABLE_BROWSER"

DEFAULT_DEVICE_MESSAGE = (
    "To sign in to AWS IAM Identity Center, open this page in a browser:\n\n"
    "    {url}\n\n"
    "and enter the code:\n\n"
    "    {code}\n\n"
    "(or open {url_complete} , which carries the code)\n"
)
DEFAULT_AUTHORIZE_MESSAGE = (
    "Signing in to AWS IAM Identity Center in your browser. If no page opened, open:\n\n    {url}\n"
)
_TEMPLATE_FIELDS = {
    "url": "https://example.invalid/device",
    "code": "ABCD-EFGH",
    "url_complete": "https://example.invalid/device?user_code=ABCD-EFGH",
    "expires_at": "2030-01-01T00:00:00+00:00",
}


def notify_stderr(text: str) -> None:
    """Write a login instruction to stderr (the one deliberate exception to "never print")."""
    stream = sys.stderr
    if stream is None:  # pythonw and friends: nowhere to write
        logger.warning("cannot show login instructions: no stderr")
        return
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def browser_unavailable_reason(
    environ: Mapping[str, str] | None = None,
    *,
    platform: str | None = None,
    path_exists: Callable[[str], bool] = os.path.exists,
) -> str | None:
    """Why no browser can be opened on this machine for the person (None: one probably can).

    Looks at ``AWS_SSO_DISABLE_BROWSER``, SSH sessions without a forwarded display, containers
    and Linux/BSD desktops without ``DISPLAY``/``WAYLAND_DISPLAY``, then asks ``webbrowser``.
    """
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if _truthy(env.get(DISABLE_BROWSER_ENV)):
        return f"{DISABLE_BROWSER_ENV} is set"
    has_display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    if (
        env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT")
    ) and not has_display:
        return "this is an SSH session without a forwarded display"
    in_container = (
        bool(env.get("container"))
        or path_exists("/.dockerenv")
        or path_exists("/run/.containerenv")
    )
    if in_container and not has_display:
        return "this runs in a container without a display"
    desktop_needs_display = plat.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if desktop_needs_display and not has_display and not env.get("BROWSER"):
        return "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
    if environ is None:
        try:
            webbrowser.get()
        except webbrowser.Error:
            return "Python's webbrowser module found no browser"
    return None


def open_with_webbrowser(url: str) -> bool:
    """Open ``url`` with the standard library's ``webbrowser`` (False when it could not)."""
    try:
        return bool(webbrowser.open(url, new=1, autoraise=True))
    except webbrowser.Error as exc:
        logger.info("could not open a browser: %s", exc)
        return False


def check_message_template(message: str | None) -> None:
    """Fail at construction, not mid-login, when a ``message`` template has an unknown field."""
    if message is None:
        return
    if not isinstance(message, str):
        raise ConfigurationError("message must be a string template using {url} and {code}")
    try:
        message.format(**_TEMPLATE_FIELDS)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigurationError(
            f"message template is invalid ({type(exc).__name__}: {exc}); use the fields "
            "{url}, {code}, {url_complete} and {expires_at}, and double any literal braces"
        ) from exc


def resolve_login_flow(flow: str | None) -> LoginFlow:
    """The login flow: the argument, else ``REFRESHABLE_SSO_LOGIN_FLOW``, else ``auto``."""
    chosen = flow if flow is not None else os.environ.get(LOGIN_FLOW_ENV, "").strip().lower()
    chosen = chosen or "auto"
    if chosen == "auto":
        return "auto"
    if chosen == "pkce":
        return "pkce"
    if chosen == "device":
        return "device"
    source = "flow" if flow is not None else LOGIN_FLOW_ENV
    raise ConfigurationError(
        f"{source} must be one of 'auto' (browser sign-in, device code where no browser can "
        f"open), 'pkce' or 'device'; got {chosen!r}"
    )


@dataclass
class UserPrompt:
    """How one login reaches the person: browser, message template, callback, notifier."""

    open_browser: bool = True
    message: str | None = None
    prompt_callback: PromptCallback | None = None
    browser_opener: BrowserOpener | None = None
    notifier: Notifier = field(default=notify_stderr)

    def __post_init__(self) -> None:
        check_message_template(self.message)
        if self.prompt_callback is not None and not callable(self.prompt_callback):
            raise ConfigurationError(
                "prompt_callback must be callable as "
                "f(verification_uri, user_code, verification_uri_complete, expires_at)"
            )
        if self.browser_opener is not None and not callable(self.browser_opener):
            raise ConfigurationError("browser_opener must be callable as f(url) -> bool")

    def browser(self) -> tuple[BrowserOpener | None, str | None]:
        """The opener to use, or None with the reason there is none."""
        if not self.open_browser:
            return None, "opening a browser was disabled (open_browser=False / --no-browser)"
        if self.browser_opener is not None:
            return self.browser_opener, None
        reason = browser_unavailable_reason()
        if reason is not None:
            return None, reason
        return open_with_webbrowser, None

    def show_device_code(
        self,
        verification_uri: str,
        user_code: str,
        verification_uri_complete: str,
        expires_at: datetime,
    ) -> None:
        """Tell the person where to approve a device code (callback, or browser + message)."""
        if self.prompt_callback is not None:
            self.prompt_callback(verification_uri, user_code, verification_uri_complete, expires_at)
            return
        opener, reason = self.browser()
        if opener is not None:
            opened = _call_opener(opener, verification_uri_complete)
            logger.info("browser %s for the device code", "opened" if opened else "did not open")
        else:
            logger.info("not opening a browser: %s", reason)
        template = self.message if self.message is not None else DEFAULT_DEVICE_MESSAGE
        self.notifier(
            template.format(
                url=verification_uri,
                code=user_code,
                url_complete=verification_uri_complete,
                expires_at=expires_at.isoformat(),
            )
        )

    def show_authorize_url(self, opener: BrowserOpener, url: str, expires_at: datetime) -> bool:
        """Open the authorization page; True if the opener says a browser took it."""
        opened = _call_opener(opener, url)
        if not opened:
            return False
        if self.prompt_callback is not None:
            self.prompt_callback(url, "", url, expires_at)
        else:
            template = self.message if self.message is not None else DEFAULT_AUTHORIZE_MESSAGE
            self.notifier(
                template.format(
                    url=url, code="", url_complete=url, expires_at=expires_at.isoformat()
                )
            )
        return True


def _call_opener(opener: BrowserOpener, url: str) -> bool:
    try:
        return bool(opener(url))
    except Exception as exc:  # a broken opener must not break the login: fall back
        logger.warning(
            "browser opener failed (%s); continuing without a browser", type(exc).__name__
        )
        return False


class CancellableWait:
    """Sleeps that end early on a cancel event, Ctrl-C, or the login's own deadline.

    ``wait(seconds)`` is how the providers sleep between polls: event based, so a test (or a
    GUI's cancel button) stops a login at once instead of after a poll interval.
    """

    def __init__(
        self,
        cancel_event: threading.Event | None,
        deadline: float,
        clock: Callable[[], float],
        what: str,
        timeout: float,
    ) -> None:
        self._event = cancel_event if cancel_event is not None else threading.Event()
        self._deadline = deadline
        self._clock = clock
        self._what = what
        self._timeout = timeout

    @property
    def event(self) -> threading.Event:
        return self._event

    def remaining(self) -> float:
        return self._deadline - self._clock()

    def check(self) -> None:
        """Raise if cancelled or past the deadline."""
        if self._event.is_set():
            raise LoginCancelledError(f"{self._what} was cancelled")
        if self.remaining() <= 0:
            raise LoginTimeoutError(
                f"{self._what} did not complete within {self._timeout:g} s "
                "(nobody approved it in time; run the login again, or raise timeout=)"
            )

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds`` (never past the deadline), then ``check()``."""
        self.check()
        try:
            _clock.wait(self._event, max(0.0, min(seconds, self.remaining())))
        except KeyboardInterrupt as exc:
            raise LoginCancelledError(f"{self._what} was cancelled (Ctrl-C)") from exc
        self.check()


class InteractiveTokenProvider:
    """Base of the providers that sign a person in; subclasses implement ``_login``.

    ``get_token()`` hands out the cached token while more than ``reuse_margin`` seconds remain
    (unless ``force_refresh``), otherwise runs a login, stores the result (with its refresh
    token and client registration) in the shared token cache and returns it. One login runs
    at a time per provider object; ``login.policy`` serialises logins across processes.

    Everything but whose sign-in it is comes in one :class:`LoginOptions` (``options=``),
    kept as ``self.options``. The separate keywords below are the older spelling of the same
    fields: they build the ``LoginOptions`` when ``options`` is not given, and must be left
    at their defaults when it is.

    Args:
        start_url: The AWS access portal URL (``https://...``) of IAM Identity Center.
        sso_region: The region where IAM Identity Center is enabled, e.g. ``"us-east-1"``.
        sso_session_name: The ``[sso-session NAME]`` this sign-in belongs to (None: a legacy
            profile, keyed by the start URL); names the token file as the AWS CLI does.
        options: How the sign-in runs and where the token goes (see :class:`LoginOptions`).
        scopes: See ``LoginOptions.scopes``.
        open_browser: See ``LoginOptions.open_browser``.
        message: See ``LoginOptions.message``.
        prompt_callback: See ``LoginOptions.prompt_callback``.
        timeout: See ``LoginOptions.timeout``.
        cancel_event: See ``LoginOptions.cancel_event``.
        oidc_endpoint_url: See ``LoginOptions.oidc_endpoint_url``.
        cache_dir: See ``LoginOptions.cache_dir``.
        http: See ``LoginOptions.http``.
        browser_opener: See ``LoginOptions.browser_opener``.
        notifier: See ``LoginOptions.notifier`` (default: stderr).
        reuse_margin: See ``LoginOptions.reuse_margin``.
        slow_down_step: See ``LoginOptions.slow_down_step``.
        token_cache: See ``LoginOptions.token_cache``.

    ``options.token_storage="keyring"`` keeps the token and the client registration in the OS
    keyring instead of the files (``storage/keyring.py``).
    """

    flow_description = "sign-in"

    def __init__(
        self,
        start_url: str,
        sso_region: str,
        *,
        sso_session_name: str | None = None,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        open_browser: bool = True,
        message: str | None = None,
        prompt_callback: PromptCallback | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        cancel_event: threading.Event | None = None,
        oidc_endpoint_url: str | None = None,
        cache_dir: Path | None = None,
        http: HttpConfig = _aws.DEFAULT_HTTP,
        browser_opener: BrowserOpener | None = None,
        notifier: Notifier = notify_stderr,
        reuse_margin: float = DEFAULT_REUSE_MARGIN,
        slow_down_step: float = SLOW_DOWN_STEP,
        token_cache: MutableMapping[str, Any] | None = None,
        options: LoginOptions | None = None,
    ) -> None:
        options = LoginOptions.from_keywords(
            options,
            type(self).__name__,
            scopes=scopes,
            open_browser=open_browser,
            message=message,
            prompt_callback=prompt_callback,
            timeout=timeout,
            cancel_event=cancel_event,
            oidc_endpoint_url=oidc_endpoint_url,
            cache_dir=cache_dir,
            http=http,
            browser_opener=browser_opener,
            notifier=None if notifier is notify_stderr else notifier,
            reuse_margin=reuse_margin,
            slow_down_step=slow_down_step,
            token_cache=token_cache,
        )
        problems = []
        if not isinstance(start_url, str) or not start_url.startswith(("https://", "http://")):
            problems.append("start_url must be the https:// start URL of IAM Identity Center")
        if not isinstance(sso_region, str) or not sso_region:
            problems.append("sso_region must be an AWS region name such as 'us-east-1'")
        store = options.token_store
        if store is not None and (
            store.start_url != start_url or store.sso_session_name != sso_session_name
        ):
            problems.append(
                "options.token_store belongs to another sign-in "
                f"({store.sso_session_name or store.start_url}); pass the TokenCache of this one"
            )
        if problems:
            raise ConfigurationError(f"{type(self).__name__}: " + "; ".join(problems), problems)
        self.options = options
        self.start_url = start_url
        self.sso_region = sso_region
        self.sso_session_name = sso_session_name
        self.scopes: tuple[str, ...] = options.scopes
        self.timeout = options.timeout
        self.cancel_event = options.cancel_event
        self.reuse_margin = options.reuse_margin
        self.slow_down_step = options.slow_down_step
        self.prompt = UserPrompt(
            open_browser=options.open_browser,
            message=options.message,
            prompt_callback=options.prompt_callback,
            browser_opener=options.browser_opener,
            notifier=options.notifier or notify_stderr,
        )
        self.registrar = ClientRegistrar(
            start_url,
            sso_region,
            sso_session_name=sso_session_name,
            scopes=self.scopes,
            cache_dir=options.cache_dir,
            oidc_endpoint_url=options.oidc_endpoint_url,
            http=options.http,
            registration_cache=options.token_cache,
            storage=options.storage(),
        )
        # the TokenCache we write through: a given one (shared with a session's token reader
        # and login policy), else our own over the files, the dict-like store or the keyring
        self.token_cache = store or TokenCache(
            start_url,
            sso_session_name,
            options.cache_dir,
            mapping=options.token_cache,
            storage=options.storage(),
        )
        self._lock = threading.RLock()  # one login at a time per provider object
        self._clock: Callable[[], float] = _clock.monotonic
        #: Whether the last login began a new sign-in session (True), or may have joined the
        #: portal session already live in the person's browser (False); None before any.
        self.last_login_new_session: bool | None = None

    @property
    def client(self) -> SSOOIDCClient:
        return self.registrar.client

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        with self._lock:
            if not force_refresh:
                cached = self._reusable()
                if cached is not None:
                    return cached
            return self.login()

    def login(self, *, new_session: bool | None = None) -> SSOToken:
        """Sign the person in now (whatever the cache holds), store and return the token.

        A ``cancel_event`` that is set cancels this and every later login until it is cleared.

        In IAM Identity Center an approval in a browser whose portal session still lives joins
        that session: the new tokens end when it ends. So the sign-in record (when the session
        began, which ``sign_in_expires_at`` counts from) moves only when a new session surely
        began: after ``sso:Logout`` (``new_session``), or when the token it replaces had
        already outlived its session (its access token expired: they never outlive one).
        Otherwise the earlier record is kept, the safe side.

        Args:
            new_session: End the current session first (``sso:Logout``), so this sign-in
                starts a new one with the full duration. None: ``options.new_session``.
        """
        fresh = self.options.new_session if new_session is None else new_session
        with self._lock:
            waiter = self.new_wait()
            who = self.sso_session_name or self.start_url
            previous = self._stored()
            with contextlib.ExitStack() as replacing:
                if fresh:
                    # From sso:Logout until the new token is saved the stored refresh token is
                    # dead. Other processes refresh only under the token's lock, so holding it
                    # makes them wait for the new token (or keep their valid one when the wait
                    # runs out) instead of spending the dead one: no InvalidGrantException.
                    # Threads of this process see ``replacing`` and do not even wait.
                    replacing.enter_context(self.token_cache.lock())
                    replacing.enter_context(self.token_cache.replacing_sign_in())
                if fresh:
                    self.end_current_session()
                # the earliest moment a session this login starts can have begun (safe side)
                started = _clock.now()
                logger.info("starting %s for %s", self.flow_description, who)
                try:
                    token = self._login(waiter)
                except KeyboardInterrupt as exc:
                    raise LoginCancelledError(
                        f"{self.flow_description} was cancelled (Ctrl-C)"
                    ) from exc
                joined_maybe = (
                    not fresh
                    and previous is not None
                    and previous.refresh_token is not None
                    and previous.expires_at > started
                )
                self.last_login_new_session = not joined_maybe
                self.store(
                    token, session_started=None if joined_maybe else started, previous=previous
                )
        logger.info(
            "%s for %s complete; token valid until %s",
            self.flow_description,
            who,
            token.expires_at.isoformat(),
        )
        return token

    def _login(self, waiter: CancellableWait) -> SSOToken:
        raise NotImplementedError

    def new_wait(self) -> CancellableWait:
        return CancellableWait(
            self.cancel_event,
            self._clock() + self.timeout,
            self._clock,
            f"{self.flow_description} for {self.sso_session_name or self.start_url}",
            self.timeout,
        )

    def _reusable(self) -> SSOToken | None:
        try:
            cached = self.token_cache.load()
        except CacheFileError as exc:
            logger.warning("cannot read the token cache (%s); signing in again", exc)
            return None
        if cached is None or cached.expires_within(self.reuse_margin):
            return None
        return cached

    def token_from_response(
        self, response: Mapping[str, Any], registration: ClientRegistration
    ) -> SSOToken:
        """The ``SSOToken`` for a ``CreateToken`` answer, carrying what a refresh needs."""
        return SSOToken.from_create_token(
            dict(response),
            start_url=self.start_url,
            region=self.sso_region,
            client_id=registration.client_id,
            client_secret=registration.client_secret.get_secret_value(),
            registration_expires_at=registration.expires_at,
        )

    def end_current_session(self) -> bool:
        """End the sign-in session behind the cached token with ``sso:Logout``.

        The token is refreshed first if it has expired but can be refreshed. Role credentials
        already issued keep working until their own expiry (the service does not revoke them).
        Returns True when IAM Identity Center ended a session; False when there was no usable
        token (the session has ended, or was never ours to end) or it refused (logged).
        """
        from refreshable_sso.tokens.cached import CachedTokenProvider

        reader = CachedTokenProvider(
            self.start_url,
            self.sso_region,
            sso_session_name=self.sso_session_name,
            cache_dir=self.options.cache_dir,
            refresh_window=0.0,
            oidc_endpoint_url=self.options.oidc_endpoint_url,
            http=self.options.http,
            token_cache=self.options.token_cache,
        )
        who = self.sso_session_name or self.start_url
        try:
            token = reader.get_token()
        except (LoginRequiredError, TokenProviderError, CacheFileError) as exc:
            logger.info("no sign-in session of %s to end: %s", who, exc)
            return False
        client = _aws.sso_client(
            self.sso_region, endpoint_url=self.options.sso_endpoint_url, http=self.options.http
        )
        try:
            client.logout(accessToken=token.access_token.get_secret_value())
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "IAM Identity Center did not end the sign-in session of %s (%s); the new "
                "sign-in may join it and end when it ends",
                who,
                _aws.error_message(exc) or type(exc).__name__,
            )
            return False
        logger.warning("ended the sign-in session of %s (sso:Logout) to start a new one", who)
        return True

    def can_reach_a_person(self) -> bool:
        """Whether a sign-in can reach someone: a prompt callback, a browser opener, a
        notifier of the caller's, or a terminal on stderr or stdin."""
        options = self.options
        if options.prompt_callback or options.browser_opener or options.notifier:
            return True
        return _is_terminal(sys.stderr) or _is_terminal(sys.stdin)

    def _stored(self) -> SSOToken | None:
        """The token the cache holds now (None: none, or unreadable)."""
        try:
            return self.token_cache.load()
        except CacheFileError:
            return None

    def store(
        self,
        token: SSOToken,
        *,
        session_started: datetime | None = None,
        previous: SSOToken | None = None,
    ) -> None:
        """Write the token where ``aws``, botocore and our sessions look for it.

        Args:
            token: What the sign-in produced.
            session_started: When the new sign-in session began, if one surely did; None: the
                sign-in may have joined the session of ``previous``, whose record is kept.
            previous: The token this one replaces (its sign-in record may carry over).
        """
        try:
            with self.token_cache.lock():
                self.token_cache.save(
                    token, signed_in=True, session_started=session_started, previous=previous
                )
        except CacheFileError as exc:
            # The person did sign in; losing the token now would make them do it again.
            logger.error(
                "signed in, but could not store the token in %s (%s); other programs will not "
                "see this login",
                self.token_cache.path,
                exc.problem,
            )

    def deadline_time(self, waiter: CancellableWait) -> datetime:
        return _clock.now() + timedelta(seconds=max(0.0, waiter.remaining()))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(start_url={self.start_url!r}, sso_region={self.sso_region!r}, "
            f"sso_session_name={self.sso_session_name!r})"
        )


__all__ = [
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_REUSE_MARGIN",
    "DISABLE_BROWSER_ENV",
    "LOGIN_FLOWS",
    "LOGIN_FLOW_ENV",
    "SLOW_DOWN_STEP",
    "BrowserOpener",
    "CancellableWait",
    "InteractiveTokenProvider",
    "LoginFlow",
    "LoginOptions",
    "Notifier",
    "PromptCallback",
    "UserPrompt",
    "browser_unavailable_reason",
    "check_message_template",
    "notify_stderr",
    "open_with_webbrowser",
    "resolve_login_flow",
]


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
