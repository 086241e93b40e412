"""MFA token providers: where a hop that requires MFA gets its 6-digit code.

Three shapes, as boto3-refresh-session's ``mfa_token_provider`` takes them: a callable returning
the code (e.g. ``pyotp.TOTP(secret).now``), a command given as an argv list (run without a
shell; its stdout is the code, e.g. ``["ykman", "oath", "accounts", "code", "-s", "AWS"]``), or a
static code string (only good for one AssumeRole: codes are single-use and last 30 s). The
provider is asked once per AssumeRole call, never for a cached hop.
"""

from __future__ import annotations

import inspect
import re
import subprocess
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from refreshable_sso.errors import ConfigurationError, RefreshableSSOError

_CODE = re.compile(r"^\d{6}$")
DEFAULT_COMMAND_TIMEOUT = 60.0


class MfaCodeError(RefreshableSSOError):
    """The MFA token provider failed or gave something that is not a 6-digit code."""


@runtime_checkable
class MfaTokenProvider(Protocol):
    """Anything that can produce a fresh MFA code for a device serial."""

    def get_code(self, serial: str) -> str: ...


def _checked(code: object, source: str) -> str:
    text = code.strip() if isinstance(code, str) else ""
    if not _CODE.match(text):
        # never echo what came back: it may be a secret printed by mistake
        raise MfaCodeError(f"{source} must give a 6-digit MFA code, got something else")
    return text


class StaticMfaCode:
    """One fixed code (tests, or a code typed in once)."""

    def __init__(self, code: str) -> None:
        if not isinstance(code, str) or not _CODE.match(code):
            raise ConfigurationError(
                "mfa_token_provider: a static code must be 6 digits, e.g. '123456'"
            )
        self._code = code

    def get_code(self, serial: str) -> str:
        return self._code

    def __repr__(self) -> str:
        return "StaticMfaCode('******')"


class CallableMfaCode:
    """Calls a function with no arguments (or with the serial, if it takes one)."""

    def __init__(self, func: Callable[..., str]) -> None:
        self._func = func
        try:
            inspect.signature(func).bind("serial")
            self._takes_serial = True
        except (TypeError, ValueError):
            self._takes_serial = False

    def get_code(self, serial: str) -> str:
        try:
            code = self._func(serial) if self._takes_serial else self._func()
        except MfaCodeError:
            raise
        except Exception as exc:
            raise MfaCodeError(
                f"the MFA token callable failed ({type(exc).__name__}) for {serial}"
            ) from exc
        return _checked(code, "the MFA token callable")

    def __repr__(self) -> str:
        return f"CallableMfaCode({getattr(self._func, '__name__', type(self._func).__name__)})"


class CommandMfaCode:
    """Runs an argv list (no shell); its stdout is the code. ``{serial}`` in an argument is
    replaced by the device serial. The command's stderr reaches the person (prompts, touch-key)."""

    def __init__(self, argv: Sequence[str], timeout: float = DEFAULT_COMMAND_TIMEOUT) -> None:
        if isinstance(argv, str) or not argv or not all(isinstance(a, str) and a for a in argv):
            raise ConfigurationError(
                "mfa_token_provider: a command must be a non-empty list of strings (argv), "
                "e.g. ['ykman', 'oath', 'accounts', 'code', '-s', 'AWS']"
            )
        self.argv = tuple(argv)
        self.timeout = timeout

    def get_code(self, serial: str) -> str:
        argv = [a.replace("{serial}", serial) for a in self.argv]
        try:
            done = subprocess.run(
                argv, stdout=subprocess.PIPE, timeout=self.timeout, check=False, text=True
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MfaCodeError(f"MFA command {self.argv[0]!r} could not run: {exc}") from exc
        if done.returncode != 0:
            raise MfaCodeError(f"MFA command {self.argv[0]!r} exited with {done.returncode}")
        return _checked(done.stdout, f"MFA command {self.argv[0]!r}")

    def __repr__(self) -> str:
        return f"CommandMfaCode({list(self.argv)!r})"


MfaTokenSource = MfaTokenProvider | Callable[..., str] | Sequence[str] | str


def mfa_token_provider(value: object) -> MfaTokenProvider:
    """An :class:`MfaTokenProvider` from a provider, a callable, an argv list or a static code."""
    if isinstance(value, MfaTokenProvider):
        return value
    if isinstance(value, str):
        return StaticMfaCode(value)
    if callable(value):
        return CallableMfaCode(value)
    if isinstance(value, (list, tuple)):
        return CommandMfaCode(value)
    raise ConfigurationError(
        "mfa_token_provider must be a callable returning the code, an argv list, a 6-digit "
        f"code or an object with get_code(serial) (got a {type(value).__name__})"
    )


__all__ = [
    "CallableMfaCode",
    "CommandMfaCode",
    "MfaCodeError",
    "MfaTokenProvider",
    "StaticMfaCode",
    "mfa_token_provider",
]
