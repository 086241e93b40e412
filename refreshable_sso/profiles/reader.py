"""Reading SSO profiles from ``~/.aws/config`` (``sso_session`` profiles and legacy ones).

The rules follow botocore's own SSO credential provider, so a profile that works with
``aws``/plain boto3 works here and one that does not gets a message naming the profile and the
missing key instead of botocore's generic "partial credentials" error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.configloader import load_config
from botocore.exceptions import ConfigNotFound, ConfigParseError

from refreshable_sso.errors import ProfileError

_ACCOUNT_KEYS = ("sso_account_id", "sso_role_name")
_LEGACY_KEYS = ("sso_start_url", "sso_region", *_ACCOUNT_KEYS)
_SESSION_KEYS = ("sso_start_url", "sso_region")


@dataclass(frozen=True)
class SSOProfile:
    """What an SSO profile says: the sign-in (start URL, region, sso-session) and the account/role."""

    profile_name: str
    start_url: str
    sso_region: str
    account_id: str
    role_name: str
    sso_session_name: str | None = None
    registration_scopes: tuple[str, ...] | None = None
    region: str | None = None
    #: ``refreshable_sso_token_storage`` / ``_token_export`` of the sso-session section
    token_storage: str | None = None
    token_export: str | None = None

    def sso_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``SSOConfig`` (scopes only when the profile sets them)."""
        fields: dict[str, Any] = {
            "start_url": self.start_url,
            "sso_region": self.sso_region,
            "account_id": self.account_id,
            "role_name": self.role_name,
            "sso_session_name": self.sso_session_name,
        }
        if self.registration_scopes:
            fields["registration_scopes"] = self.registration_scopes
        if self.token_storage:
            fields["token_storage"] = self.token_storage
        if self.token_export:
            fields["token_export"] = self.token_export
        return fields


#: Our keys in an ``[sso-session NAME]`` section (botocore and the AWS CLI ignore unknown keys).
TOKEN_STORAGE_KEY = "refreshable_sso_token_storage"  # noqa: S105 (a key name)
TOKEN_EXPORT_KEY = "refreshable_sso_token_export"  # noqa: S105 (a key name)


def _optional(value: object) -> str | None:
    """A config value as stripped text, None when absent or empty."""
    text = str(value).strip() if value is not None else ""
    return text or None


def config_file_path() -> Path:
    """``AWS_CONFIG_FILE`` if set, else ``~/.aws/config`` (where botocore looks)."""
    return Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))


def _load(path: Path, profile_name: str) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = load_config(str(path))
    except ConfigNotFound as exc:
        raise ProfileError(
            f"Profile {profile_name!r} not found: there is no AWS config file at {path}. "
            f"Create one with `aws configure sso` or set AWS_CONFIG_FILE.",
            [f"{path}: file not found"],
        ) from exc
    except ConfigParseError as exc:
        raise ProfileError(
            f"Profile {profile_name!r} cannot be read: {path} is not a valid INI file ({exc}).",
            [f"{path}: not a valid INI file"],
        ) from exc
    return loaded


