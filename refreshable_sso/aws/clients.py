"""Bare botocore clients for the services we talk to: SSO portal, SSO-OIDC and STS.

Why not ``boto3.client``: these clients must never resolve credentials through the default
chain (that would recurse into our own session, or probe the instance metadata service); they
need bounded connect/read timeouts and bounded retries so a hung endpoint yields a clear error
in bounded time; and they must honour ``AWS_ENDPOINT_URL_SSO`` / ``_SSO_OIDC`` / ``_STS``
(botocore resolves those itself) unless an explicit endpoint is given.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.credentials import CredentialResolver, Credentials
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.loaders import Loader, create_loader

from refreshable_sso.aws import _botocore
from refreshable_sso.aws import redact as _redact
from refreshable_sso.aws.paused_gc import JSONFileLoaderWithoutGC, paused_gc
from refreshable_sso.config import HttpConfig

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sts import STSClient

_loader_lock = threading.Lock()
_shared_loader: Loader | None = None


#: The settings our clients use unless told otherwise. ``HttpSettings`` is the old name of
#: :class:`~refreshable_sso.config.HttpConfig`, kept so existing imports keep working.
HttpSettings = HttpConfig
DEFAULT_HTTP = HttpConfig()


def new_loader(search_path_string: str | None = None) -> Loader:
    """botocore's ``create_loader``, parsing its data files with the garbage collector paused."""
    loader = create_loader(search_path_string)
    loader.file_loader = JSONFileLoaderWithoutGC()
    return loader


def _loader() -> Loader:
    """One data loader per process, so service models are parsed once, not per client."""
    global _shared_loader
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = new_loader()
        return _shared_loader


def _isolated_session() -> botocore.session.Session:
    """A botocore session that reads config/env (for endpoints) but resolves no credentials."""
    session = botocore.session.Session()
    session.register_component("data_loader", _loader())
    session.register_component("credential_provider", CredentialResolver(providers=[]))
    return session


def _aws_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(item for item in os.environ.items() if item[0].startswith("AWS_")))


_isolated_lock = threading.Lock()
_isolated: tuple[tuple[tuple[str, str], ...], botocore.session.Session] | None = None


def _client(
    service: str,
    region: str,
    endpoint_url: str | None,
    http: HttpConfig,
    credentials: Credentials | None,
) -> Any:
    """A client from the one isolated session of this process.

    Why one: a botocore session costs about 15 ms and 250 event handlers to make, and the SSO
    client of every refresh needs one. It is rebuilt when the ``AWS_*`` environment it read
    (config file path, profile, endpoint overrides) has changed. Making clients from one
    botocore session at once is not thread-safe, hence the lock.
    """
    global _isolated
    kwargs: dict[str, Any] = {
        "region_name": region,
        "config": http.botocore_config(unsigned=credentials is None),
    }
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    _redact.install()
    environment = _aws_environment()
    with _isolated_lock:
        if _isolated is None or _isolated[0] != environment:
            _isolated = (environment, _isolated_session())
        session: Any = _isolated[1]
        # The object itself, not a frozen copy: a re-sent request (a retry, the session's
        # ExpiredToken hook) is signed with whatever the credentials hold by then.
        _botocore.set_session_credentials(session, credentials)
        try:
            # Making a client copies the session's ~400-node event-handler tree and builds its
            # models: thousands of fresh containers, none of them garbage. With pydantic's
            # models on the heap that reliably set off a middle-generation collection in the
            # middle of a process's first refresh (~25 ms); the collector waits for the block.
            with paused_gc():
                return session.create_client(service, **kwargs)
        finally:
            _botocore.set_session_credentials(session, None)


def sso_client(
    region: str, *, endpoint_url: str | None = None, http: HttpConfig = DEFAULT_HTTP
) -> SSOClient:
    """An unsigned SSO portal client (the bearer token travels in a header, not SigV4)."""
    client: SSOClient = _client("sso", region, endpoint_url, http, None)
    return client


def oidc_client(
    region: str, *, endpoint_url: str | None = None, http: HttpConfig = DEFAULT_HTTP
) -> SSOOIDCClient:
    """An unsigned SSO-OIDC client (RegisterClient, device authorization, CreateToken)."""
    client: SSOOIDCClient = _client("sso-oidc", region, endpoint_url, http, None)
    return client


def sts_client(
    region: str,
    credentials: Credentials,
    *,
    endpoint_url: str | None = None,
    http: HttpConfig = DEFAULT_HTTP,
) -> STSClient:
    """An STS client signed with exactly these credentials (for whoami), never the default chain."""
    client: STSClient = _client("sts", region, endpoint_url, http, credentials)
    return client


def describe_wait(exc: BaseException, http: HttpConfig, waited: float) -> str:
    """Why a call gave up on a silent endpoint, with the real total wait, for error messages.

    ``waited`` is the measured time of the whole call (every attempt and the backoff between
    them), so the message states what the caller actually waited, not a single timeout.
    """
    attempts = http.max_attempts
    if isinstance(exc, ConnectTimeoutError):
        per_try = f"{attempts} attempt(s) x {http.connect_timeout:g} s connect timeout"
    elif isinstance(exc, ReadTimeoutError):
        per_try = f"{attempts} attempt(s) x {http.read_timeout:g} s read timeout"
    else:
        per_try = f"{attempts} attempt(s)"
    return f"no answer after {waited:.1f} s ({per_try}, with backoff between attempts)"


def is_timeout(exc: BaseException) -> bool:
    """True for botocore's connect and read timeouts (the endpoint is silent, not refusing)."""
    return isinstance(exc, ConnectTimeoutError | ReadTimeoutError)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(exc: BaseException, *, limit: int = 300) -> str | None:
    """The server's reason in a botocore ``ClientError``, redacted and cut (None if it gave none).

    botocore puts the reason into ``Error.Message`` only when the body names it ``message`` or
    ``Message``. SSO-OIDC speaks OAuth 2.0 and names it ``error_description``; older botocore
    (1.34 up to at least 1.40) leaves ``Error.Message`` empty then; newer ones copy it over. All
    merge the modelled error's members into the top level of the parsed response, so the
    reason is read from there when ``Error.Message`` is empty.

    :param exc: any exception; only one carrying a botocore parsed ``response`` dict has a reason.
    :param limit: the most characters returned (a server's text ends up inside our messages).
    """
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error")
    candidates = [error.get("Message") if isinstance(error, dict) else None]
    candidates += [response.get(key) for key in ("error_description", "message", "Message")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return _redact.redact(candidate.strip())[:limit]
    return None


def status_code(exc: BaseException) -> int | None:
    """The HTTP status of a botocore ``ClientError`` (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None
