"""Which optional dependency comes with which extra, and the one clear error when one is missing.

A service that embeds the library installs only what the library uses. The command line's and
the emulator's own dependencies come with extras (``pyproject.toml`` lists them): the places that
import one turn a missing one into a :class:`~refreshable_sso.errors.MissingDependencyError`
that names the extra to install, never a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

from refreshable_sso.errors import MissingDependencyError

#: The top-level modules each extra brings, as ``pyproject.toml``'s optional-dependencies do.
EXTRAS: dict[str, tuple[str, ...]] = {
    # the waiting indicator, shell completion, and editing ~/.aws/config (configure populate,
    # doctor --fix)
    "cli": ("rich", "argcomplete", "configupdater"),
    # TOTP codes of the emulated MFA devices
    "emulator": ("pyotp",),
    # the OS keyring token storage (token_storage="keyring", issue 23)
    "keyring": ("keyring",),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install 'refreshable-sso[EXTRA]'``."""
    return f"pip install 'refreshable-sso[{extra}]'"


def missing(error: ModuleNotFoundError, *, extra: str, feature: str) -> BaseException:
    """The error to raise for ``error`` (caught while importing ``feature``'s dependency).

    Args:
        error: the ``ModuleNotFoundError`` of the failed import.
        extra: the extra whose modules :data:`EXTRAS` lists.
        feature: what needs the module, for the message ("the emulator").

    Returns:
        A :class:`~refreshable_sso.errors.MissingDependencyError` naming the extra when the
        missing module is one of ``extra``'s own; otherwise ``error`` itself (a module missing
        from inside an installed package is a broken install, not a missing extra).
    """
    name = (error.name or "").partition(".")[0]
    if name not in EXTRAS[extra]:
        return error
    return MissingDependencyError(
        f"{feature} needs the {name} package, which comes with the {extra!r} extra: "
        f"{install_hint(extra)}",
        name=name,
        extra=extra,
    )
