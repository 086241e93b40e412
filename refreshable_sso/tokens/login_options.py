"""Moved to :mod:`refreshable_sso.tokens.login.options`; this path stays so existing imports keep working.

``refreshable_sso.tokens.login_options`` *is* that module (the same object in ``sys.modules``, put
there below), so monkeypatching either name patches both, and a pickle that names the old path
still loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import options as _moved
from refreshable_sso.tokens.login.options import (
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_REUSE_MARGIN,
    SLOW_DOWN_STEP,
    BrowserOpener,
    LoginFlow,
    LoginOptions,
    Notifier,
    PromptCallback,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_REUSE_MARGIN",
    "SLOW_DOWN_STEP",
    "BrowserOpener",
    "LoginFlow",
    "LoginOptions",
    "Notifier",
    "PromptCallback",
]

sys.modules[__name__] = _moved
