"""Token and role-credential caches kept in any ``MutableMapping`` instead of files.

The seam for pluggable stores: :class:`MappingCacheFile` offers what the token and credential
caches need from a cache file (read with a version, write, delete, lock), over one key of a
mapping. Keys and values are the ones the AWS CLI's files use (the file name without
``.json``; the JSON object), which is also what botocore and aws-sso-lib put into a dict
passed as their cache, so one dict can be shared with them.

Guarantees (documented in docs/admin.md, "Dict-like caches"): threads of one process that use the same mapping
object take turns under one lock per key, as they do for files; other processes are not
coordinated (a mapping backed by shared storage must bring its own locking). Values are
copied in and out, so the caller's mapping never aliases our state. A value that is not a
usable object is dropped (logged), as a corrupt file is set aside.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
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

# One lock per (mapping, key); the mapping is held so its id cannot be reused meanwhile.
_locks: dict[tuple[int, str], tuple[CacheMapping, threading.RLock]] = {}
_locks_guard = threading.Lock()
# id(mapping) -> (mapping, our private records beside it); held likewise, so ids stay unique.
_private: dict[int, tuple[CacheMapping, dict[str, Any]]] = {}


def _lock_for(mapping: CacheMapping, key: str) -> threading.RLock:
    with _locks_guard:
        found = _locks.get((id(mapping), key))
        if found is None:
            found = _locks[(id(mapping), key)] = (mapping, threading.RLock())
        return found[1]


def private_records(mapping: CacheMapping) -> dict[str, Any]:
    """A process-local dict that belongs to ``mapping``, for records of ours that must not go
    into the caller's store (it holds only what botocore would put there)."""
    with _locks_guard:
        found = _private.get(id(mapping))
        if found is None:
            found = _private[id(mapping)] = (mapping, {})
        return found[1]


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
    """One JSON object stored under ``key`` of ``mapping`` (the file API, no file)."""

    def __init__(self, mapping: CacheMapping, key: str, label: str) -> None:
        super().__init__(Path(label))
        self.mapping = mapping
        self.key = key
        self._lock = _lock_for(mapping, key)
        self._seen: tuple[str, int] | None = None  # (content digest, first seen at, ns)

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


__all__ = ["CacheMapping", "MappingCacheFile", "mapping_file", "private_records"]
