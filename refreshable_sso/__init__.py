"""refreshable_sso: AWS IAM Identity Center credentials that keep working in long-running programs.

The public names live here; everything else is an implementation detail of its module.
"""

from refreshable_sso.clients import CacheInfo
from refreshable_sso.config import (
    CacheConfig,
    EndpointConfig,
    HttpConfig,
    RefreshConfig,
    SSOConfig,
)
from refreshable_sso.discovery import AccountInfo, RoleInfo, list_accounts, list_roles
from refreshable_sso.errors import (
    CacheFileError,
    ConfigurationError,
    CorruptCacheFileError,
    CredentialRefreshError,
    DiscoveryError,
    IdentityError,
    LoginCancelledError,
    LoginDeniedError,
    LoginError,
    LoginExpiredError,
    LoginRequiredError,
    LoginStateMismatchError,
    LoginTimeoutError,
    ProfileError,
    RefreshableSSOError,
    TokenProviderDeclined,
    TokenProviderError,
    UnknownAccountError,
)
from refreshable_sso.identity import Identity
from refreshable_sso.session import SSORefreshableSession, TemporaryCredentials
from refreshable_sso.signin import LogoutResult, login, logout
from refreshable_sso.tokens import (
    AuthorizationCodeProvider,
    CachedTokenProvider,
    CallableTokenProvider,
    ChainTokenProvider,
    CommandTokenProvider,
    DeviceCodeProvider,
    LoginEvent,
    LoginPolicyProvider,
    SSOToken,
    StaticTokenProvider,
    TokenCache,
    TokenProvider,
)

__version__ = "0.1.0"

__all__ = [
    "AccountInfo",
    "AuthorizationCodeProvider",
    "CacheConfig",
    "CacheFileError",
    "CacheInfo",
    "CachedTokenProvider",
    "CallableTokenProvider",
    "ChainTokenProvider",
    "CommandTokenProvider",
    "ConfigurationError",
    "CorruptCacheFileError",
    "CredentialRefreshError",
    "DeviceCodeProvider",
    "DiscoveryError",
    "EndpointConfig",
    "HttpConfig",
    "Identity",
    "IdentityError",
    "LoginCancelledError",
    "LoginDeniedError",
    "LoginError",
    "LoginEvent",
    "LoginExpiredError",
    "LoginPolicyProvider",
    "LoginRequiredError",
    "LoginStateMismatchError",
    "LoginTimeoutError",
    "LogoutResult",
    "ProfileError",
    "RefreshConfig",
    "RefreshableSSOError",
    "RoleInfo",
    "SSOConfig",
    "SSORefreshableSession",
    "SSOToken",
    "StaticTokenProvider",
    "TemporaryCredentials",
    "TokenCache",
    "TokenProvider",
    "TokenProviderDeclined",
    "TokenProviderError",
    "UnknownAccountError",
    "__version__",
    "list_accounts",
    "list_roles",
    "login",
    "logout",
]
