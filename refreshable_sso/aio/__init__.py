"""refreshable_sso for asyncio: ``AioSSORefreshableSession`` (needs ``refreshable-sso[aio]``).

Importing this package imports aiobotocore; ``import refreshable_sso`` never does.
"""

from __future__ import annotations

try:
    import aiobotocore  # type: ignore[import-untyped]  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "refreshable_sso.aio needs aiobotocore: pip install 'refreshable-sso[aio]'"
    ) from exc

from refreshable_sso.aio.clients import AioClientCache
from refreshable_sso.aio.credentials import AioSSOCredentials
from refreshable_sso.aio.session import AioSSORefreshableSession

__all__ = ["AioClientCache", "AioSSOCredentials", "AioSSORefreshableSession"]
