"""refreshable_sso: AWS IAM Identity Center credentials that keep working in long-running programs.

The public names live here; everything else is an implementation detail of its module.

Public names are imported on first use (PEP 562), so ``import refreshable_sso`` costs
little and a command or fixture loads only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refreshable_sso.admin.assignments import Assignment, list_assignments
    from refreshable_sso.config import (
        AssumeRoleConfig,
        CacheConfig,
        EndpointConfig,
        HttpConfig,
        RefreshConfig,
        SSOConfig,
        StorageConfig,
    )
    from refreshable_sso.discovery import (
        AccountInfo,
        RoleInfo,
        list_accounts,
        list_roles,
    )
    from refreshable_sso.errors import (
        AdminListingError,
        AssumeRoleError,
        CacheFileError,
        ConfigurationError,
        CorruptCacheFileError,
        CredentialRefreshError,
        DiscoveryError,
        IdentityError,
        KeyringUnavailableError,
        LoginCancelledError,
        LoginDeniedError,
        LoginError,
        LoginExpiredError,
        LoginRequiredError,
        LoginStateMismatchError,
        LoginTimeoutError,
        MissingDependencyError,
        ProfileError,
        RefreshableSSOError,
        TokenChainError,
        TokenProviderDeclined,
        TokenProviderError,
        UnknownAccountError,
    )
    from refreshable_sso.identity import (
        Identity,
    )
    from refreshable_sso.serving.container import ContainerCredentialServer
    from refreshable_sso.session import (
        SSORefreshableSession,
        TemporaryCredentials,
    )
    from refreshable_sso.session.client_cache import (
        CacheInfo,
    )
    from refreshable_sso.session.sign_in_watch import SignInExpiringEvent
    from refreshable_sso.tokens import (
        AuthorizationCodeProvider,
        CachedTokenProvider,
        CallableTokenProvider,
        ChainTokenProvider,
        CommandTokenProvider,
        DeviceCodeProvider,
        LoginEvent,
        LoginOptions,
        LoginPolicyProvider,
        SSOToken,
        StaticTokenProvider,
        TokenCache,
        TokenProvider,
    )
    from refreshable_sso.tokens.login.signin import (
        LogoutResult,
        login,
        logout,
    )

__version__ = "0.1.0"

# Public name -> the module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "AccountInfo": "refreshable_sso.discovery",
    "AdminListingError": "refreshable_sso.errors",
    "Assignment": "refreshable_sso.admin.assignments",
    "AuthorizationCodeProvider": "refreshable_sso.tokens",
    "CacheConfig": "refreshable_sso.config",
    "CacheFileError": "refreshable_sso.errors",
    "CacheInfo": "refreshable_sso.session.client_cache",
    "CachedTokenProvider": "refreshable_sso.tokens",
    "CallableTokenProvider": "refreshable_sso.tokens",
    "ChainTokenProvider": "refreshable_sso.tokens",
    "CommandTokenProvider": "refreshable_sso.tokens",
    "ConfigurationError": "refreshable_sso.errors",
    "ContainerCredentialServer": "refreshable_sso.serving.container",
    "CorruptCacheFileError": "refreshable_sso.errors",
    "KeyringUnavailableError": "refreshable_sso.errors",
    "CredentialRefreshError": "refreshable_sso.errors",
    "AssumeRoleConfig": "refreshable_sso.config",
    "AssumeRoleError": "refreshable_sso.errors",
    "DeviceCodeProvider": "refreshable_sso.tokens",
    "DiscoveryError": "refreshable_sso.errors",
    "EndpointConfig": "refreshable_sso.config",
    "HttpConfig": "refreshable_sso.config",
    "Identity": "refreshable_sso.identity",
    "IdentityError": "refreshable_sso.errors",
    "LoginCancelledError": "refreshable_sso.errors",
    "LoginDeniedError": "refreshable_sso.errors",
    "LoginError": "refreshable_sso.errors",
    "LoginEvent": "refreshable_sso.tokens",
    "LoginExpiredError": "refreshable_sso.errors",
    "LoginOptions": "refreshable_sso.tokens",
    "LoginPolicyProvider": "refreshable_sso.tokens",
    "LoginRequiredError": "refreshable_sso.errors",
    "LoginStateMismatchError": "refreshable_sso.errors",
    "LoginTimeoutError": "refreshable_sso.errors",
    "LogoutResult": "refreshable_sso.tokens.login.signin",
    "MissingDependencyError": "refreshable_sso.errors",
    "ProfileError": "refreshable_sso.errors",
    "RefreshConfig": "refreshable_sso.config",
    "StorageConfig": "refreshable_sso.config",
    "RefreshableSSOError": "refreshable_sso.errors",
    "RoleInfo": "refreshable_sso.discovery",
    "SSOConfig": "refreshable_sso.config",
    "SSORefreshableSession": "refreshable_sso.session",
    "SSOToken": "refreshable_sso.tokens",
    "SignInExpiringEvent": "refreshable_sso.session.sign_in_watch",
    "StaticTokenProvider": "refreshable_sso.tokens",
    "TemporaryCredentials": "refreshable_sso.session",
    "TokenCache": "refreshable_sso.tokens",
    "TokenChainError": "refreshable_sso.errors",
    "TokenProvider": "refreshable_sso.tokens",
    "TokenProviderDeclined": "refreshable_sso.errors",
    "TokenProviderError": "refreshable_sso.errors",
    "UnknownAccountError": "refreshable_sso.errors",
    "list_accounts": "refreshable_sso.discovery",
    "list_assignments": "refreshable_sso.admin.assignments",
    "list_roles": "refreshable_sso.discovery",
    "login": "refreshable_sso.tokens.login.signin",
    "logout": "refreshable_sso.tokens.login.signin",
}

__all__ = [
    "AccountInfo",
    "AdminListingError",
    "Assignment",
    "AssumeRoleConfig",
    "AssumeRoleError",
    "AuthorizationCodeProvider",
    "CacheConfig",
    "CacheFileError",
    "CacheInfo",
    "CachedTokenProvider",
    "CallableTokenProvider",
    "ChainTokenProvider",
    "CommandTokenProvider",
    "ConfigurationError",
    "ContainerCredentialServer",
    "CorruptCacheFileError",
    "CredentialRefreshError",
    "DeviceCodeProvider",
    "DiscoveryError",
    "EndpointConfig",
    "HttpConfig",
    "Identity",
    "IdentityError",
    "KeyringUnavailableError",
    "LoginCancelledError",
    "LoginDeniedError",
    "LoginError",
    "LoginEvent",
    "LoginExpiredError",
    "LoginOptions",
    "LoginPolicyProvider",
    "LoginRequiredError",
    "LoginStateMismatchError",
    "LoginTimeoutError",
    "LogoutResult",
    "MissingDependencyError",
    "ProfileError",
    "RefreshConfig",
    "RefreshableSSOError",
    "RoleInfo",
    "SSOConfig",
    "SSORefreshableSession",
    "SSOToken",
    "SignInExpiringEvent",
    "StaticTokenProvider",
    "StorageConfig",
    "TemporaryCredentials",
    "TokenCache",
    "TokenChainError",
    "TokenProvider",
    "TokenProviderDeclined",
    "TokenProviderError",
    "UnknownAccountError",
    "__version__",
    "list_accounts",
    "list_assignments",
    "list_roles",
    "login",
    "logout",
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
