"""Pickling a session to its configuration only, for worker processes and Dask tasks.

A session's state is secrets (access token, refresh token, role credentials) plus locks, clients
and threads; none of that may travel. What travels is what the caller configured: the validated
configuration models (every field of ``SessionConfig``, so options added later travel too), the
cache directories and a custom token provider if it can be pickled without a secret in it. The
receiving process builds the session again (once per configuration: later tasks carrying the
same session get the same object) and reads the shared, locked caches, so N workers on one host
make one GetRoleCredentials call between them.

Interactive login never starts in a worker by default: a session whose login policy was chosen
automatically (a person at the driver's terminal) arrives with ``login="never"``; only an
explicit ``login="auto"`` travels as such.
"""

from __future__ import annotations

import io
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from pydantic import SecretStr

from refreshable_sso.config import SessionConfig

# SessionConfig fields whose constructor keyword has another name.
_KEYWORD_FOR_FIELD = {"cache": "client_cache"}


@dataclass(frozen=True)
class GivenProviders:
    """What the caller passed besides the configuration models (kept for pickling)."""

    token_provider: Any = None
    login_provider: Any = None
    on_login: Callable[..., Any] | None = None
    login: str | None = None  # None: the policy was chosen automatically


class _SecretRefusingPickler(pickle.Pickler):
    """Refuses a ``SecretStr`` (how this library marks every secret) anywhere in the object."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, SecretStr):
            raise pickle.PicklingError("it holds a secret (a SecretStr such as a token)")
        return NotImplemented


def check_picklable(name: str, value: object) -> None:
    """Raise ``pickle.PicklingError`` naming ``name`` unless ``value`` pickles without a secret."""
    try:
        _SecretRefusingPickler(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except Exception as exc:
        raise pickle.PicklingError(
            f"Cannot pickle the session: its {name} ({type(value).__qualname__}) cannot be "
            f"pickled ({exc}). Give the session a picklable {name} (an instance of a "
            f"module-level class holding no secrets), leave it unset so the worker builds the "
            f"default one from the configuration, or build the session inside the worker"
        ) from exc


def session_arguments(
    config: SessionConfig,
    given: GivenProviders,
    **extra: Any,
) -> dict[str, Any]:
    """The constructor keywords that rebuild an equivalent session in another process."""
    arguments: dict[str, Any] = {
        _KEYWORD_FOR_FIELD.get(name, name): getattr(config, name)
        for name in type(config).model_fields
    }
    # An automatically chosen policy is the driver's terminal talking, not configuration.
    arguments["login"] = given.login if given.login is not None else "never"
    for name in ("token_provider", "login_provider", "on_login"):
        value = getattr(given, name)
        if value is None:
            continue
        if name != "token_provider" and arguments["login"] != "auto":
            continue  # only used with login="auto"
        check_picklable(name, value)
        arguments[name] = value
    arguments.update(extra)
    return arguments


# Sessions rebuilt in this process, by class and configuration: a worker that receives the same
# session with every task builds it once and keeps its credentials, clients and memo warm.
_REBUILT_MAX = 16
_rebuilt: LRUCache[tuple[Any, bytes], Any] = LRUCache(_REBUILT_MAX)
_rebuilt_lock = threading.Lock()


def rebuild(cls: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Unpickling: the session for this configuration, built once per process."""
    key = (cls, pickle.dumps(arguments, protocol=pickle.HIGHEST_PROTOCOL))
    with _rebuilt_lock:
        session = _rebuilt.get(key)
        if session is None:
            session = _rebuilt[key] = cls(**arguments)
    return session


__all__ = ["GivenProviders", "check_picklable", "rebuild", "session_arguments"]
