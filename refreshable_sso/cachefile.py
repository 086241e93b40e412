"""Moved to :mod:`refreshable_sso.storage.files`; this path stays so existing imports keep working.

``refreshable_sso.cachefile`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.storage import files as _moved
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

# for type checkers only: at run time this name is the moved module
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

sys.modules[__name__] = _moved
