"""The AWS config file (``~/.aws/config``): reading its SSO profiles, and editing it in place.

``reader`` turns a profile name into the sign-in and role it names, by botocore's rules;
``editor`` changes the file round-trip-safe (comments and layout kept; ``configupdater``, from
the ``cli`` extra). ``refreshable_sso.populate`` writes profiles from a listing through
``editor``; it sits with the add-ons because it builds on ``discovery``.

This package re-exports every public name the module ``refreshable_sso.profiles`` had before it
became a package, so ``from refreshable_sso.profiles import load_sso_profile`` keeps working.
They are imported on first use: ``editor`` must not come with them (it needs the ``cli`` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.profiles.reader import (
        TOKEN_EXPORT_KEY,  # noqa: F401  (lazily re-exported below)
        TOKEN_STORAGE_KEY,  # noqa: F401  (lazily re-exported below)
        ChainedProfile,
        SSOProfile,
        config_file_path,
        load_profile_chain,
        load_sso_profile,
    )

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    name: "refreshable_sso.profiles.reader"
    for name in (
        "TOKEN_EXPORT_KEY",
        "TOKEN_STORAGE_KEY",
        "ChainedProfile",
        "SSOProfile",
        "config_file_path",
        "load_profile_chain",
        "load_sso_profile",
    )
}

__all__ = [
    "ChainedProfile",
    "SSOProfile",
    "config_file_path",
    "load_profile_chain",
    "load_sso_profile",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value
