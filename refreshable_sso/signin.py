"""Moved to :mod:`refreshable_sso.tokens.login.signin`; this path stays so existing imports keep working.

``refreshable_sso.signin`` *is* that module (the same object in ``sys.modules``, put there below),
so monkeypatching either name patches both, and a pickle that names the old path still loads. The
table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import signin as _moved
from refreshable_sso.tokens.login.signin import (
    DEFAULT_MIN_VALID,
    LogoutResult,
    login,
    logout,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "DEFAULT_MIN_VALID",
    "LogoutResult",
    "login",
    "logout",
]

sys.modules[__name__] = _moved
