"""Moved to :mod:`refreshable_sso.session.sign_in_watch`; this path stays so existing imports keep working.

``refreshable_sso.sign_in_watch`` *is* that module (the same object in ``sys.modules``, put
there below), so monkeypatching either name patches both. The table of moves is in
tests/test_layout.py.
"""

import sys

from refreshable_sso.session import sign_in_watch as _moved
from refreshable_sso.session.sign_in_watch import (
    DEFAULT_BEFORE,
    SignInCallback,
    SignInExpiringEvent,
    SignInWatch,
)

# for type checkers only: at run time this name is the moved module
__all__ = ["DEFAULT_BEFORE", "SignInCallback", "SignInExpiringEvent", "SignInWatch"]

sys.modules[__name__] = _moved
