"""Token providers for tokens that come from somewhere else: a value, a function, a command.

They let a program feed the session a token it already has (a secrets manager, a parent
process, a test) without touching the AWS CLI cache. The command provider runs an argv list,
never a shell, and reads one JSON object from its stdout::

    {"accessToken": "...", "expiresAt": "2030-01-02T03:04:05Z"}

``expiresAt`` takes any timestamp botocore accepts (ISO 8601 with a zone, or ``Z``); a number is
read as seconds since the epoch. The command's stderr goes straight to ours, so its own prompts
and diagnostics reach the person.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from refreshable_sso.errors import (
    ConfigurationError,
    RefreshableSSOError,
    TokenProviderDeclined,
    TokenProviderError,
)
from refreshable_sso.tokens.base import SSOToken, parse_cache_time

logger = logging.getLogger(__name__)

#: A token handed out again while more than this many seconds remain (a command is not re-run).
DEFAULT_REUSE_MARGIN = 300.0

TokenSource = Callable[[], "SSOToken | Mapping[str, Any] | None"]


def token_from_mapping(
    data: object,
    *,
    source: str,
    start_url: str | None = None,
    region: str | None = None,
) -> SSOToken:
    """Read ``{"accessToken", "expiresAt"}`` (plus optional cache keys) into an ``SSOToken``.

    ``TokenProviderError`` names the bad key; the token value itself is never quoted.
    """
    if not isinstance(data, Mapping):
        raise TokenProviderError(
            f"{source} must give a JSON object like "
            '{"accessToken": "...", "expiresAt": "2030-01-02T03:04:05Z"}, '
            f"got {type(data).__name__}"
        )
    access_token = data.get("accessToken")
    if not isinstance(access_token, str) or not access_token:
        raise TokenProviderError(
            f"{source}: 'accessToken' must be a non-empty string"
            + (" (it is missing)" if "accessToken" not in data else "")
        )
    raw_expiry = data.get("expiresAt")
    if raw_expiry is None:
        raise TokenProviderError(
            f"{source}: 'expiresAt' is missing; give an ISO 8601 UTC time such as "
            "'2030-01-02T03:04:05Z'"
        )
    try:
        if isinstance(raw_expiry, (int, float)) and not isinstance(raw_expiry, bool):
            expires_at = datetime.fromtimestamp(float(raw_expiry), tz=timezone.utc)
        else:
            expires_at = parse_cache_time(raw_expiry, "expiresAt")
    except (ValueError, OverflowError, OSError) as exc:
        raise TokenProviderError(f"{source}: {exc}") from exc
    refresh = data.get("refreshToken")
    secret = data.get("clientSecret")
    client_id = data.get("clientId")
    return SSOToken(
        access_token=SecretStr(access_token),
        expires_at=expires_at,
        start_url=_str_or(data.get("startUrl"), start_url),
        region=_str_or(data.get("region"), region),
        refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
        client_id=client_id if isinstance(client_id, str) and client_id else None,
        client_secret=SecretStr(secret) if isinstance(secret, str) and secret else None,
    )


def _str_or(value: object, default: str | None) -> str | None:
    return value if isinstance(value, str) and value else default


def _reject_expired(token: SSOToken, source: str) -> SSOToken:
    if token.expires_within(0):
        raise TokenProviderError(
            f"{source} gave a token that expired at {token.expires_at.isoformat()}; "
            "it must hand out a current token"
        )
    return token


class StaticTokenProvider:
    """Always the same token (tests, or a token handed over by a parent process).

    Declines once the token has expired, so a ``ChainTokenProvider`` can move on.
    """

    def __init__(
        self,
        token: SSOToken | str,
        expires_at: datetime | None = None,
        *,
        start_url: str | None = None,
        region: str | None = None,
    ) -> None:
        if isinstance(token, SSOToken):
            if expires_at is not None:
                raise ConfigurationError(
                    "StaticTokenProvider: pass expires_at only with a plain access-token string; "
                    "an SSOToken carries its own expiry"
                )
            self._token = token
        else:
            if not isinstance(token, str) or not token:
                raise ConfigurationError(
                    "StaticTokenProvider: token must be an SSOToken or a non-empty access-token string"
                )
            if expires_at is None:
                raise ConfigurationError(
                    "StaticTokenProvider: expires_at is required with a plain access-token string "
                    "(an aware datetime, e.g. datetime.now(timezone.utc) + timedelta(hours=1))"
                )
            self._token = SSOToken(
                access_token=SecretStr(token),
                expires_at=expires_at,
                start_url=start_url,
                region=region,
            )

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        """The token, unless it has expired (``force_refresh`` cannot make a static token newer)."""
        if self._token.expires_within(0):
            raise TokenProviderDeclined(
                f"the static token expired at {self._token.expires_at.isoformat()}"
            )
        return self._token

    def __repr__(self) -> str:
        return f"StaticTokenProvider(expires_at={self._token.expires_at.isoformat()!r})"


class CallableTokenProvider:
    """Calls a function for the token; reuses it while more than ``reuse_margin`` seconds remain.

    The function takes no arguments and returns an ``SSOToken``, a mapping with ``accessToken``
    and ``expiresAt`` (as the command provider prints), or ``None`` to decline.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        reuse_margin: float = DEFAULT_REUSE_MARGIN,
        start_url: str | None = None,
        region: str | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(source):
            raise ConfigurationError("CallableTokenProvider: source must be callable")
        if reuse_margin < 0:
            raise ConfigurationError("CallableTokenProvider: reuse_margin must be >= 0 seconds")
        self._source = source
        self._reuse_margin = reuse_margin
        self._start_url = start_url
        self._region = region
        self._name = name or getattr(source, "__qualname__", None) or repr(source)
        self._lock = threading.Lock()
        self._current: SSOToken | None = None

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        with self._lock:
            current = self._current
            if (
                current is not None
                and not force_refresh
                and not current.expires_within(self._reuse_margin)
            ):
                return current
            token = self._call()
            self._current = token
            return token

    def _call(self) -> SSOToken:
        what = f"token function {self._name}"
        try:
            result = self._source()
        except RefreshableSSOError:
            raise
        except Exception as exc:
            raise TokenProviderError(f"{what} raised {type(exc).__name__}") from exc
        if result is None:
            raise TokenProviderDeclined(f"{what} returned None")
        if isinstance(result, SSOToken):
            return _reject_expired(result, what)
        token = token_from_mapping(
            result, source=what, start_url=self._start_url, region=self._region
        )
        return _reject_expired(token, what)

    def __repr__(self) -> str:
        return f"CallableTokenProvider({self._name})"


