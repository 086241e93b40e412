"""A container-credentials endpoint: role credentials for every AWS SDK in other processes.

It speaks the protocol of botocore's ``ContainerProvider`` and the other SDKs' container/HTTP
providers: a client with ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` sends ``GET`` with the token as its ``Authorization``
header and reads ``AccessKeyId``, ``SecretAccessKey``, ``Token`` and ``Expiration``; the answer
also names the account (``AccountId``) and the role (``RoleArn``), so a client of a server with
several paths can tell which role each serves. The credentials come from the served sessions
(their token provider, fetcher, shared cache and locks); each answer has at least the session's
advisory window left, or is a JSON error with a 5xx status, never expired credentials.

The server depends on the small ``serving.source.ServedSession`` protocol, not on the session
class, so the session module and this one do not import each other.

Security: loopback by default (anything else must be asked for and is logged as a warning); a
random 32-byte token, compared in constant time and never logged or shown in ``repr``. The
HTTP plumbing (``http.server``) is imported only when a server starts.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from refreshable_sso.errors import (
    ConfigurationError,
    CredentialRefreshError,
    LoginRequiredError,
    RefreshableSSOError,
)
from refreshable_sso.serving.documents import ServedCredentials
from refreshable_sso.serving.source import ServedSession

if TYPE_CHECKING:
    from refreshable_sso.serving._http import CredentialHTTPServer

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
#: Random bytes in a generated token (the issue asks for at least 32).
TOKEN_BYTES = 32
#: A token given by the caller must be at least this long (32 bytes of entropy, base64url).
MIN_TOKEN_LENGTH = 32
#: The path of the one session when the server is given a single session.
SINGLE_PATH = "/credentials"
FULL_URI_ENV = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_ENV = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 (a variable name)
TOKEN_FILE_ENV = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105 (a variable name)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``: where plain http is safe and SDKs allow it."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode("utf-8")


def _error(status: int, code: str, message: str, *headers: tuple[str, str]) -> Answer:
    # Code/Message is the shape the JavaScript SDK's fromHttp reads from an error answer.
    return Answer(status, {"Code": code, "Message": message}, headers)


def _check_token(token: str | None) -> str:
    if token is None:
        return secrets.token_urlsafe(TOKEN_BYTES)
    if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"token: must be a string of at least {MIN_TOKEN_LENGTH} random characters; "
            "leave it out to have one generated (secrets.token_urlsafe(32))",
            ["token: too short"],
        )
    if any(ch in token for ch in "\r\n") or token != token.strip():
        raise ConfigurationError(
            "token: must not contain line breaks or surrounding spaces (SDKs refuse such "
            "tokens in the Authorization header)",
            ["token: contains line breaks or spaces"],
        )
    return token


def _routes(
    sessions: ServedSession | Mapping[str, ServedSession],
) -> tuple[dict[str, ServedSession], dict[str, str] | None]:
    """Path -> session, and name -> path for a mapping (None for a single session)."""
    if not isinstance(sessions, Mapping):
        return {SINGLE_PATH: sessions}, None
    if not sessions:
        raise ConfigurationError(
            "sessions: the mapping is empty; give at least one name -> session",
            ["sessions: empty"],
        )
    routes: dict[str, ServedSession] = {}
    names: dict[str, str] = {}
    for name, session in sessions.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(
                f"sessions: every name must be a non-empty string (got {name!r})",
                ["sessions: bad name"],
            )
        path = "/" + quote(name, safe="")
        routes[path] = session
        names[name] = path
    return routes, names


def _role_arn(session: ServedSession) -> str | None:
    """The served role's ARN; a failure to learn it leaves ``RoleArn`` out, never the
    credentials (SDKs do not need it)."""
    try:
        return session.credentials_role_arn()
    except Exception:
        logger.exception("Unexpected failure while naming the served role; RoleArn left out")
        return None


class ContainerCredentialServer:
    """Serves one session (``.url``) or a mapping of names to sessions (``.urls``) over HTTP.

    Use it as a context manager (or ``start()``/``stop()``); ``env()`` gives the two variables
    a client process needs.
    """

    def __init__(
        self,
        sessions: ServedSession | Mapping[str, ServedSession],
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        token: str | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise ConfigurationError("host: must be an address such as '127.0.0.1'", ["host"])
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ConfigurationError(
                f"port: must be 0 (any free port) to 65535, got {port!r}", ["port"]
            )
        self._routes, self._names = _routes(sessions)
        self._token = _check_token(token)
        self._host = host.strip("[]")
        self._port = port
        self._server: CredentialHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._statuses: dict[int, int] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> ContainerCredentialServer:
        """Bind and serve in a daemon thread (idempotent)."""
        with self._lock:
            if self._server is not None:
                return self
            from refreshable_sso.serving._http import CredentialHTTPServer

            if not is_loopback(self._host):
                logger.warning(
                    "Serving role credentials on %s, which is not a loopback address: every "
                    "host that can reach it and knows the token gets the credentials; SDKs "
                    "also refuse plain http to such hosts (see docs/other-tools.md)",
                    self._host,
                )
            server = CredentialHTTPServer((self._host, self._port), self)
            thread = threading.Thread(
                target=server.serve_until_stopped,
                name=f"container-credentials:{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        logger.info("Serving container credentials at %s", ", ".join(self._all_urls()))
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.stop_serving()
        if thread is not None:
            thread.join(timeout=5)
        if server is not None:
            server.server_close()

    def __enter__(self) -> ContainerCredentialServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_forever(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set (the CLI sets it from SIGINT/SIGTERM)."""
        self.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()

    # -- where and how to reach it --------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        server = self._require()
        host, port = server.server_address[:2]
        return str(host), int(port)

    @property
    def token(self) -> str:
        """The authorization token clients must send (a secret: never log it)."""
        return self._token

    @property
    def url(self) -> str:
        """The URL of the single served session."""
        if self._names is not None:
            raise ConfigurationError(
                "this server serves a mapping of sessions; use .urls[name]", ["url"]
            )
        return self._base() + SINGLE_PATH

    @property
    def urls(self) -> dict[str, str]:
        """Name -> URL for a mapping; ``{"credentials": url}`` for a single session."""
        if self._names is None:
            return {"credentials": self.url}
        base = self._base()
        return {name: base + path for name, path in self._names.items()}

    def env(self, name: str | None = None) -> dict[str, str]:
        """``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``."""
        if name is None:
            uri = self.url
        else:
            urls = self.urls
            if name not in urls:
                raise ConfigurationError(
                    f"no session named {name!r} (served: {', '.join(sorted(urls))})", ["name"]
                )
            uri = urls[name]
        return {FULL_URI_ENV: uri, TOKEN_ENV: self._token}

    def stats(self) -> dict[int, int]:
        """How many answers were sent, by HTTP status."""
        with self._lock:
            return dict(self._statuses)

    def __repr__(self) -> str:
        where = f"{self._host}:{self.address[1]}" if self.running else f"{self._host} (stopped)"
        return f"{type(self).__name__}({where}, paths={sorted(self._routes)!r})"

    def _require(self) -> CredentialHTTPServer:
        server = self._server
        if server is None:
            raise RuntimeError("the server is not running; use it as a context manager or start()")
        return server

    def _base(self) -> str:
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def _all_urls(self) -> list[str]:
        return list(self.urls.values())

    # -- answering (called by the HTTP handler, one thread per connection) ----------------

    def answer(self, method: str, path: str, authorization: str | None) -> Answer:
        """The answer to one request; never raises."""
        answer = self._answer(method, path, authorization)
        with self._lock:
            self._statuses[answer.status] = self._statuses.get(answer.status, 0) + 1
        return answer

    def _answer(self, method: str, path: str, authorization: str | None) -> Answer:
        if method != "GET":
            return _error(405, "MethodNotAllowed", "only GET is served", ("Allow", "GET"))
        if not authorization:
            return _error(
                401,
                "Unauthorized",
                f"send the token of {TOKEN_ENV} as the Authorization header",
                ("WWW-Authenticate", "Token"),
            )
        if not hmac.compare_digest(authorization.encode("utf-8"), self._token.encode("utf-8")):
            return _error(403, "Forbidden", "the Authorization token is not this server's")
        session = self._routes.get(path.split("?", 1)[0])
        if session is None:
            return _error(404, "NotFound", "no credentials are served at this path")
        return self._credentials(session)

    @staticmethod
    def _credentials(session: ServedSession) -> Answer:
        try:
            snapshot = session.ensure_valid_credentials()
        except LoginRequiredError as exc:
            logger.warning("Cannot serve credentials: %s", exc)
            return _error(503, "LoginRequired", str(exc))
        except CredentialRefreshError as exc:
            logger.warning("Cannot serve credentials: %s", exc)
            return _error(502, "CredentialRefreshFailed", str(exc))
        except RefreshableSSOError as exc:
            logger.warning("Cannot serve credentials: %s", exc)
            return _error(500, "CredentialsUnavailable", str(exc))
        except Exception:
            logger.exception("Unexpected failure while getting credentials to serve")
            return _error(500, "InternalError", "unexpected failure; see the server's log")
        expiry = snapshot.expiry_time
        served = (
            ServedCredentials(
                access_key_id=snapshot.access_key,
                secret_access_key=snapshot.secret_key,
                session_token=snapshot.token,
                expiration=expiry,
                account_id=session.credentials_account_id,
                role_arn=_role_arn(session),
            )
            if expiry is not None
            else None
        )
        if served is None or served.seconds_left() <= 0:
            return _error(
                503,
                "CredentialsExpired",
                "the role credentials could not be refreshed before they expired",
            )
        return Answer(200, served.container())


__all__ = ["ContainerCredentialServer", "is_loopback"]
