"""When cached role credentials may still be handed out: one rule, without heavy imports.

Shared by the role-credential fetcher (``credentials/role.py``) and the ``credential-process`` fast
path (``serving/warm.py``), which must decide exactly alike without importing botocore.
"""

from __future__ import annotations

#: The advisory window of ``RefreshConfig`` (seconds): what cached credentials must have left.
DEFAULT_MIN_REMAINING = 900.0


def usable(seconds_left: float, lifetime: float, min_remaining: float) -> bool:
    """More than ``min_remaining`` left; half the lifetime for credentials that live shorter.

    Without that fallback, credentials living less than ``min_remaining`` (a misconfigured
    window, a test emulator) would never be reused and every process would fetch its own.
    """
    needed = min_remaining if lifetime > min_remaining else max(0.0, lifetime / 2)
    return seconds_left > needed
