"""The two records a directory is made of: accounts (with their IAM roles) and users (with their
MFA devices).

They live apart from :mod:`~refreshable_sso.emulator.directory` because both the directory and
the assignment index (:mod:`~refreshable_sso.emulator.assignments`) are built over them: kept
in either of those modules, the two would import each other. ``directory`` re-exports both, so
``from refreshable_sso.emulator.directory import Account, User`` keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass

from refreshable_sso.emulator import iam

__all__ = ["Account", "User"]


@dataclass(frozen=True)
class Account:
    """One AWS account and the permission sets (roles) assigned in it."""

    account_id: str
    account_name: str
    email_address: str
    roles: tuple[str, ...]
    # IAM roles callers can assume with sts:AssumeRole (see emulator/iam.py)
    iam_roles: tuple[iam.IamRole, ...] = ()

    def iam_role(self, name: str) -> iam.IamRole | None:
        """The IAM role of this account with this name, or None."""
        return next((r for r in self.iam_roles if r.name == name), None)


@dataclass(frozen=True)
class User:
    """A person who can approve a sign-in."""

    user_name: str
    email_address: str = ""
    # virtual MFA devices (TOTP) for AssumeRole's SerialNumber + TokenCode
    mfa_devices: tuple[iam.MfaDevice, ...] = ()
