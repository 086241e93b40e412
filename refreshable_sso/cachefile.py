"""Moved to :mod:`refreshable_sso.storage.files`; this name stays importable for callers."""

from refreshable_sso.storage.files import (
    DEFAULT_LOCK_TIMEOUT,
    DIR_MODE,
    FILE_MODE,
    LOCK_POLL_INTERVAL,
    STALE_TEMP_SECONDS,
    CacheLockTimeoutError,
    FileVersion,
    JsonCacheFile,
    JsonFileRecord,
    make_private_dirs,
    remove_stale_temp_files,
    wall_time,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DIR_MODE",
    "FILE_MODE",
    "LOCK_POLL_INTERVAL",
    "STALE_TEMP_SECONDS",
    "CacheLockTimeoutError",
    "FileVersion",
    "JsonCacheFile",
    "JsonFileRecord",
    "make_private_dirs",
    "remove_stale_temp_files",
    "wall_time",
]
