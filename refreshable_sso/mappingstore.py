"""Token and role-credential caches kept in any ``MutableMapping`` instead of files.

The seam for pluggable stores: :class:`MappingCacheFile` offers what the token and credential
caches need from a cache file (read with a version, write, delete, lock), over one key of a
mapping. Keys and values are the ones the AWS CLI's files use (the file name without
``.json``; the JSON object), which is also what botocore and aws-sso-lib put into a dict
passed as their cache, so one dict can be shared with them.

Guarantees (documented in docs/admin.md, "Dict-like caches"): threads of one process that use the same mapping
object take turns under one lock per key, as they do for files; other processes are not
coordinated (a mapping backed by shared storage must bring its own locking). Those locks live
in this process only, so a mapping-backed cache writes nothing to disk, lock files included.
Values are copied in and out, so the caller's mapping never aliases our state. A value that
is not a usable object is dropped (logged), as a corrupt file is set aside.

The state shared by the users of one mapping (its locks, our private records) is found by the
mapping's ``id`` but never refers to the mapping: a caller's mapping lives exactly as long as
the caller and our objects over it keep it, and the state goes with the last of those.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from refreshable_sso.cachefile import (
    DEFAULT_LOCK_TIMEOUT,
    CacheLockTimeoutError,
    FileVersion,
    JsonCacheFile,
)

logger = logging.getLogger(__name__)

CacheMapping = MutableMapping[str, Any]


class _Shared:
    """What every user of one caller mapping shares in this process (never the mapping)."""

    __slots__ = ("locks", "login_locks", "private", "users")

    def __init__(self) -> None:
        self.locks: dict[str, threading.RLock] = {}  # one per key (records of ours apart)
        self.login_locks: dict[str, threading.Lock] = {}  # one sign-in at a time per token key
        self.private: dict[str, Any] = {}  # our records that must not go into the mapping
        self.users = 0  # live MappingCacheFile objects over the mapping


# id(mapping) -> what its users share. Nothing here refers to a caller's mapping: each user
# holds its mapping itself (so the id cannot be reused while the entry has users), and a
# finalizer on each user counts it out when it is collected. A plain dict cannot be weakly
# referenced, so the users are what is tracked, not the mapping.
_shared: dict[int, _Shared] = {}
_guard = threading.Lock()
# ids of mappings whose user was collected; a finalizer may run while this thread holds
# _guard (the collector runs anywhere), so it only appends here and tries the guard.
_departed: list[int] = []


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
            state = _shared[id(mapping)] = _Shared()
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


class MappingCacheFile(JsonCacheFile):
    """One JSON object stored under ``key`` of ``mapping`` (the file API, no file).

    ``private=True`` keeps the object beside ``mapping`` instead, in this process: for
    records of ours that must not go into the caller's store. Locks are in-process and
    shared by every ``MappingCacheFile`` over the same mapping object; no lock file exists.
    """

    def __init__(
        self, mapping: CacheMapping, key: str, label: str, *, private: bool = False
    ) -> None:
        super().__init__(Path(label))
        self.owner = mapping  # held: its id names the shared state while we live
        self.key = key
        self._shared = _join(mapping, self)
        self.mapping: CacheMapping = self._shared.private if private else mapping
        name = f"private:{key}" if private else key
        with _guard:
            self._lock = self._shared.locks.setdefault(name, threading.RLock())
        self._seen: tuple[str, int] | None = None  # (content digest, first seen at, ns)

    def sign_in_lock(self) -> threading.Lock:
        """The in-process lock that lets one sign-in at a time store into this key."""
        with _guard:
            return self._shared.login_locks.setdefault(self.key, threading.Lock())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, mapping={type(self.mapping).__name__})"

    @property
    def corrupt_path(self) -> Path:
        """Nothing is set aside in a mapping: a path that never exists."""
        return self.path.with_name(self.path.name + " (dropped)")

    def _current(self) -> tuple[dict[str, Any] | None, FileVersion | None, bool]:
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
            seen = self._seen = (digest, time.time_ns())
        return data, FileVersion(seen[1], 0, int(digest[:12], 16)), True

    def version(self) -> FileVersion | None:
        return self._current()[1]

    def read_versioned(self) -> tuple[dict[str, Any] | None, FileVersion | None]:
        data, version, usable = self._current()
        if not usable:
            self.quarantine("the stored value is not a JSON object")
        return data, version

    def quarantine(self, problem: str, version: FileVersion | None = None) -> Path | None:
        """Drop an unusable value (unless it changed since ``version`` was read)."""
        with self._lock:
            if version is not None and self.version() != version:
                return None
            with contextlib.suppress(KeyError):
                del self.mapping[self.key]
        logger.warning("dropped the cached value %s: %s", self.key, problem)
        return None

    def write(self, data: dict[str, Any]) -> None:
        copy = json.loads(json.dumps(data))
        self.mapping[self.key] = copy
        digest = hashlib.sha256(json.dumps(copy, sort_keys=True).encode()).hexdigest()
        self._seen = (digest, time.time_ns())

    def delete(self) -> bool:
        try:
            del self.mapping[self.key]
        except KeyError:
            return False
        return True

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        return self._locked(timeout)

    @contextlib.contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        if not self._lock.acquire(timeout=max(timeout, 0.0)):
            raise CacheLockTimeoutError(
                self.path,
                f"timed out after {timeout:g} s waiting for another thread using the same "
                "cache mapping",
            )
        try:
            yield
        finally:
            self._lock.release()


def mapping_file(mapping: CacheMapping, path: Path, what: str) -> MappingCacheFile:
    """The mapping entry standing in for the cache file at ``path`` (key: its stem)."""
    return MappingCacheFile(mapping, path.stem, f"<{what}>/{path.stem}")


def private_file(mapping: CacheMapping, path: Path, what: str) -> MappingCacheFile:
    """Our record for the side file at ``path``, kept in this process beside ``mapping``
    (never in it: it holds only what botocore would put there)."""
    return MappingCacheFile(mapping, path.stem, f"<{what}>/{path.stem}", private=True)


__all__ = ["CacheMapping", "MappingCacheFile", "mapping_file", "private_file", "tracked_mappings"]
