"""Moved to :mod:`refreshable_sso.tokens.login.interactive`; this path stays so existing imports keep working.

``refreshable_sso.tokens.interactive`` *is* that module (the same object in ``sys.modules``, put
there below), so monkeypatching either name patches both, and a pickle that names the old path
still loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import interactive as _moved
from refreshable_sso.tokens.login.interactive import (
    DEFAULT_AUTHORIZE_MESSAGE,
    DEFAULT_DEVICE_MESSAGE,
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_REUSE_MARGIN,
    DISABLE_BROWSER_ENV,
    LOGIN_FLOW_ENV,
    LOGIN_FLOWS,
    SLOW_DOWN_STEP,
    BrowserOpener,
    CancellableWait,
    InteractiveTokenProvider,
    LoginFlow,
    LoginOptions,
    Notifier,
    PromptCallback,
    UserPrompt,
    browser_unavailable_reason,
    check_message_template,
    notify_stderr,
    open_with_webbrowser,
    resolve_login_flow,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "DEFAULT_AUTHORIZE_MESSAGE",
    "DEFAULT_DEVICE_MESSAGE",
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_REUSE_MARGIN",
    "DISABLE_BROWSER_ENV",
    "LOGIN_FLOWS",
    "LOGIN_FLOW_ENV",
    "SLOW_DOWN_STEP",
    "BrowserOpener",
    "CancellableWait",
    "InteractiveTokenProvider",
    "LoginFlow",
    "LoginOptions",
    "Notifier",
    "PromptCallback",
    "UserPrompt",
    "browser_unavailable_reason",
    "check_message_template",
    "notify_stderr",
    "open_with_webbrowser",
    "resolve_login_flow",
]

sys.modules[__name__] = _moved
