"""The ``credential-process`` fast path: answer from a fresh role-credential cache entry
without importing boto3, botocore or pydantic and without building any client.

The AWS CLI starts ``credential_process`` once per command, so its start-up time is paid on
every ``aws ...`` call. This module reads ``~/.aws/config`` with :mod:`configparser` and the
entry the session would use (file name from ``_paths``, reuse rule from ``_reuse``). When
anything is unusual (no entry, too old, an unexpected shape, a profile this reader does not
fully understand) it answers ``None`` and the caller takes the full path, which validates
everything and reports precisely what is wrong.
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path
from typing import NamedTuple

from refreshable_sso import _clock
from refreshable_sso.credentials.reuse import usable
from refreshable_sso.serving.documents import ServedCredentials, parse_iso_utc
from refreshable_sso.storage.paths import role_credentials_cache_path


class CacheTarget(NamedTuple):
    """What names a role-credential cache entry: the account, the role and the sign-in."""

    account_id: str
    role_name: str
    sso_session_name: str | None = None
    start_url: str | None = None

    def cache_path(self, cache_dir: Path | None = None) -> Path:
        return role_credentials_cache_path(
            self.account_id,
            self.role_name,
            sso_session_name=self.sso_session_name,
            start_url=self.start_url,
            cache_dir=cache_dir,
        )


def _config_file() -> Path:
    # The same rule as profiles.config_file_path (which imports botocore).
    return Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))


def profile_target(profile_name: str, config_file: Path | None = None) -> CacheTarget | None:
    """The cache entry an SSO profile uses, or None when this light reader is not sure."""
    parser = configparser.RawConfigParser()
    try:
        with open(config_file or _config_file(), encoding="utf-8") as stream:
            parser.read_file(stream)
    except (OSError, UnicodeError, configparser.Error):
        return None
    name = f"profile {profile_name}"
    if not parser.has_section(name):
        if profile_name != "default" or not parser.has_section("default"):
            return None
        name = "default"
    profile = {key: value.strip() for key, value in parser.items(name)}
    account, role = profile.get("sso_account_id"), profile.get("sso_role_name")
    if not account or not role:
        return None
    session = profile.get("sso_session")
    if session:
        section = f"sso-session {session}"
        if not parser.has_section(section):
            return None
        values = {key: value.strip() for key, value in parser.items(section)}
        if not values.get("sso_start_url") or not values.get("sso_region"):
            return None
        return CacheTarget(account, role, sso_session_name=session)
    start_url = profile.get("sso_start_url")
    if not start_url or not profile.get("sso_region"):
        return None
    return CacheTarget(account, role, start_url=start_url)


def _text(creds: dict[str, object], key: str) -> str:
    value = creds.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(key)
    return value


def cached_credentials(
    target: CacheTarget, min_remaining: float, cache_dir: Path | None = None
) -> ServedCredentials | None:
    """The entry's credentials if they have more than ``min_remaining`` left, else None.

    "Left" follows the fetcher's rule exactly (``_reuse.usable``, the lifetime measured from
    the file's modification time), so this path and the session never disagree.
    """
    path = target.cache_path(cache_dir)
    try:
        with open(path, "rb") as stream:
            mtime = os.fstat(stream.fileno()).st_mtime_ns / 1e9
            data = json.loads(stream.read())
        if not isinstance(data, dict) or data.get("ProviderType", "sso") != "sso":
            return None
        creds = data.get("Credentials")
        if not isinstance(creds, dict):
            return None
        account_id = creds.get("AccountId")
        served = ServedCredentials(
            access_key_id=_text(creds, "AccessKeyId"),
            secret_access_key=_text(creds, "SecretAccessKey"),
            session_token=_text(creds, "SessionToken"),
            expiration=parse_iso_utc(_text(creds, "Expiration")),
            account_id=account_id if isinstance(account_id, str) else target.account_id,
        )
    except (OSError, ValueError):
        return None
    lifetime = served.expiration.timestamp() - _clock.from_system_time(mtime)
    if not usable(served.seconds_left(), lifetime, min_remaining):
        return None
    return served


__all__ = ["CacheTarget", "cached_credentials", "profile_target"]
