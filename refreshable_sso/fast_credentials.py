"""Moved to :mod:`refreshable_sso.aws.fast_credentials`; this path stays so existing imports keep working.

``refreshable_sso.fast_credentials`` *is* that module (the same object in ``sys.modules``, put
there below), so monkeypatching either name patches both, and a pickle that names the old path
still loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.aws import fast_credentials as _moved
from refreshable_sso.aws.fast_credentials import (
    FastDeferredRefreshableCredentials,
    FastRefreshableCredentials,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "FastDeferredRefreshableCredentials",
    "FastRefreshableCredentials",
]

sys.modules[__name__] = _moved
