"""Moved to :mod:`refreshable_sso.tokens.login.policy`; this path stays so existing imports keep working.

``refreshable_sso.tokens.policy`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import policy as _moved
from refreshable_sso.tokens.login.policy import (
    LOCK_GRACE,
    LOGIN_LOCK_PURPOSE,
    LOGIN_POLICIES,
    LoginEvent,
    LoginPolicy,
    LoginPolicyProvider,
    default_interactive_provider,
    default_login_policy,
    interactive_provider,
    login_lock,
    login_lock_path,
    store_login_lock,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "LOCK_GRACE",
    "LOGIN_LOCK_PURPOSE",
    "LOGIN_POLICIES",
    "LoginEvent",
    "LoginPolicy",
    "LoginPolicyProvider",
    "default_interactive_provider",
    "default_login_policy",
    "interactive_provider",
    "login_lock",
    "login_lock_path",
    "store_login_lock",
]

sys.modules[__name__] = _moved
