"""The mapping record store: token and role-credential caches kept in any ``MutableMapping``
instead of files. One implementation of :class:`~refreshable_sso.storage.base.Record`
(beside the file one, never derived from it).

:class:`MappingRecord` offers what the token and credential caches need from a record (read
with a version, write, delete, lock), over one key of a mapping. Keys and values are the ones the AWS CLI's files use (the file name without
``.json``; the JSON object), which is also what botocore and aws-sso-lib put into a dict
passed as their cache, so one dict can be shared with them.

Guarantees (documented in docs/admin.md, "Dict-like caches"): threads of one process that use the same mapping
object take turns under one lock per key, as they do for files; other processes are not
coordinated (a mapping backed by shared storage must bring its own locking). Those locks are
scoped locks of the one lock registry (:mod:`~refreshable_sso.storage.locks`), in this process
only, so a mapping-backed cache writes nothing to disk, lock files included.
Values are copied in and out, so the caller's mapping never aliases our state. A value that
is not a usable object is dropped (logged), as a corrupt file is set aside.

The state shared by the users of one mapping (its lock scope, our private records) is found
by the mapping's ``id`` but never refers to the mapping: a caller's mapping lives exactly as
long as the caller and our objects over it keep it, and the state goes with the last of those
(the registry holds the lock scope weakly, so its locks go too).

A record's "written at" time is when this process wrote the value, or first saw a value
another writer put there (a mapping has no mtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.storage.base import DEFAULT_LOCK_TIMEOUT, RecordVersion
from refreshable_sso.storage.files import CacheLockTimeoutError
from refreshable_sso.storage.locks import REGISTRY, LockScope, LockTimeout, OnWait

logger = logging.getLogger(__name__)

CacheMapping = MutableMapping[str, Any]


class _Shared:
    """What every user of one caller mapping shares in this process (never the mapping)."""

    __slots__ = ("private", "scope", "users")

    def __init__(self, label: str) -> None:
        self.scope = LockScope(label)  # its locks, in the one registry (held weakly there)
        self.private: dict[str, Any] = {}  # our records that must not go into the mapping
        self.users = 0  # live MappingRecord objects over the mapping


# id(mapping) -> what its users share. Nothing here refers to a caller's mapping: each user
# holds its mapping itself (so the id cannot be reused while the entry has users), and a
# finalizer on each user counts it out when it is collected. A plain dict cannot be weakly
# referenced, so the users are what is tracked, not the mapping.
_shared: dict[int, _Shared] = {}
_guard = threading.Lock()
# ids of mappings whose user was collected; a finalizer may run while this thread holds
# _guard (the collector runs anywhere), so it only appends here and tries the guard.
_departed: list[int] = []


def _fresh_guard_in_child() -> None:
    """After fork: a guard some parent thread held would never be released in the child."""
    global _guard
    _guard = threading.Lock()


REGISTRY.after_fork_in_child(_fresh_guard_in_child)


def _count_out_departed() -> None:
    """Apply the queued departures (with _guard held)."""
    while _departed:
        key = _departed.pop()
        state = _shared.get(key)
        if state is not None:
            state.users -= 1
            if state.users <= 0:
                del _shared[key]


def _depart(key: int) -> None:
    """A user of the mapping with id ``key`` was collected (a finalizer: must never block)."""
    _departed.append(key)
    if _guard.acquire(blocking=False):
        try:
            _count_out_departed()
        finally:
            _guard.release()


def _join(mapping: CacheMapping, user: object) -> _Shared:
    """The state shared by the users of ``mapping``; ``user`` (which holds ``mapping``) counts
    as one until it is collected."""
    with _guard:
        _count_out_departed()  # before the lookup: a dead mapping's id may be reused now
        state = _shared.get(id(mapping))
        if state is None:
            state = _shared[id(mapping)] = _Shared(type(mapping).__name__)
        state.users += 1
    weakref.finalize(user, _depart, id(mapping))
    return state


def tracked_mappings() -> int:
    """How many caller mappings have live users of ours in this process (for tests)."""
    with _guard:
        _count_out_departed()
        return len(_shared)


def _jsonable(value: Any) -> Any:
    """Datetimes (botocore and aws-sso-lib put them into dict caches) as the CLI's text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class MappingRecord:
    """One JSON object stored under ``key`` of ``mapping``.

    ``label`` names it in messages (``<token_cache>/<key>``). ``private=True`` keeps the
    object beside ``mapping`` instead, in this process: for records of ours that must not go
    into the caller's store. Locks are in-process, scoped to the mapping object in the one
    lock registry and shared by every ``MappingRecord`` over it; no lock file exists.
    """

    def __init__(
        self, mapping: CacheMapping, key: str, label: str, *, private: bool = False
    ) -> None:
        self.owner = mapping  # held: its id names the shared state while we live
        self.key = key
        self._label = label
        self.path = Path(label)  # what the caches print where a file would have its path
        self._shared = _join(mapping, self)
        self.mapping: CacheMapping = self._shared.private if private else mapping
        self._lock_name = f"private:{key}" if private else key
        self._seen: tuple[str, int] | None = None  # (content digest, first seen at, ns)

    @property
    def label(self) -> str:
        """``<what>/<key>``, for messages."""
        return self._label

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, mapping={type(self.mapping).__name__})"

    @property
    def lock_scope(self) -> LockScope:
        """The registry scope of this mapping's locks (shared by every record over it)."""
        return self._shared.scope

    def _current(self) -> tuple[dict[str, Any] | None, RecordVersion | None, bool]:
        """(object, version, usable): ``usable`` is False for a value that is not an object."""
        try:
            raw = self.mapping.get(self.key)
        except Exception as exc:  # a user's store failing: say which key, keep the cause
            logger.warning("token/credential store lookup of %s failed: %s", self.key, exc)
            raise
        if raw is None:
            return None, None, True
        if isinstance(raw, (str, bytes)):
            try:
                raw = json.loads(raw)
            except ValueError:
                return None, None, False
        if not isinstance(raw, dict):
            return None, None, False
        data = _jsonable(raw)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        seen = self._seen
        if seen is None or seen[0] != digest:
            # When the value was written is unknown for another writer's value: first seen.
            seen = self._seen = (digest, _now_ns())
        return data, RecordVersion(seen[1], 0, int(digest[:12], 16)), True

    def version(self) -> RecordVersion | None:
        """The current value's version (None if absent or unusable)."""
        return self._current()[1]

    def written_at(self) -> float | None:
        """When this process wrote (or first saw) the current value, system seconds."""
        found = self.version()
        return found.written_at if found is not None else None

    def exists(self) -> bool:
        """Whether the key holds a usable value."""
        return self.version() is not None

    def read(self) -> dict[str, Any] | None:
        """A copy of the stored object; None if absent or unusable (then dropped)."""
        return self.read_versioned()[0]

    def read_versioned(self) -> tuple[dict[str, Any] | None, RecordVersion | None]:
        """Like :meth:`read`, plus the version read."""
        data, version, usable = self._current()
        if not usable:
            self.quarantine("the stored value is not a JSON object")
        return data, version

    def quarantine(self, problem: str, version: RecordVersion | None = None) -> None:
        """Drop an unusable value (unless it changed since ``version`` was read)."""
        try:
            with self.lock(5.0):
                if version is not None and self.version() != version:
                    return None
                with contextlib.suppress(KeyError):
                    del self.mapping[self.key]
        except CacheLockTimeoutError:
            logger.warning("ignoring the cached value %s (%s); it is in use", self.key, problem)
            return None
        logger.warning("dropped the cached value %s: %s", self.key, problem)
        return None

    def set_aside(self) -> str | None:
        """Nothing is set aside in a mapping: unusable values are dropped."""
        return None

    def write(self, data: dict[str, Any]) -> None:
        """Store a copy of ``data`` (one assignment: readers see the old or the new object)."""
        copy = json.loads(json.dumps(data))
        self.mapping[self.key] = copy
        digest = hashlib.sha256(json.dumps(copy, sort_keys=True).encode()).hexdigest()
        self._seen = (digest, _now_ns())

    def delete(self) -> bool:
        """Remove the key; True if it was there."""
        try:
            del self.mapping[self.key]
        except KeyError:
            return False
        return True

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        """Hold this key's lock against other threads using the same mapping; reentrant."""
        return self._locked(timeout)

    @contextlib.contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        held = contextlib.ExitStack()
        try:
            held.enter_context(REGISTRY.hold_scoped(self._shared.scope, self._lock_name, timeout))
        except LockTimeout:
            raise CacheLockTimeoutError(
                self.path,
                f"timed out after {timeout:g} s waiting for another thread using the same "
                "cache mapping",
            ) from None
        with held:
            yield

    def exclusive(
        self, purpose: str, timeout: float, on_wait: OnWait | None = None
    ) -> AbstractContextManager[None]:
        """A separate, non-reentrant in-process lock named ``purpose`` for this key (one
        sign-in at a time into it). Raises :class:`~refreshable_sso.storage.locks.LockTimeout`
        (``lock_file`` None) after ``timeout`` seconds."""
        return REGISTRY.hold_scoped(
            self._shared.scope,
            f"{purpose}:{self.key}",
            timeout,
            reentrant=False,
            on_wait=on_wait,
        )


def _now_ns() -> int:
    """System time in ns: compared with file mtimes by the same code (``from_system_time``)."""
    return int(_clock.SYSTEM.wall() * 1e9)


#: The name this class had in ``refreshable_sso.mappingstore`` (no longer a file subclass).
MappingCacheFile = MappingRecord


def mapping_file(mapping: CacheMapping, path: Path, what: str) -> MappingRecord:
    """The mapping entry standing in for the cache file at ``path`` (key: its stem)."""
    return MappingRecord(mapping, path.stem, f"<{what}>/{path.stem}")


def private_file(mapping: CacheMapping, path: Path, what: str) -> MappingRecord:
    """Our record for the side file at ``path``, kept in this process beside ``mapping``
    (never in it: it holds only what botocore would put there)."""
    return MappingRecord(mapping, path.stem, f"<{what}>/{path.stem}", private=True)


__all__ = [
    "CacheMapping",
    "MappingCacheFile",
    "MappingRecord",
    "mapping_file",
    "private_file",
    "tracked_mappings",
]