class CommandTokenProvider:
    """Runs a command (an argv list, never a shell) that prints the token as JSON on stdout.

    Exit status 0 with a JSON object is success; anything else is a ``TokenProviderError``
    saying what went wrong (status, invalid JSON, missing key, timeout). A command that does
    not exist declines (``TokenProviderDeclined``), so a chain can try the next provider.
    The output is never logged or quoted: it holds the token.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 60.0,
        reuse_margin: float = DEFAULT_REUSE_MARGIN,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        start_url: str | None = None,
        region: str | None = None,
    ) -> None:
        if isinstance(argv, (str, bytes)):
            raise ConfigurationError(
                "CommandTokenProvider: argv must be a list of arguments, not one string "
                "(no shell is used), e.g. ['my-token-tool', '--json']"
            )
        args = list(argv)
        if not args or not all(isinstance(arg, str) for arg in args) or not args[0]:
            raise ConfigurationError(
                "CommandTokenProvider: argv must be a non-empty list of strings, "
                "e.g. ['my-token-tool', '--json']"
            )
        if timeout <= 0:
            raise ConfigurationError("CommandTokenProvider: timeout must be > 0 seconds")
        if reuse_margin < 0:
            raise ConfigurationError("CommandTokenProvider: reuse_margin must be >= 0 seconds")
        self._argv = tuple(args)
        self._timeout = timeout
        self._env = dict(env) if env is not None else None
        self._cwd = str(cwd) if cwd is not None else None
        self._callable = CallableTokenProvider(
            self._run,
            reuse_margin=reuse_margin,
            start_url=start_url,
            region=region,
            name=f"command {self._argv[0]!r}",
        )

    @property
    def argv(self) -> tuple[str, ...]:
        return self._argv

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        return self._callable.get_token(force_refresh=force_refresh)

    def _run(self) -> Mapping[str, Any]:
        what = f"token command {self._argv[0]!r}"
        logger.debug("running %s", what)
        try:
            completed = subprocess.run(
                self._argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None,  # passed through to ours
                timeout=self._timeout,
                env=self._env,
                cwd=self._cwd,
                check=False,
                shell=False,
            )
        except FileNotFoundError as exc:
            raise TokenProviderDeclined(
                f"{what} was not found (is it installed and on PATH?)"
            ) from exc
        except PermissionError as exc:
            raise TokenProviderError(f"{what} could not be run: permission denied") from exc
        except subprocess.TimeoutExpired as exc:
            raise TokenProviderError(
                f"{what} did not finish within {self._timeout:g} s and was killed "
                "(raise the provider's timeout if it legitimately takes longer)"
            ) from exc
        except OSError as exc:
            raise TokenProviderError(f"{what} could not be run: {exc.strerror or exc}") from exc
        if completed.returncode != 0:
            raise TokenProviderError(
                f"{what} exited with status {completed.returncode} "
                "(its error output, if any, was shown above on stderr)"
            )
        try:
            data = json.loads(completed.stdout.decode("utf-8"))
        except UnicodeDecodeError:
            # Not chained: the decode error holds the raw output, which may hold a token.
            raise TokenProviderError(f"{what} printed output that is not UTF-8") from None
        except json.JSONDecodeError as exc:
            # Not chained: JSONDecodeError.doc holds the whole output, which may hold a token.
            raise TokenProviderError(
                f"{what} did not print valid JSON on stdout ({exc.msg} at line {exc.lineno} "
                f"column {exc.colno}); expected "
                '{"accessToken": "...", "expiresAt": "..."}'
            ) from None
        if not isinstance(data, Mapping):
            raise TokenProviderError(
                f"{what} printed JSON that is not an object; expected "
                '{"accessToken": "...", "expiresAt": "..."}'
            )
        return data

    def __repr__(self) -> str:
        return f"CommandTokenProvider(argv={list(self._argv)!r}, timeout={self._timeout:g})"


__all__ = [
    "CallableTokenProvider",
    "CommandTokenProvider",
    "StaticTokenProvider",
    "token_from_mapping",
]
