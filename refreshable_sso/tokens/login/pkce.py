"""Sign in with the authorization code grant and PKCE (RFC 7636), the AWS CLI's default since 2.22.

A loopback listener on 127.0.0.1 (random port, path ``/oauth/callback``, RFC 8252) receives
the browser's redirect. The request carries an S256 challenge of a random verifier and a
random ``state``; a callback with another state is refused (``LoginStateMismatchError``),
``?error=access_denied`` becomes ``LoginDeniedError``. The browser gets a small "you may close
this tab" page either way.

The flow needs a browser on *this* machine. Where there is none (SSH session, container, no
display, ``open_browser=False``, ``AWS_SSO_DISABLE_BROWSER=1``, the opener failed) the provider
falls back to the device-code flow, unless ``fallback_to_device=False``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import logging
import secrets
import string
import threading
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso.aws import clients as _aws
from refreshable_sso.errors import (
    LoginDeniedError,
    LoginError,
    LoginExpiredError,
    LoginStateMismatchError,
)
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.login._prompt_server import PromptStopMixin
from refreshable_sso.tokens.login.device import run_device_flow
from refreshable_sso.tokens.login.interactive import (
    BrowserOpener,
    CancellableWait,
    InteractiveTokenProvider,
    UserPrompt,
)
from refreshable_sso.tokens.registration import AUTHORIZATION_CODE_GRANT

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.tokens.pkce")

CALLBACK_PATH = "/oauth/callback"
_VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 64
#: How often the waiting thread looks at the listener (it also wakes on cancel at once).
_CALLBACK_CHECK = 0.05

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; margin: 3em;">
<h1>{title}</h1><p>{body}</p><p>You may close this tab.</p>
</body></html>
"""


def new_code_verifier() -> str:
    """A PKCE verifier: 64 random characters of ``[A-Za-z0-9-._~]`` (RFC 7636 section 4.1)."""
    return "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def code_challenge(verifier: str) -> str:
    """The S256 challenge: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    oidc_endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    challenge: str,
    scopes: tuple[str, ...],
) -> str:
    """The ``/authorize`` page the browser opens (the parameter is ``scopes``, space-joined)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "scopes": " ".join(scopes),
        "code_challenge": challenge,
    }
    return f"{oidc_endpoint.rstrip('/')}/authorize?{urlencode(params, quote_via=quote)}"


class _CallbackServer(PromptStopMixin, http.server.ThreadingHTTPServer):
    """The callback listener's server: stops at once when the sign-in is over (no poll wait)."""


@dataclass(frozen=True)
class CallbackResult:
    """What arrived on ``/oauth/callback``."""

    state: str | None
    code: str | None
    error: str | None
    error_description: str | None

    def __repr__(self) -> str:  # the code is a one-use secret
        return f"CallbackResult(state={self.state!r}, error={self.error!r})"


class LoopbackListener:
    """An HTTP server on 127.0.0.1 (random port) that waits for one authorization callback."""

    def __init__(self, expected_state: str) -> None:
        self.expected_state = expected_state
        self.result: CallbackResult | None = None
        self.done = threading.Event()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "refreshable-sso"
            sys_version = ""

            timeout = 30  # seconds an idle connection may hold a handler thread

            def do_GET(self) -> None:
                listener._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                # The request line carries the authorization code: never log it.
                return

        # Threaded: a browser's idle preconnected socket must not block the real callback.
        self._server = _CallbackServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._result_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_until_stopped,
            name="refreshable-sso-oauth-callback",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> LoopbackListener:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop_serving()
        self._thread.join(timeout=5)
        self._server.server_close()

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path != CALLBACK_PATH:
            _respond(request, 404, "Not found", "This address only receives the sign-in callback.")
            return
        with self._result_lock:
            if self.done.is_set():
                _respond(request, 409, "Already handled", "This sign-in has already finished.")
                return
            self._take(request, parse_qs(parts.query, keep_blank_values=True))

    def _take(
        self, request: http.server.BaseHTTPRequestHandler, query: dict[str, list[str]]
    ) -> None:
        """Record the first callback and answer the browser (holding the result lock)."""

        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        result = CallbackResult(
            state=first("state"),
            code=first("code"),
            error=first("error"),
            error_description=first("error_description"),
        )
        if result.state != self.expected_state:
            _respond(
                request,
                400,
                "Sign-in refused",
                "The response did not belong to the sign-in this program started "
                "(state mismatch). Start the login again.",
            )
        elif result.error:
            _respond(
                request,
                200,
                "Sign-in not completed",
                f"IAM Identity Center answered: {result.error}. Return to the program.",
            )
        elif result.code:
            _respond(
                request,
                200,
                "Signed in",
                "Sign-in complete; the program is carrying on.",
            )
        else:
            _respond(request, 400, "Sign-in incomplete", "The callback carried no code.")
        self.result = result
        self.done.set()

    def wait(self, waiter: CancellableWait) -> CallbackResult:
        """Block until the callback arrives, the login is cancelled or times out."""
        while not self.done.is_set():
            waiter.wait(_CALLBACK_CHECK)
        assert self.result is not None
        return self.result


