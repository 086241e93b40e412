"""Ways of getting an IAM Identity Center access token; one module per way."""

from refreshable_sso.tokens.base import SSOToken, TokenProvider

__all__ = ["SSOToken", "TokenProvider"]
