"""The one lock registry: every in-process lock and every lock file this library takes.

Why one: a lock is only a lock if everybody who must take turns asks for the *same* object.
The cache files, the sign-in ("login") lock and the caller-mapping stores used to keep three
registries and two fork handlers; one registry makes that agreement structural and gives one
place that is reset in a forked child.

Two kinds of entry, both handed out by :data:`REGISTRY`:

* **file entries**, by lock-file path: a thread lock (so threads of this process take turns)
  in front of a ``filelock.FileLock`` (so processes do), one pair per path per process;
* **scoped entries**, by ``(scope, name)``: a thread lock only, for records no other process
  can see (a caller's dict). A :class:`LockScope` is held weakly, so the locks of a scope go
  when its owner does (nothing here keeps a caller's object alive).

An entry is reentrant (``threading.RLock``; a write lock taken again by the thread holding
it) or not (``threading.Lock``; the sign-in lock, where a second request from the same
thread is a bug to wait out, not to let through); the first request for an entry decides,
and asking for the other kind later is an error.

After ``fork()`` the child starts with an empty registry (a thread lock some parent thread
held would never be released in the child), so the child waits on the *file* lock like any
other process. The parent's ``FileLock`` objects are kept, not collected, in the child:
collecting one could release the ``flock`` the parent still holds through the shared open
file description. :meth:`LockRegistry.after_fork_in_child` lets another module reset its own
guard in the same, single fork handler.

Waiting uses the real monotonic clock on purpose: the holder is another thread or process,
which a test's virtual clock does not move.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Literal

import filelock

from refreshable_sso import _clock

#: Mode of the lock files (they hold nothing, but live beside files that do).
LOCK_FILE_MODE = 0o600
#: How often a process waiting for another's lock file tries again. filelock's default (50 ms)
#: adds up when 8 processes queue behind one token refresh and one GetRoleCredentials (each
#: hands the lock on after reading the result); a try is one flock() call, so 5 ms costs nothing.
LOCK_POLL_INTERVAL = 0.005

Holder = Literal["thread", "process"]
#: Called once when a lock is busy and the caller starts waiting: who holds it, and a label
#: of the lock (the lock file's path, or the scoped name).
OnWait = Callable[[Holder, str], None]


class LockTimeout(Exception):
    """A lock was not had within the time allowed; callers turn it into their own error.

    ``holder`` says who had it (``"thread"``: another thread of this process, ``"process"``:
    another process); ``lock_file`` is the lock file, or None for a scoped (in-process) lock.
    """

    def __init__(self, holder: Holder, lock_file: Path | None) -> None:
        super().__init__(f"lock held by another {holder}")
        self.holder: Holder = holder
        self.lock_file = lock_file


class LockScope:
    """A namespace of in-process locks (one per caller mapping). The registry holds it weakly."""

    __slots__ = ("__weakref__", "label")

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"LockScope({self.label!r})"


class _Entry:
    """One lock: a thread lock, and for a file entry the file lock behind it."""

    __slots__ = ("file_lock", "lock_file", "reentrant", "thread_lock")

    def __init__(self, reentrant: bool, lock_file: Path | None) -> None:
        self.reentrant = reentrant
        self.thread_lock: threading.Lock | threading.RLock = (
            threading.RLock() if reentrant else threading.Lock()
        )
        self.lock_file = lock_file
        self.file_lock = (
            filelock.FileLock(str(lock_file), mode=LOCK_FILE_MODE)
            if lock_file is not None
            else None
        )


class LockRegistry:
    """Hands out the process's locks, one per lock file and one per scoped name."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._files: dict[Path, _Entry] = {}
        self._scoped: weakref.WeakKeyDictionary[LockScope, dict[str, _Entry]] = (
            weakref.WeakKeyDictionary()
        )
        self._inherited: list[_Entry] = []  # the parent's entries, kept alive in a child
        self._fork_hooks: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"LockRegistry(files={len(self._files)}, scopes={len(self._scoped)})"

    # -- finding entries -------------------------------------------------------------------

    @staticmethod
    def _checked(entry: _Entry, reentrant: bool, what: object) -> _Entry:
        if entry.reentrant != reentrant:
            raise ValueError(f"the lock {what} was asked for both reentrant and not")
        return entry

    def _file_entry(self, lock_file: Path, reentrant: bool) -> _Entry:
        key = Path(os.path.abspath(lock_file))
        with self._guard:
            entry = self._files.get(key)
            if entry is None:
                entry = self._files[key] = _Entry(reentrant, key)
        return self._checked(entry, reentrant, key)

    def _scoped_entry(self, scope: LockScope, name: str, reentrant: bool) -> _Entry:
        with self._guard:
            names = self._scoped.get(scope)
            if names is None:
                names = self._scoped[scope] = {}
            entry = names.get(name)
            if entry is None:
                entry = names[name] = _Entry(reentrant, None)
        return self._checked(entry, reentrant, f"{scope.label}/{name}")

    def lock_files(self) -> list[Path]:
        """Every lock file this process has locked (or tried to) since start or fork."""
        with self._guard:
            return sorted(self._files)

    def scoped_names(self, scope: LockScope) -> list[str]:
        """The names of the locks taken so far in ``scope``."""
        with self._guard:
            return sorted(self._scoped.get(scope, {}))

    # -- holding -----------------------------------------------------------------------------

    def hold_file(
        self,
        lock_file: Path,
        timeout: float,
        *,
        reentrant: bool = True,
        on_wait: OnWait | None = None,
    ) -> AbstractContextManager[None]:
        """Hold the lock of ``lock_file`` against other threads and other processes.

        ``timeout`` bounds the whole wait (seconds); ``on_wait`` is told once if the lock is
        busy. Raises :class:`LockTimeout`, or the ``OSError`` of a lock file that cannot be
        created (its folder must exist: the caller knows how to make it and what to say).
        """
        return self._hold(self._file_entry(lock_file, reentrant), timeout, on_wait)

    def hold_scoped(
        self,
        scope: LockScope,
        name: str,
        timeout: float,
        *,
        reentrant: bool = True,
        on_wait: OnWait | None = None,
    ) -> AbstractContextManager[None]:
        """Hold the in-process lock ``name`` of ``scope`` (other threads of this process wait).

        Parameters as :meth:`hold_file`; only ``LockTimeout`` (holder ``"thread"``) is raised.
        """
        return self._hold(self._scoped_entry(scope, name, reentrant), timeout, on_wait)

    @contextlib.contextmanager
    def _hold(self, entry: _Entry, timeout: float, on_wait: OnWait | None) -> Iterator[None]:
        timeout = max(timeout, 0.0)
        label = str(entry.lock_file) if entry.lock_file is not None else "in-process lock"
        started = _clock.SYSTEM.monotonic()
        thread_lock = entry.thread_lock
        if not thread_lock.acquire(blocking=False):
            if on_wait is not None:
                on_wait("thread", label)
            if not thread_lock.acquire(timeout=timeout):
                raise LockTimeout("thread", entry.lock_file)
        try:
            file_lock = entry.file_lock
            if file_lock is None:
                yield
                return
            try:
                file_lock.acquire(timeout=0)
            except filelock.Timeout:
                if on_wait is not None:
                    on_wait("process", label)
                remaining = max(timeout - (_clock.SYSTEM.monotonic() - started), 0.0)
                try:
                    file_lock.acquire(timeout=remaining, poll_interval=LOCK_POLL_INTERVAL)
                except filelock.Timeout:
                    raise LockTimeout("process", entry.lock_file) from None
            try:
                yield
            finally:
                file_lock.release()
        finally:
            thread_lock.release()

    # -- fork --------------------------------------------------------------------------------

    def after_fork_in_child(self, hook: Callable[[], None]) -> None:
        """Also run ``hook`` in a forked child (to replace a module's own guard lock)."""
        with self._guard:
            self._fork_hooks.append(hook)

    def _reset_in_child(self) -> None:
        """The one fork handler: a child starts with fresh locks (see the module docstring)."""
        self._guard = threading.Lock()
        self._inherited.extend(self._files.values())
        for names in list(self._scoped.values()):
            self._inherited.extend(names.values())
        self._files = {}
        self._scoped = weakref.WeakKeyDictionary()
        for hook in self._fork_hooks:
            hook()


#: The registry of this process.
REGISTRY = LockRegistry()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=REGISTRY._reset_in_child)


__all__ = [
    "LOCK_FILE_MODE",
    "LOCK_POLL_INTERVAL",
    "REGISTRY",
    "Holder",
    "LockRegistry",
    "LockScope",
    "LockTimeout",
    "OnWait",
]
