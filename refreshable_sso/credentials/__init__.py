"""Role credentials: the SSO role (``role``), AssumeRole hops on top (``chain``), reuse (``reuse``).

``role`` turns an access token into role credentials (``sso:GetRoleCredentials``), ``chain``
adds ``sts:AssumeRole`` hops on top of them, and ``reuse`` is the one rule for when cached role
credentials may still be handed out (shared with the ``credential-process`` fast path).

This package re-exports every public name the module ``refreshable_sso.credentials`` had before
it became a package, so ``from refreshable_sso.credentials import RoleCredentialFetcher`` keeps
working. They are imported on first use: ``refreshable_sso.credentials.reuse`` must stay cheap
(the ``credential-process`` fast path imports it without botocore).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.credentials.role import (
        EXPIRED_ON_ARRIVAL_BACKOFF,  # noqa: F401  (lazily re-exported below)
        PROVIDER_TYPE,  # noqa: F401  (lazily re-exported below)
        SKEW_TOLERANCE,  # noqa: F401  (lazily re-exported below)
        RoleCredentialCache,
        RoleCredentialEntry,
        RoleCredentialFetcher,
        RoleCredentials,
        on_local_clock,  # noqa: F401  (lazily re-exported below)
        server_date,  # noqa: F401  (lazily re-exported below)
    )

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    name: "refreshable_sso.credentials.role"
    for name in (
        "EXPIRED_ON_ARRIVAL_BACKOFF",
        "PROVIDER_TYPE",
        "SKEW_TOLERANCE",
        "RoleCredentialCache",
        "RoleCredentialEntry",
        "RoleCredentialFetcher",
        "RoleCredentials",
        "on_local_clock",
        "server_date",
    )
}

__all__ = [
    "RoleCredentialCache",
    "RoleCredentialEntry",
    "RoleCredentialFetcher",
    "RoleCredentials",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value
