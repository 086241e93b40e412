"""A local IAM Identity Center (SSO portal + SSO-OIDC) and STS for offline tests.

Unmodified botocore clients talk to it over real HTTP once ``emu.env()`` (or
``endpoint_url=emu.url``) points them here. See ``docs/emulator.md``.
"""

from refreshable_sso.emulator.app import Emulator
from refreshable_sso.emulator.clock import Clock
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.emulator.entities import Account, User
from refreshable_sso.emulator.faults import Faults
from refreshable_sso.emulator.settings import DEFAULT_START_URL, EmulatorSettings

__all__ = [
    "DEFAULT_START_URL",
    "Account",
    "Clock",
    "Directory",
    "Emulator",
    "EmulatorSettings",
    "Faults",
    "User",
]
