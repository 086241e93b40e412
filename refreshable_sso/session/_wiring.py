"""How a session's configuration becomes its token provider and role-credential fetcher.

One place for the sync and the asyncio session (and anything else that serves a session's
credentials), so the two can never wire the same configuration differently. Pure
construction: no I/O happens here.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refreshable_sso.config import HttpConfig, SessionConfig, SSOConfig
from refreshable_sso.credentials.role import RoleCredentialCache, RoleCredentialFetcher
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.tokens.base import TokenProvider
from refreshable_sso.tokens.cached import CachedTokenProvider

if TYPE_CHECKING:
    from refreshable_sso.tokens.login.options import LoginOptions
    from refreshable_sso.tokens.login.policy import LoginPolicyProvider


@dataclass(frozen=True)
class TokenWiring:
    """The provider a session uses, and the two parts of it the session watches."""

    provider: TokenProvider
    cached: CachedTokenProvider | None  # the AWS-CLI token cache reader, when it is ours
    login_policy: LoginPolicyProvider | None  # set with login="auto"


def build_token_provider(
    config: SessionConfig,
    http: HttpConfig,
    *,
    given: TokenProvider | None,
    login_provider: TokenProvider | None,
    on_login: Callable[..., Any] | None,
    token_cache_dir: Path | None,
    token_mapping: MutableMapping[str, Any] | None = None,
    login_options: LoginOptions | None = None,
) -> TokenWiring:
    """The given provider or the AWS-CLI token cache, wrapped for sign-in with login="auto".

    ``login_options`` is the caller's template for the sign-ins (flow, prompt, browser,
    timeout, cancel event); the session sets what it owns on a copy: the scopes, endpoints,
    HTTP settings and where the token goes.
    """
    sso = config.sso
    base: TokenProvider
    if given is not None:
        base = given
    else:
        base = CachedTokenProvider(
            sso.start_url,
            sso.sso_region,
            sso_session_name=sso.sso_session_name,
            cache_dir=token_cache_dir,
            refresh_window=config.refresh.token_refresh_window,
            oidc_endpoint_url=config.endpoints.sso_oidc,
            http=http,
            token_cache=token_mapping,
            token_storage=sso.storage(),
        )
    cached = base if isinstance(base, CachedTokenProvider) else None
    if config.login != "auto":
        return TokenWiring(base, cached, None)
    from refreshable_sso.tokens.login import policy  # the login flows load only when they can run
    from refreshable_sso.tokens.login.options import LoginOptions

    # where the token really lives: the cached reader's file, or the session's mapping. When
    # that reader is ours (not a given provider, which may read another sign-in's cache), our
    # sign-in writes through that very TokenCache object, and the login policy watches it.
    store = cached.cache if cached is not None else None
    ours = store if given is None else None
    interactive = login_provider or policy.interactive_provider(
        sso.start_url,
        sso.sso_region,
        sso.sso_session_name,
        (login_options or LoginOptions()).model_copy(
            update={
                "flow": config.login_flow,
                "scopes": sso.registration_scopes,
                "oidc_endpoint_url": config.endpoints.sso_oidc
                or (login_options.oidc_endpoint_url if login_options else None),
                # sso:Logout before a re-login ahead
                "sso_endpoint_url": config.endpoints.sso
                or (login_options.sso_endpoint_url if login_options else None),
                "cache_dir": token_cache_dir,
                "http": http,
                # a mapping holds the client registration too: nothing of the sign-in goes to disk
                "token_cache": token_mapping,
                "token_store": ours,
                # the OS keyring, when the sign-in keeps its secrets there (the registration too)
                "token_storage": sso.token_storage,
                "token_export": sso.token_export,
            }
        ),
    )
    wrapped = policy.LoginPolicyProvider(
        base,
        policy="auto",
        interactive=interactive,
        sso=sso,
        on_login=on_login,
        cache_dir=token_cache_dir,
        token_cache=store,  # the policy watches that same store
    )
    return TokenWiring(wrapped, cached, wrapped)


def build_role_fetcher(
    config: SessionConfig,
    token_provider: TokenProvider,
    http: HttpConfig,
    *,
    cache_credentials: bool,
    credential_cache_dir: Path | None,
    credential_mapping: MutableMapping[str, Any] | None = None,
) -> RoleCredentialFetcher:
    """GetRoleCredentials for the configured account and role, on the shared cache."""
    sso = config.sso
    return RoleCredentialFetcher(
        token_provider,
        account_id=sso.account_id,
        role_name=sso.role_name,
        sso_region=sso.sso_region,
        start_url=sso.start_url,
        sso_session_name=sso.sso_session_name,
        sso_endpoint_url=config.endpoints.sso,
        http=http,
        cache=RoleCredentialCache(credential_cache_dir, credential_mapping)
        if cache_credentials
        else None,
        # Cached credentials inside the advisory window would be refreshed again at once.
        min_remaining=config.refresh.advisory_timeout,
    )


def naming_the_profile(
    exc: LoginRequiredError, sso: SSOConfig, profile_name: str | None
) -> LoginRequiredError:
    """``exc`` with the profile the session came from, so its hint names the right login."""
    if not profile_name or exc.profile_name is not None:
        return exc
    return LoginRequiredError(
        exc.reason,
        start_url=exc.start_url or sso.start_url,
        sso_session_name=exc.sso_session_name or sso.sso_session_name,
        profile_name=profile_name,
        sso_region=exc.sso_region or sso.sso_region,
    )


__all__ = ["TokenWiring", "build_role_fetcher", "build_token_provider", "naming_the_profile"]
