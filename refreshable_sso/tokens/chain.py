"""Try several token providers in order; when none can help, say why each one declined.

A chain is how "use the environment's token if there is one, else the AWS CLI cache, else ask
the command" is written. Moving on happens only for answers that mean "not me":
``TokenProviderDeclined``, any other ``TokenProviderError`` and ``LoginRequiredError``. Errors
of an interactive login (denied, cancelled, ...) stop the chain: the person has answered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from refreshable_sso.errors import (
    ConfigurationError,
    LoginRequiredError,
    TokenChainError,
    TokenProviderError,
)
from refreshable_sso.tokens.base import SSOToken, TokenProvider

logger = logging.getLogger(__name__)


def _describe(provider: TokenProvider) -> str:
    return type(provider).__name__


class ChainTokenProvider:
    """The first token any of ``providers`` hands out.

    When every provider declines: if one of them said a login is required, a
    ``LoginRequiredError`` (so a login policy can sign in) whose ``__cause__`` is the
    ``TokenChainError``; otherwise the ``TokenChainError``. Either way ``reasons`` lists
    ``(provider, why)`` for each provider, in order.
    """

    def __init__(self, providers: Sequence[TokenProvider]) -> None:
        items = list(providers)
        if not items:
            raise ConfigurationError("ChainTokenProvider needs at least one token provider")
        for index, provider in enumerate(items):
            if not callable(getattr(provider, "get_token", None)):
                raise ConfigurationError(
                    f"ChainTokenProvider: providers[{index}] ({type(provider).__name__}) "
                    "has no get_token() method"
                )
        self._providers: tuple[TokenProvider, ...] = tuple(items)

    @property
    def providers(self) -> tuple[TokenProvider, ...]:
        return self._providers

    def get_token(self, *, force_refresh: bool = False) -> SSOToken:
        reasons: list[tuple[str, str]] = []
        login_required: LoginRequiredError | None = None
        for provider in self._providers:
            name = _describe(provider)
            try:
                token = provider.get_token(force_refresh=force_refresh)
            except LoginRequiredError as exc:
                reasons.append((name, exc.reason))
                login_required = login_required or exc
            except TokenProviderError as exc:
                reasons.append((name, str(exc)))
            else:
                if reasons:
                    logger.info("token from %s after %d provider(s) declined", name, len(reasons))
                return token
            logger.debug("%s declined: %s", name, reasons[-1][1])
        chain_error = TokenChainError(reasons)
        if login_required is not None:
            raise LoginRequiredError(
                "no provider of the chain had a token ("
                + "; ".join(f"{name}: {why}" for name, why in reasons)
                + ")",
                start_url=login_required.start_url,
                sso_session_name=login_required.sso_session_name,
                profile_name=login_required.profile_name,
            ) from chain_error
        raise chain_error

    def __repr__(self) -> str:
        inner = ", ".join(_describe(p) for p in self._providers)
        return f"ChainTokenProvider([{inner}])"


__all__ = ["ChainTokenProvider"]
