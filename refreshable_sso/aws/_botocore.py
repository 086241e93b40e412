"""Every use of a botocore (or boto3 / aiobotocore) private attribute or behaviour, in one place.

Why one module: botocore's public API has no way to do some things this library must do (give
``DeferredRefreshableCredentials`` refresh windows, run one forced refresh under botocore's own
lock, read the expiry of the credentials it holds, hand a session a credentials object). Each
is a private that a botocore release may rename. Here each one sits in a small named function
with the reason it is needed, and ``tests/test_botocore_adapter.py`` pins every one against
the installed botocore, so an upgrade that breaks one fails there, loudly, instead of somewhere
in a refresh. The project allows botocore >= 1.34; the adapter's tests run on the oldest and
the newest.

Where botocore offers a seam we use it instead: ``time_fetcher`` (a constructor argument of
every refreshable credentials class) is the library clock's :func:`refreshable_sso._clock.now`,
so a test clock moves botocore's refresh decisions too.

It also holds the credentials fast path (formerly ``fast_credentials``; ``aws.fast_credentials``
re-exports it). Every signed request asks its credentials for ``get_frozen_credentials()``; botocore
answers by computing ``expiry - now`` (a time-zone lookup and datetime arithmetic with its
default clock) before it even looks at its lock. The fast classes remember, each time botocore
stores credentials, the moment its *advisory* window for them opens, and skip that work while
the moment is still ahead. Everything else (the windows, the refresh lock, failures tolerated
or raised) is botocore's own code: once the moment has passed, or whenever there is any doubt,
the call goes to botocore unchanged. Why this cannot hide a refresh botocore would make:

* **One deadline per stored expiry.** The deadline is kept together with the very ``datetime``
  object botocore holds as the credentials' expiry and only used while that object is still the
  one there (an identity check). Every path that stores new credentials (a refresh, a forced
  mandatory refresh from an ExpiredToken hook or ``refresh_credentials(force=True)``, the
  deferred variant's first load) assigns a new expiry object, so the old deadline stops
  applying at once, whatever order threads run in.
* **Both clocks must agree.** botocore decides with its time fetcher; the fast answer needs the
  same clock's wall time (the library clock; :data:`_clock.SYSTEM` is ``time.time``) to be
  before ``expiry - advisory``: exactly the condition under which botocore's own
  ``refresh_needed()`` is False. The monotonic clock must also be before the same moment
  measured from when the deadline was recorded: a wall clock stepped *backwards* would make
  botocore keep the credentials longer, and we then hand the decision back to botocore as soon
  as the real time has passed. Neither clock can extend credentials past botocore's decision.
* **Changed rules drop the deadline.** Setting the advisory timeout or the time fetcher on the
  instance forgets it; with a time fetcher other than the library clock's (botocore's own
  default, a skew-corrected clock) the fast path is off and botocore decides every time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

from refreshable_sso import _clock

# -- the credentials fast path ------------------------------------------------------------------

# botocore's class-level default advisory window (private ``_advisory_refresh_timeout``), used
# until an advisory timeout is set on the instance: the fast path must use the same number.
DEFAULT_ADVISORY: float = float(getattr(RefreshableCredentials, "_advisory_refresh_timeout", 900))

# The hot path calls these two directly (a bound method captured once, not a call through the
# module functions); they follow the installed clock.
_wall: Callable[[], float] = _clock.SYSTEM.wall
_monotonic: Callable[[], float] = _clock.SYSTEM.monotonic


def _follow(clock: _clock.Clock) -> None:
    global _wall, _monotonic
    _wall = clock.wall
    _monotonic = clock.monotonic


_clock.on_change(_follow)

#: botocore's ``time_fetcher`` for every credentials object we make: the library clock, in UTC.
TIME_FETCHER: Callable[[], datetime] = _clock.now


class _FastPath:
    """The deadline bookkeeping shared by the immediate and the deferred variant.

    Privates it relies on (all set by botocore's own ``__init__`` and refresh code):
    ``_expiry_time`` and ``_frozen_credentials`` (what botocore holds; read to answer without
    botocore's arithmetic), ``_refresh`` (botocore's property path; overridden to skip it while
    fresh), ``_advisory_refresh_timeout`` and ``_time_fetcher`` (turned into properties here so
    that changing either forgets the deadline).
    """

    # Index of ``time_fetcher`` among the positional arguments of the botocore class.
    _TIME_FETCHER_ARG = 6

    # (expiry object the deadline belongs to, wall deadline, monotonic deadline) or None
    _fresh_until: tuple[datetime, float, float] | None = None
    _expiry_time: datetime | None
    _frozen_credentials: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library clock unless the caller chose one (botocore's own default is local time
        # from the system clock: a test clock would not move it).
        if len(args) <= self._TIME_FETCHER_ARG:
            kwargs.setdefault("time_fetcher", TIME_FETCHER)
        super().__init__(*args, **kwargs)

    # -- settings botocore (or our session) assigns on the instance ------------------------

    @property
    def _advisory_refresh_timeout(self) -> float:
        value: float = self.__dict__.get("_fast_advisory", DEFAULT_ADVISORY)
        return value

    @_advisory_refresh_timeout.setter
    def _advisory_refresh_timeout(self, value: float) -> None:
        self._fresh_until = None
        self.__dict__["_fast_advisory"] = value

    @property
    def _time_fetcher(self) -> Any:
        return self.__dict__.get("_fast_time_fetcher", TIME_FETCHER)

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
        if expiry is None or self._frozen_credentials is None:
            self._fresh_until = None
            return
        if self._time_fetcher is not TIME_FETCHER:  # botocore reads another clock than _wall
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

    _TIME_FETCHER_ARG = 2  # (refresh_using, method, time_fetcher)


# -- refreshable credentials: windows, expiry, forced refresh -----------------------------------


def set_refresh_windows(credentials: Any, advisory: float, mandatory: float) -> None:
    """Give refreshable credentials their advisory and mandatory windows (seconds).

    Why private: ``DeferredRefreshableCredentials`` (and aiobotocore's variant) take no
    ``advisory_timeout``/``mandatory_timeout`` arguments; botocore reads the instance
    attributes ``_advisory_refresh_timeout`` / ``_mandatory_refresh_timeout``.

    Args:
        credentials: a botocore (or aiobotocore) refreshable credentials object.
        advisory: seconds before expiry from which a refresh is tried (failures tolerated).
        mandatory: seconds before expiry from which a refresh must succeed.
    """
    credentials._advisory_refresh_timeout = advisory
    credentials._mandatory_refresh_timeout = mandatory


def deferred_credentials(
    refresh_using: Callable[[], dict[str, str]], method: str, advisory: float, mandatory: float
) -> DeferredRefreshableCredentials:
    """botocore's ``DeferredRefreshableCredentials`` on the library clock with these windows.

    Args:
        refresh_using: botocore's refresh callable (returns credential metadata).
        method: the credential method name botocore reports.
        advisory: the advisory window, seconds.
        mandatory: the mandatory window, seconds.
    """
    credentials = DeferredRefreshableCredentials(
        refresh_using=refresh_using, method=method, time_fetcher=TIME_FETCHER
    )
    set_refresh_windows(credentials, advisory, mandatory)
    return credentials


def expiry_time(credentials: Any) -> datetime | None:
    """When the credentials botocore holds expire (None before a deferred first load).

    Why private: botocore keeps it in ``_expiry_time`` and has no public accessor.

    Args:
        credentials: a botocore (or aiobotocore) refreshable credentials object.
    """
    expiry: datetime | None = credentials._expiry_time
    return expiry


def frozen_with_expiry(credentials: Any) -> tuple[Any, datetime | None]:
    """The current frozen credentials (refreshed first if due) and the expiry they belong to.

    Why private: ``_frozen_credentials`` is compared with what ``get_frozen_credentials()``
    answered, so the ``_expiry_time`` read belongs to that snapshot (no refresh slipped in).

    Args:
        credentials: a botocore refreshable credentials object (sync).
    """
    for _ in range(3):
        frozen = credentials.get_frozen_credentials()
        expiry: datetime | None = credentials._expiry_time
        if frozen is credentials._frozen_credentials:
            break
    return frozen, expiry


def refresh_now(
    credentials: Any, *, only_if_needed: bool = False, before: Callable[[], object] | None = None
) -> None:
    """Run botocore's own refresh step as a *mandatory* refresh, so a failure raises.

    Why private: botocore has no public "refresh now and raise"; its ``_refresh_lock`` (one
    refresher at a time, the lock its own refreshes take) and ``_protected_refresh(
    is_mandatory=True)`` are what it runs inside the mandatory window.

    Args:
        credentials: a botocore refreshable credentials object (sync).
        only_if_needed: refresh only when ``refresh_needed()`` (checked again under the lock).
        before: called under the lock first (e.g. to forget cached credentials).
    """
    if only_if_needed and not credentials.refresh_needed():
        return
    with credentials._refresh_lock:
        if only_if_needed and not credentials.refresh_needed():
            return
        if before is not None:
            before()
        credentials._protected_refresh(is_mandatory=True)


async def refresh_now_async(
    credentials: Any,
    *,
    only_if_needed: bool = False,
    before: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """aiobotocore's twin of :func:`refresh_now` (its lock and refresh step are awaitable).

    Args:
        credentials: an aiobotocore refreshable credentials object.
        only_if_needed: refresh only when ``refresh_needed()`` (checked again under the lock).
        before: awaited under the lock first (e.g. to forget cached credentials).
    """
    if only_if_needed and not credentials.refresh_needed():
        return
    async with credentials._refresh_lock:
        if only_if_needed and not credentials.refresh_needed():
            return
        if before is not None:
            await before()
        await credentials._protected_refresh(is_mandatory=True)


def replace_refresh_lock(credentials: Any, lock: Any) -> None:
    """Swap the credentials' refresh lock (aiobotocore's binds to the first event loop).

    Why private: aiobotocore creates ``_refresh_lock`` in ``__init__`` with no way to pass one.

    Args:
        credentials: an aiobotocore refreshable credentials object.
        lock: an async context manager with ``locked()`` (our ``AnyLoopLock``).
    """
    credentials._refresh_lock = lock


# -- sessions, loaders, config ----------------------------------------------------------------


def set_session_credentials(botocore_session: Any, credentials: Any) -> None:
    """Make ``credentials`` what the botocore session (and every client it makes) signs with.

    Why private: botocore's ``set_credentials()`` builds a new static ``Credentials`` from
    keys; a refreshable object can only be handed over through ``_credentials``, which
    ``get_credentials()`` returns as is. ``None`` makes the session resolve credentials again.

    Args:
        botocore_session: a ``botocore.session.Session`` (or aiobotocore's ``AioSession``).
        credentials: the credentials object, or None.
    """
    botocore_session._credentials = credentials


def core_session(session: Any) -> Any:
    """The botocore session under a boto3 session (a botocore session is returned as is).

    Why private: boto3 keeps it in ``Session._session`` and offers no public accessor.

    Args:
        session: a ``boto3.Session`` or a ``botocore.session.Session``.
    """
    return getattr(session, "_session", session)


def replace_search_paths(loader: Any, paths: list[str]) -> None:
    """Give a loader another list object as its search paths.

    Why private: ``Loader.search_paths`` is a read-only property over ``_search_paths``, and
    boto3 appends its data folder to that list on every ``Session()``; a shared loader swaps in
    a list that ignores repeats (``loader._SearchPaths``).

    Args:
        loader: a ``botocore.loaders.Loader``.
        paths: the new list (usually a ``list`` subclass holding the same folders).
    """
    loader._search_paths = paths


def user_provided_options(config: Config) -> dict[str, Any] | None:
    """The options a caller actually set on a botocore ``Config`` (None if unknown).

    Why private: botocore records them in ``_user_provided_options``; they (not the defaults)
    are what override the config file and environment, so a client cache key uses them.

    Args:
        config: a ``botocore.config.Config``.
    """
    options = getattr(config, "_user_provided_options", None)
    return options if isinstance(options, dict) else None


__all__ = [
    "DEFAULT_ADVISORY",
    "TIME_FETCHER",
    "FastDeferredRefreshableCredentials",
    "FastRefreshableCredentials",
    "core_session",
    "deferred_credentials",
    "expiry_time",
    "frozen_with_expiry",
    "refresh_now",
    "refresh_now_async",
    "replace_refresh_lock",
    "replace_search_paths",
    "set_refresh_windows",
    "set_session_credentials",
    "user_provided_options",
]
