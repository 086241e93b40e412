"""Moved to :mod:`refreshable_sso.profiles.editor`; this path stays so existing imports keep working.

``refreshable_sso.configfile`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.profiles import editor as _moved
from refreshable_sso.profiles.editor import (
    ConfigDocument,
    profile_section,
    sso_session_section,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "ConfigDocument",
    "profile_section",
    "sso_session_section",
]

sys.modules[__name__] = _moved