def _respond(
    request: http.server.BaseHTTPRequestHandler, status: int, title: str, body: str
) -> None:
    page = _PAGE.format(title=html.escape(title), body=html.escape(body)).encode("utf-8")
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(page)))
    request.send_header("Cache-Control", "no-store")
    request.send_header("Referrer-Policy", "no-referrer")
    request.end_headers()
    request.wfile.write(page)


class AuthorizationCodeProvider(InteractiveTokenProvider):
    """Signs the person in through their browser (authorization code + PKCE).

    Takes the arguments of :class:`InteractiveTokenProvider` (start URL, region, sso-session,
    ``options=`` or its separate keywords), plus:

    Args:
        fallback_to_device: True uses the device-code flow when no browser can be opened
            here; False raises ``LoginError`` instead. None (the default) decides from
            ``options.flow``: no fallback for ``"pkce"``, a fallback otherwise.
    """

    flow_description = "browser sign-in"

    def __init__(self, *args: Any, fallback_to_device: bool | None = None, **keywords: Any) -> None:
        super().__init__(*args, **keywords)
        if fallback_to_device is None:
            fallback_to_device = self.options.flow != "pkce"
        self.fallback_to_device = fallback_to_device

    def _login(self, waiter: CancellableWait) -> SSOToken:
        opener, reason = self.prompt.browser()
        if opener is None:
            return self._fallback(waiter, reason or "no browser")
        with LoopbackListener(str(uuid.uuid4())) as listener:
            token = self._authorize(waiter, opener, listener)
        if token is None:
            return self._fallback(waiter, "the browser could not be opened")
        return token

    def _authorize(
        self, waiter: CancellableWait, opener: BrowserOpener, listener: LoopbackListener
    ) -> SSOToken | None:
        registration = self.registrar.get("pkce")
        verifier = new_code_verifier()
        state = listener.expected_state
        url = authorize_url(
            self.client.meta.endpoint_url,
            client_id=registration.client_id,
            redirect_uri=listener.redirect_uri,
            state=state,
            challenge=code_challenge(verifier),
            scopes=self.scopes,
        )
        if not self.prompt.show_authorize_url(opener, url, self.deadline_time(waiter)):
            return None
        result = listener.wait(waiter)
        if result.state != state:
            raise LoginStateMismatchError(
                "the sign-in callback carried a state this login did not send (possible "
                "cross-site request forgery); nothing was accepted. Run the login again."
            )
        if result.error:
            detail = f" ({result.error_description})" if result.error_description else ""
            if result.error == "access_denied":
                raise LoginDeniedError(
                    f"the sign-in request was denied in the browser{detail}; run the login "
                    "again and choose Allow if it was meant"
                )
            raise LoginError(f"the browser sign-in failed: {result.error}{detail}")
        if not result.code:
            raise LoginError("the sign-in callback carried neither a code nor an error")
        try:
            response = self.client.create_token(
                clientId=registration.client_id,
                clientSecret=registration.client_secret.get_secret_value(),
                grantType=AUTHORIZATION_CODE_GRANT,
                code=result.code,
                redirectUri=listener.redirect_uri,
                codeVerifier=verifier,
            )
        except ClientError as exc:
            code = _aws.error_code(exc)
            reason = _aws.error_message(exc, limit=200)
            said = f": {reason}" if reason else ""
            if code == "InvalidGrantException":
                raise LoginError(
                    f"IAM Identity Center rejected the authorization code (InvalidGrant{said}): "
                    "the code was already used or expired, or the PKCE verifier did not match "
                    "the challenge the browser sent. Run the login again."
                ) from exc
            if code == "ExpiredTokenException":
                raise LoginExpiredError(
                    "the authorization code expired before it was exchanged; run the login again"
                ) from exc
            if code == "AccessDeniedException":
                raise LoginDeniedError("the authorization was denied") from exc
            raise LoginError(
                f"could not exchange the authorization code: {code} "
                f"(HTTP {_aws.status_code(exc)}){said}"
            ) from exc
        except BotoCoreError as exc:
            raise LoginError(
                f"could not exchange the authorization code: IAM Identity Center OIDC did not "
                f"answer ({type(exc).__name__})"
            ) from exc
        return self.token_from_response(dict(response), registration)

    def _fallback(self, waiter: CancellableWait, reason: str) -> SSOToken:
        if not self.fallback_to_device:
            raise LoginError(
                f"cannot sign in through a browser: {reason}. Use the device-code flow "
                "(use_device_code=True / --use-device-code), or allow fallback_to_device"
            )
        logger.info("using the device-code flow: %s", reason)
        device_prompt = UserPrompt(
            open_browser=False,
            message=self.prompt.message,
            prompt_callback=self.prompt.prompt_callback,
            notifier=self.prompt.notifier,
        )
        response, registration = run_device_flow(
            self.registrar,
            device_prompt,
            waiter,
            start_url=self.start_url,
            slow_down_step=self.slow_down_step,
        )
        return self.token_from_response(response, registration)


__all__ = [
    "CALLBACK_PATH",
    "AuthorizationCodeProvider",
    "CallbackResult",
    "LoopbackListener",
    "authorize_url",
    "code_challenge",
    "new_code_verifier",
]
