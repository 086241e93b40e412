"""Ways of getting an IAM Identity Center access token; one module per way."""

from refreshable_sso.tokens.base import SSOToken, TokenProvider
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.chain import ChainTokenProvider
from refreshable_sso.tokens.device import DeviceCodeProvider
from refreshable_sso.tokens.pkce import AuthorizationCodeProvider
from refreshable_sso.tokens.policy import LoginEvent, LoginPolicyProvider
from refreshable_sso.tokens.simple import (
    CallableTokenProvider,
    CommandTokenProvider,
    StaticTokenProvider,
)
from refreshable_sso.tokens.store import TokenCache

__all__ = [
    "AuthorizationCodeProvider",
    "CachedTokenProvider",
    "CallableTokenProvider",
    "ChainTokenProvider",
    "CommandTokenProvider",
    "DeviceCodeProvider",
    "LoginEvent",
    "LoginPolicyProvider",
    "SSOToken",
    "StaticTokenProvider",
    "TokenCache",
    "TokenProvider",
]
