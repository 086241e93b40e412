"""aiobotocore refreshable credentials fed by the sync role-credential fetcher, in a thread.

aiobotocore's ``AioRefreshableCredentials`` already decides *when* to refresh (advisory and
mandatory windows) and lets one task refresh while the others carry on or wait. Two things
change here:

* its ``asyncio.Lock`` binds to the first loop that waits on it; :class:`AnyLoopLock` does not,
  so one session serves every loop (s3fs runs its own in a thread);
* the refresh is the sync :class:`~refreshable_sso.credentials.RoleCredentialFetcher` (memory,
  the AWS CLI's shared cache under its cross-process lock, then GetRoleCredentials; the token
  provider refreshes the access token on the way) run in a worker thread, so file locks, file
  I/O and the botocore calls never block the loop. The same fetcher logic and cache files as
  the sync session; only where it runs differs.

One refresh per expiry, however many tasks await credentials: the lock is the asyncio
single-flight, the fetcher's thread lock and file lock are the cross-thread and cross-process
ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiobotocore.credentials import AioDeferredRefreshableCredentials  # type: ignore[import-untyped]

from refreshable_sso.aio._lock import AnyLoopLock
from refreshable_sso.aws import _botocore

# The method name botocore's own SSO provider gives its credentials (as the sync session).
CREDENTIAL_METHOD = "sso"


class AioSSOCredentials(AioDeferredRefreshableCredentials):  # type: ignore[misc]
    """Role credentials fetched on first use and refreshed before expiry, from any event loop."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, str]],
        *,
        advisory_timeout: float,
        mandatory_timeout: float,
    ) -> None:
        self._fetch_in_thread = fetch
        super().__init__(
            refresh_using=self._refresh_in_thread,
            method=CREDENTIAL_METHOD,
            time_fetcher=_botocore.TIME_FETCHER,  # the library clock (a test can move it)
        )
        _botocore.replace_refresh_lock(self, AnyLoopLock())
        _botocore.set_refresh_windows(self, advisory_timeout, mandatory_timeout)

    async def _refresh_in_thread(self) -> dict[str, str]:
        """aiobotocore's ``refresh_using``: the blocking fetch, off the event loop."""
        return await asyncio.to_thread(self._fetch_in_thread)

    def __reduce__(self) -> Any:
        raise TypeError(
            "AioSSOCredentials cannot be pickled (they hold role credentials); pickle the "
            "AioSSORefreshableSession instead, which travels as its configuration"
        )


__all__ = ["CREDENTIAL_METHOD", "AioSSOCredentials"]
