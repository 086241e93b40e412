"""Moved to :mod:`refreshable_sso.credentials.chain`; this path stays so existing imports keep working.

``refreshable_sso.assume`` *is* that module (the same object in ``sys.modules``, put there below),
so monkeypatching either name patches both, and a pickle that names the old path still loads. The
table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.credentials import chain as _moved
from refreshable_sso.credentials.chain import (
    METHOD,
    AssumedCredentials,
    AssumeRoleFetcher,
    Fetch,
    RoleChain,
    assume_role_kwargs,
    cache_key,
    cache_path,
    refreshable,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "METHOD",
    "AssumeRoleFetcher",
    "AssumedCredentials",
    "Fetch",
    "RoleChain",
    "assume_role_kwargs",
    "cache_key",
    "cache_path",
    "refreshable",
]

sys.modules[__name__] = _moved
