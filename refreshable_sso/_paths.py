"""Moved to :mod:`refreshable_sso.storage.paths`; this name stays importable for callers."""

from refreshable_sso.storage.paths import (
    PRIVATE_DIR_SUFFIX,
    cli_cache_dir,
    lock_path_for,
    private_dir,
    registration_cache_key,
    registration_cache_path,
    role_credentials_cache_key,
    role_credentials_cache_path,
    sign_in_record_path,
    sso_cache_dir,
    token_cache_key,
    token_cache_path,
)

__all__ = [
    "PRIVATE_DIR_SUFFIX",
    "cli_cache_dir",
    "lock_path_for",
    "private_dir",
    "registration_cache_key",
    "registration_cache_path",
    "role_credentials_cache_key",
    "role_credentials_cache_path",
    "sign_in_record_path",
    "sso_cache_dir",
    "token_cache_key",
    "token_cache_path",
]
