"""Moved to :mod:`refreshable_sso.tokens.login.device`; this path stays so existing imports keep working.

``refreshable_sso.tokens.device`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.tokens.login import device as _moved
from refreshable_sso.tokens.login.device import (
    DEFAULT_INTERVAL,
    MIN_INTERVAL,
    SLOW_DOWN_STEP,
    DeviceCodeProvider,
    run_device_flow,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "DEFAULT_INTERVAL",
    "MIN_INTERVAL",
    "SLOW_DOWN_STEP",
    "DeviceCodeProvider",
    "run_device_flow",
]

sys.modules[__name__] = _moved
