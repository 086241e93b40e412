"""Ways of getting an IAM Identity Center access token; one module per way.

Names are imported on first use, so ``refreshable_sso.tokens.base`` does not pull in the
login flows (and ``http.server``) with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.tokens.base import (
        SSOToken,
        TokenProvider,
    )
    from refreshable_sso.tokens.cached import (
        CachedTokenProvider,
    )
    from refreshable_sso.tokens.chain import (
        ChainTokenProvider,
    )
    from refreshable_sso.tokens.login.device import (
        DeviceCodeProvider,
    )
    from refreshable_sso.tokens.login.options import LoginOptions
    from refreshable_sso.tokens.login.pkce import (
        AuthorizationCodeProvider,
    )
    from refreshable_sso.tokens.login.policy import (
        LoginEvent,
        LoginPolicyProvider,
    )
    from refreshable_sso.tokens.simple import (
        CallableTokenProvider,
        CommandTokenProvider,
        StaticTokenProvider,
    )
    from refreshable_sso.tokens.store import (
        TokenCache,
    )

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "AuthorizationCodeProvider": "refreshable_sso.tokens.login.pkce",
    "CachedTokenProvider": "refreshable_sso.tokens.cached",
    "CallableTokenProvider": "refreshable_sso.tokens.simple",
    "ChainTokenProvider": "refreshable_sso.tokens.chain",
    "CommandTokenProvider": "refreshable_sso.tokens.simple",
    "DeviceCodeProvider": "refreshable_sso.tokens.login.device",
    "LoginEvent": "refreshable_sso.tokens.login.policy",
    "LoginOptions": "refreshable_sso.tokens.login.options",
    "LoginPolicyProvider": "refreshable_sso.tokens.login.policy",
    "SSOToken": "refreshable_sso.tokens.base",
    "StaticTokenProvider": "refreshable_sso.tokens.simple",
    "TokenCache": "refreshable_sso.tokens.store",
    "TokenProvider": "refreshable_sso.tokens.base",
}

__all__ = [
    "AuthorizationCodeProvider",
    "CachedTokenProvider",
    "CallableTokenProvider",
    "ChainTokenProvider",
    "CommandTokenProvider",
    "DeviceCodeProvider",
    "LoginEvent",
    "LoginOptions",
    "LoginPolicyProvider",
    "SSOToken",
    "StaticTokenProvider",
    "TokenCache",
    "TokenProvider",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
