"""Moved to :mod:`refreshable_sso.tokens.login.pkce`; this path stays so existing imports keep working.

``refreshable_sso.tokens.pkce`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import pkce as _moved
from refreshable_sso.tokens.login.pkce import (
    CALLBACK_PATH,
    VERIFIER_LENGTH,
    AuthorizationCodeProvider,
    CallbackResult,
    LoopbackListener,
    authorize_url,
    code_challenge,
    new_code_verifier,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "CALLBACK_PATH",
    "VERIFIER_LENGTH",
    "AuthorizationCodeProvider",
    "CallbackResult",
    "LoopbackListener",
    "authorize_url",
    "code_challenge",
    "new_code_verifier",
]

sys.modules[__name__] = _moved
