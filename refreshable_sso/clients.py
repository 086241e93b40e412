"""Moved to :mod:`refreshable_sso.session.client_cache`; this path stays so existing imports keep working.

``refreshable_sso.clients`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both. The table of moves is in
tests/test_layout.py.
"""

import sys

from refreshable_sso.session import client_cache as _moved
from refreshable_sso.session.client_cache import (
    CacheInfo,
    CacheSettings,
    ClientCache,
    check_settings,
    client_key,
    config_key,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "CacheInfo",
    "CacheSettings",
    "ClientCache",
    "check_settings",
    "client_key",
    "config_key",
]

sys.modules[__name__] = _moved
