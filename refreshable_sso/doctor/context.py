"""What the doctor looks at: the config file, the profile it names, and the environment.

Read once with botocore's own loader (so we see what boto3 sees); every check works on this.
"""

from __future__ import annotations

import itertools
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from botocore.configloader import load_config
from botocore.exceptions import ConfigNotFound, ConfigParseError

from refreshable_sso.profiles.reader import TOKEN_EXPORT_KEY, TOKEN_STORAGE_KEY, config_file_path
from refreshable_sso.storage.paths import cli_cache_dir, sso_cache_dir


class ProfileKind(str, Enum):
    SSO_SESSION = "sso-session"
    LEGACY_SSO = "legacy sso"
    CREDENTIAL_PROCESS = "credential_process"
    ROLE_CHAIN = "role chain"
    STATIC_KEYS = "static keys"
    OTHER = "other"
    MISSING = "missing"


@dataclass(frozen=True)
class SSOTarget:
    """The sign-in and role an SSO profile resolves to (None fields: the profile lacks them)."""

    profile: str
    start_url: str | None
    sso_region: str | None
    account_id: str | None
    role_name: str | None
    sso_session: str | None
    scopes: str | None
    #: ``refreshable_sso_token_storage`` / ``_token_export`` of the sso-session section
    token_storage: str | None = None
    token_export: str | None = None

    @property
    def legacy(self) -> bool:
        return self.sso_session is None


@dataclass
class DoctorContext:
    profile: str
    config_path: Path
    environ: Mapping[str, str] = field(repr=False)  # may hold AWS_SECRET_ACCESS_KEY
    config: dict[str, Any] | None = field(default=None, repr=False)
    config_error: str | None = None
    sso_cache: Path = field(default_factory=sso_cache_dir)
    cli_cache: Path = field(default_factory=cli_cache_dir)

    @classmethod
    def load(cls, profile: str, environ: Mapping[str, str] | None = None) -> DoctorContext:
        env = dict(os.environ if environ is None else environ)
        ctx = cls(profile=profile, config_path=config_file_path(), environ=env)
        try:
            ctx.config = load_config(str(ctx.config_path))
        except ConfigNotFound:
            ctx.config_error = "not found"
        except ConfigParseError as exc:
            ctx.config_error = f"not a valid INI file ({exc})"
        return ctx

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        profiles: dict[str, dict[str, Any]] = (self.config or {}).get("profiles", {})
        return profiles

    @property
    def sso_sessions(self) -> dict[str, dict[str, Any]]:
        sessions: dict[str, dict[str, Any]] = (self.config or {}).get("sso_sessions", {})
        return sessions

    def section(self, profile: str | None = None) -> dict[str, Any]:
        return self.profiles.get(profile or self.profile, {})

    def kind(self, profile: str | None = None) -> ProfileKind:
        name = profile or self.profile
        if name not in self.profiles:
            return ProfileKind.MISSING
        section = self.profiles[name]
        if "role_arn" in section and (
            "source_profile" in section or "credential_source" in section
        ):
            return ProfileKind.ROLE_CHAIN
        if "sso_session" in section:
            return ProfileKind.SSO_SESSION
        if "sso_start_url" in section:
            return ProfileKind.LEGACY_SSO
        if "credential_process" in section:
            return ProfileKind.CREDENTIAL_PROCESS
        if "aws_access_key_id" in section:
            return ProfileKind.STATIC_KEYS
        return ProfileKind.OTHER

    def chain(self) -> list[str]:
        """The profile, then each source_profile it assumes a role from (cycles cut)."""
        names = [self.profile]
        while self.kind(names[-1]) is ProfileKind.ROLE_CHAIN:
            source = str(self.section(names[-1]).get("source_profile", "")).strip()
            if not source or source in names:
                break
            names.append(source)
        return names

    def sso_target(self) -> SSOTarget | None:
        """The SSO profile at the root of the chain, resolved like botocore does (or the
        sign-in our own ``credential-process`` command is told to use)."""
        root = self.chain()[-1]
        kind = self.kind(root)
        if kind is ProfileKind.CREDENTIAL_PROCESS:
            return self._our_credential_process(root)
        if kind not in (ProfileKind.SSO_SESSION, ProfileKind.LEGACY_SSO):
            return None
        section = self.section(root)
        session_name = str(section.get("sso_session", "")).strip() or None
        source = self.sso_sessions.get(session_name, {}) if session_name else section

        def get(key: str, where: Mapping[str, Any]) -> str | None:
            value = str(where.get(key, "")).strip()
            return value or None

        return SSOTarget(
            profile=root,
            start_url=get("sso_start_url", source),
            sso_region=get("sso_region", source),
            account_id=get("sso_account_id", section),
            role_name=get("sso_role_name", section),
            sso_session=session_name,
            scopes=get("sso_registration_scopes", source),
            token_storage=get(TOKEN_STORAGE_KEY, source) if session_name else None,
            token_export=get(TOKEN_EXPORT_KEY, source) if session_name else None,
        )

    def _our_credential_process(self, profile: str) -> SSOTarget | None:
        """``refreshable-sso credential-process --sso-session S ...`` names its sign-in."""
        try:
            argv = shlex.split(str(self.section(profile).get("credential_process", "")))
        except ValueError:
            return None
        if "credential-process" not in argv or not argv[0].endswith("refreshable-sso"):
            return None
        options: dict[str, str] = {}
        for flag, value in itertools.pairwise(argv):
            if flag.startswith("--"):
                options[flag[2:]] = value
        if "profile" in options:
            if self.kind(options["profile"]) not in (
                ProfileKind.SSO_SESSION,
                ProfileKind.LEGACY_SSO,
            ):
                return None
            inner = DoctorContext(options["profile"], self.config_path, self.environ, self.config)
            return inner.sso_target()
        session = options.get("sso-session")
        section = self.sso_sessions.get(session or "", {})
        return SSOTarget(
            profile=profile,
            start_url=options.get("start-url") or (str(section.get("sso_start_url", "")) or None),
            sso_region=options.get("sso-region") or (str(section.get("sso_region", "")) or None),
            account_id=options.get("account-id"),
            role_name=options.get("role-name"),
            sso_session=session,
            scopes=str(section.get("sso_registration_scopes", "")) or None,
            token_storage=str(section.get(TOKEN_STORAGE_KEY, "")).strip() or None,
            token_export=str(section.get(TOKEN_EXPORT_KEY, "")).strip() or None,
        )
