"""Administration of an IAM Identity Center instance: its admin APIs rather than a sign-in's.

``assignments`` lists every assignment of an instance (``list_assignments``, with
aws-sso-lib's parameters). It sits above the session: it takes a session's credentials to call
the admin APIs, and nothing below imports it.

This package re-exports every public name the module ``refreshable_sso.admin`` had before it
became a package, so ``from refreshable_sso.admin import list_assignments`` keeps working;
they are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.admin.assignments import (
        ACCOUNT,
        OU,
        PRINCIPAL_TYPES,  # noqa: F401  (lazily re-exported below)
        Assignment,
        PrincipalSpec,  # noqa: F401  (lazily re-exported below)
        TargetSpec,  # noqa: F401  (lazily re-exported below)
        list_assignments,
    )

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    name: "refreshable_sso.admin.assignments"
    for name in (
        "ACCOUNT",
        "OU",
        "PRINCIPAL_TYPES",
        "Assignment",
        "PrincipalSpec",
        "TargetSpec",
        "list_assignments",
    )
}

__all__ = ["ACCOUNT", "OU", "Assignment", "list_assignments"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value
