"""botocore refreshable credentials that answer fresh credentials without botocore's clock work.

Every signed request asks its credentials object for ``get_frozen_credentials()``. botocore's
``RefreshableCredentials`` answers by computing ``expiry - datetime.now(tzlocal())`` (about
13 us: a time-zone lookup and datetime arithmetic) before it even looks at its lock. The classes
here remember, each time botocore stores credentials, the moment its *advisory* window for them
opens, and skip that work while the moment is still ahead. Everything else (the advisory and
mandatory windows, the refresh lock, failures tolerated or raised) is botocore's own code: once
the moment has passed, or whenever there is any doubt, the call goes to botocore unchanged.

Why this cannot hide a refresh botocore would make:

* **One deadline per stored expiry.** The deadline is kept together with the very ``datetime``
  object botocore holds in ``_expiry_time`` and only used while that object is still the one
  there (an identity check). Every path that stores new credentials (``_set_from_data`` /
  ``_publish_refresh`` from ``_refresh``, a forced ``_protected_refresh(is_mandatory=True)``
  from an ExpiredToken hook or ``refresh_credentials(force=True)``, the deferred variant's first
  load) assigns a new ``_expiry_time``, so the old deadline stops applying at once, whatever
  order threads run in; the next call goes through botocore and records the new deadline.
* **Both clocks must agree.** botocore decides with the wall clock; so the fast answer needs the
  wall clock (``time.time()``, the clock ``datetime.now()`` reads) to be before ``expiry -
  advisory``: that is exactly the condition under which botocore's own ``refresh_needed()`` is
  False, so a wall clock that jumps forward sends the next call to botocore at once. The
  monotonic clock must also be before the same moment measured from when the deadline was
  recorded: a wall clock stepped *backwards* would make botocore keep the credentials longer,
  and we then hand the decision back to botocore as soon as the real time has passed. Neither
  clock can extend credentials past botocore's decision; at worst botocore is asked earlier.
* **Changed rules drop the deadline.** Setting ``_advisory_refresh_timeout`` or
  ``_time_fetcher`` on the instance forgets it; with a time fetcher other than botocore's own
  (a test clock, a skew-corrected clock) the fast path is off and botocore decides every time.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from botocore import credentials as _botocore_credentials
from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

_wall = time.time
_monotonic = time.monotonic
# botocore's default clock: the fast path is only valid for credentials that use it.
_BOTOCORE_CLOCK: Any = getattr(_botocore_credentials, "_local_now", None)
# botocore's class-level default, used until an advisory timeout is set on the instance.
_DEFAULT_ADVISORY: float = float(getattr(RefreshableCredentials, "_advisory_refresh_timeout", 900))


class _FastPath:
    """The deadline bookkeeping shared by the immediate and the deferred variant."""

    # (expiry object the deadline belongs to, wall deadline, monotonic deadline) or None
    _fresh_until: tuple[datetime, float, float] | None = None
    _expiry_time: datetime | None
    _frozen_credentials: Any

    # -- settings botocore (or our session) assigns on the instance ------------------------

    @property
    def _advisory_refresh_timeout(self) -> float:
        value: float = self.__dict__.get("_fast_advisory", _DEFAULT_ADVISORY)
        return value

    @_advisory_refresh_timeout.setter
    def _advisory_refresh_timeout(self, value: float) -> None:
        self._fresh_until = None
        self.__dict__["_fast_advisory"] = value

    @property
    def _time_fetcher(self) -> Any:
        return self.__dict__.get("_fast_time_fetcher", _BOTOCORE_CLOCK)

    @_time_fetcher.setter
    def _time_fetcher(self, value: Any) -> None:
        self._fresh_until = None
        self.__dict__["_fast_time_fetcher"] = value

    # -- the hot path ------------------------------------------------------------------------

    def get_frozen_credentials(self) -> Any:
        """botocore's answer, without its clock arithmetic while the advisory window is ahead."""
        fresh = self._fresh_until
        if (
            fresh is not None
            and fresh[0] is self._expiry_time
            and _wall() < fresh[1]
            and _monotonic() < fresh[2]
        ):
            return self._frozen_credentials
        frozen = super().get_frozen_credentials()  # type: ignore[misc]
        self._remember_deadline()
        return frozen

    def _refresh(self) -> None:
        fresh = self._fresh_until
        if (
            fresh is not None
            and fresh[0] is self._expiry_time
            and _wall() < fresh[1]
            and _monotonic() < fresh[2]
        ):
            return
        super()._refresh()  # type: ignore[misc]
        self._remember_deadline()

    def _remember_deadline(self) -> None:
        """Record when the advisory window of the credentials botocore holds now opens."""
        expiry = self._expiry_time
        if (
            expiry is None
            or self._frozen_credentials is None
            or self._time_fetcher is not _BOTOCORE_CLOCK
            or _BOTOCORE_CLOCK is None
        ):
            self._fresh_until = None
            return
        wall_now = _wall()
        monotonic_now = _monotonic()
        opens_in = expiry.timestamp() - self._advisory_refresh_timeout - wall_now
        if opens_in <= 0:
            self._fresh_until = None
            return
        self._fresh_until = (expiry, wall_now + opens_in, monotonic_now + opens_in)


class FastRefreshableCredentials(_FastPath, RefreshableCredentials):
    """``RefreshableCredentials`` (credentials fetched at construction) with the fast path."""


class FastDeferredRefreshableCredentials(_FastPath, DeferredRefreshableCredentials):
    """``DeferredRefreshableCredentials`` (fetched on first use) with the fast path."""


__all__ = ["FastDeferredRefreshableCredentials", "FastRefreshableCredentials"]
