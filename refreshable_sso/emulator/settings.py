"""The emulator's knobs, validated once (pydantic) so a bad value names its field."""

from __future__ import annotations

import re
from typing import TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_START_URL = "https://d-90670ca11e.awsapps.com/start"


def same_start_url(url: str) -> str:
    """A start URL without the trailing ``/``, ``#`` or ``/#/`` people paste from the portal."""
    return re.sub(r"[/#]+$", "", url.strip())


class EmulatorSettings(BaseModel):
    """Lifetimes are seconds on the emulator clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    region: str = "us-east-1"
    start_url: str = DEFAULT_START_URL
    auto_approve: bool = False
    access_token_ttl: float = Field(default=3600.0, gt=0)
    session_ttl: float = Field(default=8 * 3600.0, gt=0)
    role_credentials_ttl: float = Field(default=3600.0, gt=0)
    # Test knob: caps the lifetime of AssumeRole credentials (below AWS's 900 s minimum too).
    assumed_role_ttl: float | None = Field(default=None, gt=0)
    device_code_ttl: float = Field(default=600.0, gt=0)
    registration_ttl: float = Field(default=90 * 86400.0, gt=0)
    authorization_code_ttl: float = Field(default=300.0, gt=0)
    # Real SSO-OIDC answers a whole number of seconds >= 1 (the default). A sub-second value is
    # a test knob: each device-code sign-in then waits milliseconds instead of a second.
    device_interval: float = Field(default=1, gt=0, le=60)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    fault_seed: int | None = None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
            raise ValueError("must look like an AWS region, e.g. 'us-east-1'")
        return value

    @field_validator("start_url")
    @classmethod
    def _start_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an https:// URL, e.g. https://d-1234567890.awsapps.com/start")
        return same_start_url(value)


class EmulatorOptions(TypedDict, total=False):
    """Keyword arguments of :class:`~refreshable_sso.emulator.Emulator` (see EmulatorSettings)."""

    host: str
    port: int
    region: str
    start_url: str
    auto_approve: bool
    access_token_ttl: float
    session_ttl: float
    role_credentials_ttl: float
    assumed_role_ttl: float | None
    device_code_ttl: float
    registration_ttl: float
    authorization_code_ttl: float
    device_interval: float
    max_body_bytes: int
    fault_seed: int | None
