"""botocore refreshable credentials that answer fresh credentials without botocore's clock work.

Every signed request asks its credentials object for ``get_frozen_credentials()``; botocore's
own answer does time-zone and datetime arithmetic before it looks at its lock. The classes
here skip that work while botocore's advisory window is still ahead, and hand every other
decision to botocore unchanged. They live in :mod:`refreshable_sso.aws._botocore` (the one module
that touches botocore's private attributes, where the reasoning and the guarantees are written
down); this module keeps their public import path.
"""

from __future__ import annotations

from refreshable_sso.aws._botocore import (
    FastDeferredRefreshableCredentials,
    FastRefreshableCredentials,
)

__all__ = ["FastDeferredRefreshableCredentials", "FastRefreshableCredentials"]
