"""Moved to :mod:`refreshable_sso.aws.loader`; this path stays so existing imports keep working.

``refreshable_sso.shared_loader`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.aws import loader as _moved
from refreshable_sso.aws.loader import (
    BOTO3_DATA_PATH,
    botocore_session,
    data_loader,
    shared_loader,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "BOTO3_DATA_PATH",
    "botocore_session",
    "data_loader",
    "shared_loader",
]

sys.modules[__name__] = _moved
