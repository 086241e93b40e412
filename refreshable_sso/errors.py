"""One error hierarchy for everything refreshable_sso raises.

Every error keeps the exception that caused it as ``__cause__`` (raise ... from exc) and carries
structured fields, so callers can branch on *what* failed without parsing messages. Messages say
what was wrong and how to fix it; they never contain a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class RefreshableSSOError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigurationError(RefreshableSSOError, ValueError):
    """Configuration values were invalid; ``problems`` lists every bad field at once."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(message)


class ProfileError(ConfigurationError):
    """A profile in ``~/.aws/config`` is missing, incomplete or not an SSO profile."""


class LoginRequiredError(RefreshableSSOError):
    """No usable access token: a person has to sign in (again).

    Raised when there is no cached token, the sign-in session is over, the refresh token was
    rejected or revoked, and the session's login policy does not allow an interactive login.
    """

    def __init__(
        self,
        reason: str,
        *,
        start_url: str | None = None,
        sso_session_name: str | None = None,
        profile_name: str | None = None,
        sso_region: str | None = None,
    ) -> None:
        self.reason = reason
        self.start_url = start_url
        self.sso_session_name = sso_session_name
        self.profile_name = profile_name
        self.sso_region = sso_region
        super().__init__(self._compose())

    def _compose(self) -> str:
        who = (
            f"sso-session {self.sso_session_name!r}"
            if self.sso_session_name
            else f"start URL {self.start_url!r}"
            if self.start_url
            else "this SSO configuration"
        )
        if self.profile_name:
            how = f"`refreshable-sso login --profile {self.profile_name}` or `aws sso login --profile {self.profile_name}`"
        elif self.sso_session_name:
            how = f"`refreshable-sso login --sso-session {self.sso_session_name}` or `aws sso login --sso-session {self.sso_session_name}`"
        elif self.start_url:
            region = self.sso_region or "YOUR_SSO_REGION"
            how = f"`refreshable-sso login --start-url {self.start_url} --sso-region {region}` or refreshable_sso.login(...)"
        else:
            how = "`refreshable-sso login` or refreshable_sso.login(...)"
        return (
            f"Login required for {who}: {self.reason}. Sign in with {how}, "
            f"or create the session with login='auto' to sign in interactively when needed."
        )


class TokenProviderError(RefreshableSSOError):
    """A token provider could not produce a token (and logging in again would not obviously help)."""


class TokenProviderDeclined(TokenProviderError):
    """A provider has nothing to offer (no cache file, command absent, ...); a chain moves on."""


class LoginError(RefreshableSSOError):
    """An interactive login (device code or authorization code + PKCE) did not complete."""


class LoginDeniedError(LoginError):
    """The person refused the authorization request (AccessDenied / ``error=access_denied``)."""


class LoginExpiredError(LoginError):
    """The device code or authorization request expired before anyone approved it."""


class LoginTimeoutError(LoginError):
    """Our own time limit for a login ran out."""


class LoginCancelledError(LoginError):
    """The login was cancelled (Ctrl-C or a cancel event)."""


class LoginStateMismatchError(LoginError):
    """The authorization callback carried a ``state`` we did not send: possible CSRF, refused."""


class CredentialRefreshError(RefreshableSSOError):
    """``sso:GetRoleCredentials`` failed for a specific account and role."""

    def __init__(
        self,
        message: str,
        *,
        account_id: str,
        role_name: str,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.role_name = role_name
        self.status_code = status_code
        self.error_code = error_code
        detail = ", ".join(
            part
            for part in (
                f"HTTP {status_code}" if status_code is not None else "",
                error_code or "",
            )
            if part
        )
        suffix = f" ({detail})" if detail else ""
        super().__init__(
            f"Could not get role credentials for role {role_name!r} in account {account_id}"
            f"{suffix}: {message}"
        )


class CacheFileError(RefreshableSSOError):
    """A cache file could not be read or written (permissions, a directory that is a file, ...)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"Cache file {self.path}: {problem}")


class KeyringUnavailableError(RefreshableSSOError):
    """The OS keyring holding a sign-in's tokens (``token_storage="keyring"``) cannot be used.

    ``reason`` is ``"missing"`` (no keyring backend, e.g. no D-Bus session on a headless
    server), ``"locked"``, ``"unreachable"`` (the daemon failed or does not answer) or
    ``"too large"`` (a record longer than the backend allows); ``fix`` says what to do. The
    tokens never fall back to plain-text files on their own.
    """

    def __init__(self, reason: str, detail: str, fix: str) -> None:
        self.reason = reason
        self.detail = detail
        self.fix = fix
        super().__init__(f"The OS keyring is {reason} ({detail}); {fix}")


class CorruptCacheFileError(CacheFileError):
    """A cache file exists but its content is not what the AWS CLI format requires."""


class DiscoveryError(RefreshableSSOError):
    """Listing accounts or roles failed."""


class UnknownAccountError(DiscoveryError):
    """The account is not assigned to the signed-in user (or does not exist)."""

    def __init__(self, account_id: str, detail: str = "") -> None:
        self.account_id = account_id
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"Account {account_id} is not available to this sign-in{extra}. "
            "List the accounts you can reach with `refreshable-sso accounts`."
        )


class AdminListingError(DiscoveryError):
    """Listing assignments through the admin APIs (sso-admin, organizations, identitystore) failed."""


class IdentityError(RefreshableSSOError):
    """``sts:GetCallerIdentity`` failed or returned something that is not an SSO role identity."""


class AssumeRoleError(RefreshableSSOError):
    """``sts:AssumeRole`` failed for one hop of a role chain (or its MFA code could not be had)."""

    def __init__(
        self,
        message: str,
        *,
        role_arn: str,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        self.role_arn = role_arn
        self.status_code = status_code
        self.error_code = error_code
        detail = ", ".join(
            p for p in (f"HTTP {status_code}" if status_code else "", error_code or "") if p
        )
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"Could not assume role {role_arn}{suffix}: {message}")


class TokenChainError(TokenProviderDeclined):
    """Every provider of a ``ChainTokenProvider`` declined; ``reasons`` says why, in order."""

    def __init__(self, reasons: Sequence[tuple[str, str]]) -> None:
        self.reasons: tuple[tuple[str, str], ...] = tuple(reasons)
        listed = "; ".join(f"{name}: {why}" for name, why in self.reasons) or "no providers"
        super().__init__(f"No token provider could supply a token ({listed})")


class MissingDependencyError(RefreshableSSOError, ImportError):
    """A feature needs a package that only one of refreshable-sso's extras installs.

    The message names the package, the feature and the command that installs it
    (``pip install 'refreshable-sso[EXTRA]'``); ``name`` is the missing module, as on any
    :class:`ImportError`, and ``extra`` the extra that brings it.
    """

    def __init__(self, message: str, *, name: str, extra: str) -> None:
        self.extra = extra
        super().__init__(message, name=name)


__all__ = [
    "AdminListingError",
    "AssumeRoleError",
    "CacheFileError",
    "ConfigurationError",
    "CorruptCacheFileError",
    "CredentialRefreshError",
    "DiscoveryError",
    "IdentityError",
    "KeyringUnavailableError",
    "LoginCancelledError",
    "LoginDeniedError",
    "LoginError",
    "LoginExpiredError",
    "LoginRequiredError",
    "LoginStateMismatchError",
    "LoginTimeoutError",
    "MissingDependencyError",
    "ProfileError",
    "RefreshableSSOError",
    "TokenChainError",
    "TokenProviderDeclined",
    "TokenProviderError",
    "UnknownAccountError",
]