def _missing(section: str, where: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [
        f"{section}: missing key {key!r}" for key in keys if not str(where.get(key, "")).strip()
    ]


def _scopes(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def load_sso_profile(profile_name: str, *, config_file: Path | None = None) -> SSOProfile:
    """Read one SSO profile; ``ProfileError`` names the profile and every missing key."""
    path = config_file or config_file_path()
    config = _load(path, profile_name)
    profiles: dict[str, dict[str, Any]] = config.get("profiles", {})
    sessions: dict[str, dict[str, Any]] = config.get("sso_sessions", {})
    if profile_name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(
            f"Profile {profile_name!r} not found in {path} (profiles there: {known}). "
            f"Add a [profile {profile_name}] section, e.g. with `aws configure sso`.",
            [f"profile {profile_name!r}: not found"],
        )
    profile = profiles[profile_name]
    label = f"[profile {profile_name}]"
    session_name = str(profile.get("sso_session", "")).strip() or None
    if session_name is None and "sso_start_url" not in profile:
        raise ProfileError(
            f"Profile {profile_name!r} in {path} is not an IAM Identity Center (SSO) profile: it has "
            "neither 'sso_session' nor 'sso_start_url'. Add sso_session, sso_account_id and "
            "sso_role_name (see `aws configure sso`), or pick an SSO profile.",
            [f"{label}: missing key 'sso_session' (or legacy 'sso_start_url')"],
        )
    if session_name is None:
        problems = _missing(label, profile, _LEGACY_KEYS)
        if problems:
            raise _incomplete(profile_name, path, problems)
        return SSOProfile(
            profile_name=profile_name,
            start_url=str(profile["sso_start_url"]).strip(),
            sso_region=str(profile["sso_region"]).strip(),
            account_id=str(profile["sso_account_id"]).strip(),
            role_name=str(profile["sso_role_name"]).strip(),
            region=profile.get("region"),
        )
    if session_name not in sessions:
        raise ProfileError(
            f"Profile {profile_name!r} refers to sso_session {session_name!r}, but {path} has no "
            f"[sso-session {session_name}] section. Add it with sso_start_url and sso_region.",
            [f"[sso-session {session_name}]: section not found"],
        )
    section = sessions[session_name]
    session_label = f"[sso-session {session_name}]"
    problems = _missing(label, profile, _ACCOUNT_KEYS) + _missing(
        session_label, section, _SESSION_KEYS
    )
    for key in _SESSION_KEYS:
        # botocore refuses profiles whose own value contradicts the sso-session's.
        if (
            key in profile
            and key in section
            and str(profile[key]).strip() != str(section[key]).strip()
        ):
            problems.append(
                f"{label}: {key} {profile[key]!r} differs from {session_label}'s {section[key]!r}; "
                "remove it from the profile"
            )
    if problems:
        raise _incomplete(profile_name, path, problems)
    return SSOProfile(
        profile_name=profile_name,
        start_url=str(section["sso_start_url"]).strip(),
        sso_region=str(section["sso_region"]).strip(),
        account_id=str(profile["sso_account_id"]).strip(),
        role_name=str(profile["sso_role_name"]).strip(),
        sso_session_name=session_name,
        registration_scopes=_scopes(section.get("sso_registration_scopes")),
        region=profile.get("region"),
        token_storage=_optional(section.get(TOKEN_STORAGE_KEY)),
        token_export=_optional(section.get(TOKEN_EXPORT_KEY)),
    )


def _incomplete(profile_name: str, path: Path, problems: list[str]) -> ProfileError:
    return ProfileError(
        f"Profile {profile_name!r} in {path} is incomplete:\n"
        + "\n".join(f"  - {problem}" for problem in problems)
        + "\nAdd the missing keys (see `aws configure sso`).",
        problems,
    )


# -- role_arn + source_profile chains (down to an SSO profile) ---------------------------------

_HOP_KEYS = ("external_id", "role_session_name", "mfa_serial")


@dataclass(frozen=True)
class ChainedProfile:
    """A profile resolved to its SSO profile plus the AssumeRole hops on top, innermost first."""

    profile_name: str
    sso: SSOProfile
    hops: tuple[dict[str, Any], ...]
    region: str | None = None


def load_profile_chain(profile_name: str, *, config_file: Path | None = None) -> ChainedProfile:
    """Follow ``role_arn`` + ``source_profile`` down to an SSO profile, any depth.

    A loop is refused with a ``ProfileError`` naming the cycle; ``credential_source`` is refused
    (the chain must start at IAM Identity Center).
    """
    path = config_file or config_file_path()
    profiles: dict[str, dict[str, Any]] = _load(path, profile_name).get("profiles", {})
    visited = [profile_name]
    hops: list[dict[str, Any]] = []
    current = profile_name
    region: str | None = None
    while True:
        profile = profiles.get(current)
        if profile is None or "role_arn" not in profile:
            break
        region = region or profile.get("region")
        label = f"[profile {current}]"
        if "credential_source" in profile:
            raise ProfileError(
                f"Profile {current!r} in {path} uses credential_source "
                f"{profile['credential_source']!r}, which refreshable_sso does not support: the "
                "chain must start at an IAM Identity Center profile. Use source_profile = "
                "<an SSO profile> instead.",
                [f"{label}: credential_source is not supported"],
            )
        source = str(profile.get("source_profile", "")).strip()
        if not source:
            raise ProfileError(
                f"Profile {current!r} in {path} has role_arn but no source_profile; add "
                "source_profile = <the profile whose credentials assume the role>.",
                [f"{label}: missing key 'source_profile'"],
            )
        if source in visited:
            cycle = " -> ".join([*visited[visited.index(source) :], source])
            raise ProfileError(
                f"Profile {profile_name!r} in {path}: source_profile loops ({cycle}). "
                "Point the last source_profile at an SSO profile.",
                [f"source_profile cycle: {cycle}"],
            )
        if source not in profiles:
            raise ProfileError(
                f"Profile {current!r} in {path} refers to source_profile {source!r}, which does "
                "not exist.",
                [f"{label}: source_profile {source!r} not found"],
            )
        hops.insert(0, _hop(current, profile, path))
        visited.append(source)
        current = source
    sso = load_sso_profile(current, config_file=path)
    return ChainedProfile(profile_name, sso, tuple(hops), region or sso.region)


def _hop(name: str, profile: dict[str, Any], path: Path) -> dict[str, Any]:
    hop: dict[str, Any] = {"role_arn": str(profile["role_arn"]).strip()}
    for key in _HOP_KEYS:
        if str(profile.get(key, "")).strip():
            hop[key] = str(profile[key]).strip()
    raw = str(profile.get("duration_seconds", "")).strip()
    if raw:
        try:
            hop["duration_seconds"] = int(raw)
        except ValueError:
            raise ProfileError(
                f"Profile {name!r} in {path}: duration_seconds {raw!r} is not a whole number "
                "of seconds (900-43200).",
                [f"[profile {name}]: duration_seconds must be an integer"],
            ) from None
    return hop


__all__ = [
    "ChainedProfile",
    "SSOProfile",
    "config_file_path",
    "load_profile_chain",
    "load_sso_profile",
]
