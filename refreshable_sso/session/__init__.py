"""The session: one core (``_core``) behind two front doors, the sync one here (``sync``).

``SessionCore`` (``_core``) holds everything of a session that is not I/O: its arguments and
their validation, the wiring of token provider and role-credential fetcher (``_wiring``),
AssumeRole hops, the sign-in watch (``sign_in_watch``), pickling (``_pickling``) and the
identity memo. ``SSORefreshableSession`` (``sync``, a ``boto3.Session``) and
``refreshable_sso.aio.AioSSORefreshableSession`` add only what their I/O makes different,
among it the client cache (``client_cache`` here, ``aio.clients`` there).

``refreshable_sso.session`` was a module before it became this package; its public names are
re-exported here, imported on first use so that ``refreshable_sso.session.sign_in_watch`` or
the core can be imported without boto3's session machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.session._core import (
        CREDENTIAL_METHOD,
        SessionOptions,  # noqa: F401  (lazily re-exported below, by name)
        TemporaryCredentials,
    )
    from refreshable_sso.session.sync import SSORefreshableSession

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "CREDENTIAL_METHOD": "refreshable_sso.session._core",
    "SessionOptions": "refreshable_sso.session._core",
    "TemporaryCredentials": "refreshable_sso.session._core",
    "SSORefreshableSession": "refreshable_sso.session.sync",
}

# what the module had; SessionOptions (the flat keywords' type) is there by name, for typing
__all__ = ["CREDENTIAL_METHOD", "SSORefreshableSession", "TemporaryCredentials"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "SessionOptions", "client_cache", "sign_in_watch", "sync"])
