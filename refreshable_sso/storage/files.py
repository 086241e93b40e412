"""The file record store: JSON cache files done right (atomic, private, locked, and forgiving
of corruption). One implementation of :class:`~refreshable_sso.storage.base.Record`.

The token, client-registration and role-credential caches are small JSON files shared with
the AWS CLI and botocore, and with every other process of ours. botocore writes them
atomically but takes no lock; the AWS CLI truncates and rewrites in place. This module is the
one place that knows how to read and write such a file safely:

* writes go to a temporary file in the same directory, are fsync'ed and then ``os.replace``'d
  over the old file, so a reader never sees half a file from us;
* files are created ``0600`` in directories created ``0700`` (an existing directory is never
  loosened; a group/world-readable one is reported once);
* ``lock()`` is a cross-process lock (a ``<name>.lock`` file in a private 0700 lock folder
  beside the cache folder, see ``paths.lock_path_for``: filelock leaves its files behind, and
  the AWS CLI's folders must hold only its files) that also serialises threads of one
  process, and is reentrant within a thread; it comes from the one lock registry
  (:mod:`~refreshable_sso.storage.locks`), like ``exclusive("login")``, the sign-in lock;
* a write killed between creating its temp file and renaming it (kill -9, power loss) leaves
  a ``.<name>.<random>.tmp`` file holding the secret; the next write in that folder removes
  such leftovers of ours once they are older than ``STALE_TEMP_SECONDS`` (a live write never
  takes that long), and never touches a file whose name is not one of our temp names;
* a corrupt file (truncated, not JSON, not an object) is logged, moved aside to
  ``<stem>.corrupt`` so nothing is lost, and then treated as absent;
* a file we cannot read or write (permissions, a "directory" that is a file) raises
  :class:`~refreshable_sso.errors.CacheFileError` naming the path and how to fix it.

Nothing here ever logs or raises the content of a file: it may hold secrets.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.errors import CacheFileError
from refreshable_sso.storage.base import DEFAULT_LOCK_TIMEOUT, RecordVersion
from refreshable_sso.storage.locks import LOCK_POLL_INTERVAL, REGISTRY, LockTimeout, OnWait
from refreshable_sso.storage.paths import lock_path_for

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700

# A file that is empty or not JSON may be another writer (the AWS CLI truncates in place)
# caught mid-write: look again after this long before declaring it corrupt.
_SETTLE_SECONDS = 0.05

#: A temp file of ours older than this is a write that was killed before its rename: the next
#: writer in the folder removes it (it holds what the killed write was saving, maybe a token).
STALE_TEMP_SECONDS = 5 * 60.0
# What tempfile.mkstemp puts between our prefix and suffix (its _RandomNameSequence).
_TEMP_RANDOM = r"[a-z0-9_]{8}"
_TEMP_PREFIX = "."
_TEMP_SUFFIX = ".tmp"
# Temp files of any of our cache files (``<sha1>.json``, also ``<sha1>.sign-in.json``): nobody
# else names a file like that (botocore's JSONFileCache makes ``tmpXXXXXXXX.tmp``).
_OUR_CACHE_TEMP = re.compile(
    rf"\.[0-9a-f]{{40}}(?:\.sign-in)?\.json\.{_TEMP_RANDOM}{re.escape(_TEMP_SUFFIX)}"
)

_warned_dirs: set[Path] = set()
_warned_files: set[Path] = set()
_warned_dirs_lock = threading.Lock()


def wall_time() -> float:
    """Seconds since the epoch, for comparing with file times written by any process.

    The real clock on purpose (see ``_clock``): a temp file's age is a fact of the file
    system, which a test's virtual clock does not move.
    """
    return _clock.SYSTEM.wall()


def _temp_pattern(name: str) -> re.Pattern[str]:
    """The names ``write()`` gives the temp files of the file called ``name``."""
    return re.compile(
        rf"{re.escape(_TEMP_PREFIX + name + '.')}{_TEMP_RANDOM}{re.escape(_TEMP_SUFFIX)}"
    )


def remove_stale_temp_files(
    directory: Path, name: str, *, older_than: float = STALE_TEMP_SECONDS
) -> list[Path]:
    """Remove temp files of ours in ``directory`` older than ``older_than`` seconds.

    ``name`` is the cache file being written: its temp files (``.<name>.<random>.tmp``) and
    those of any ``<sha1>.json`` cache file of ours count; any other file is never touched,
    whatever its age. Best effort: a file that vanishes or cannot be removed is skipped.
    Returns what was removed.
    """
    ours = _temp_pattern(name)
    cutoff = wall_time() - older_than
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not (ours.fullmatch(entry.name) or _OUR_CACHE_TEMP.fullmatch(entry.name)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or st.st_mtime > cutoff:
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    if removed:
        logger.warning(
            "Removed %d temporary file(s) an interrupted write left in %s: %s",
            len(removed),
            directory,
            ", ".join(sorted(path.name for path in removed)),
        )
    return removed


class CacheLockTimeoutError(CacheFileError):
    """The cache file's lock was not released within the time allowed (another holder is slow)."""


#: The version of a file's content (mtime, inode, size): the protocol's RecordVersion.
FileVersion = RecordVersion


def _fix_hint(path: Path, exc: OSError) -> str:
    """A short explanation of an OSError on ``path`` and what the user can do about it."""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied ({exc.strerror}); make sure {path.parent} and its files belong to "
            f"you and are readable and writable by you (e.g. `chown -R $USER {path.parent}` and "
            f"`chmod 700 {path.parent}`)"
        )
    if code == errno.ENOTDIR:
        return (
            f"a component of {path.parent} is a file, not a directory; move that file out of the "
            f"way (or point the cache directory elsewhere) so the directory can be created"
        )
    if code == errno.EISDIR:
        return f"{path} is a directory, not a file; remove or rename it"
    if code == errno.EROFS:
        return f"{path.parent} is on a read-only file system; use a writable cache directory"
    if code == errno.ENOSPC:
        return "no space left on the device; free some space"
    return f"{exc.strerror or type(exc).__name__} (errno {code})"


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and any missing parents, each exactly 0700 (whatever the umask).

    ``os.makedirs`` would give the parents the umask's default (usually 0755), but
    ``~/.aws`` holds credentials too.
    """
    missing: list[Path] = []
    current = directory
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            if os.path.isdir(path):
                continue  # another process created it first
            raise
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def _ensure_lock_dir(lock_path: Path) -> None:
    """Create the private lock folder (0700, parents too) if it is missing."""
    directory = lock_path.parent
    if os.path.isdir(directory):
        return
    try:
        make_private_dirs(directory)
    except OSError as exc:
        raise CacheFileError(lock_path, _fix_hint(lock_path, exc)) from exc


class JsonFileRecord:
    """One JSON object stored in one file, shared safely between threads and processes.

    ``path`` is the file (the AWS CLI's name for the caches we share with it); its lock file
    lives in the private folder beside the file's folder (``paths.lock_path_for``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @property
    def label(self) -> str:
        """The file's path, for messages."""
        return str(self.path)

    @property
    def lock_path(self) -> Path:
        """The lock file (``<name>.json.lock``) in the private lock folder beside the cache folder."""
        return lock_path_for(self.path)

    @property
    def corrupt_path(self) -> Path:
        """Where a corrupt file is moved aside to (``<stem>.corrupt``)."""
        return self.path.with_suffix(".corrupt")

    # -- reading -------------------------------------------------------------------------

    def version(self) -> FileVersion | None:
        """Identity of the file's current content (None if absent): cheap change detection."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        return FileVersion(st.st_mtime_ns, st.st_ino, st.st_size)

    def mtime_ns(self) -> int | None:
        """Modification time in nanoseconds, or None if the file does not exist."""
        found = self.version()
        return found.mtime_ns if found is not None else None

    def written_at(self) -> float | None:
        """When the file was last written (its mtime, system seconds), None if absent."""
        found = self.version()
        return found.written_at if found is not None else None

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.version() is not None

    def set_aside(self) -> str | None:
        """The name of the corrupt copy set aside earlier (``<stem>.corrupt``), if it exists."""
        return self.corrupt_path.name if self.corrupt_path.exists() else None

    def _read_bytes(self) -> tuple[bytes, FileVersion] | None:
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
                st = os.fstat(handle.fileno())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            self._warn_readable_by_others(st)
        return raw, FileVersion(st.st_mtime_ns, st.st_ino, st.st_size)

    def _warn_readable_by_others(self, st: os.stat_result) -> None:
        """Once per file: it holds secrets, and group/others may read it (our writes are 0600)."""
        key = Path(os.path.abspath(self.path))
        with _warned_dirs_lock:
            if key in _warned_files:
                return
            _warned_files.add(key)
        logger.warning(
            "Cache file %s is accessible to other users (mode %03o) and may hold secrets; run "
            "`chmod 600 %s` (it is rewritten 0600 the next time it is saved)",
            self.path,
            stat.S_IMODE(st.st_mode),
            self.path,
        )

    @staticmethod
    def _parse(raw: bytes) -> tuple[dict[str, Any] | None, str]:
        """The JSON object in ``raw``, or None and what is wrong (never quoting the content)."""
        if not raw.strip():
            return None, "the file is empty"
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None, "the file is not UTF-8 text"
        except json.JSONDecodeError as exc:
            return None, f"the file is not valid JSON (line {exc.lineno}, column {exc.colno})"
        if not isinstance(data, dict):
            return None, f"expected a JSON object, found a JSON {type(data).__name__}"
        return data, ""

    def read(self) -> dict[str, Any] | None:
        """The stored object; None if the file is absent or was corrupt (then moved aside).

        Raises ``CacheFileError`` when the file exists but cannot be read (permissions, the
        cache directory is a file, ...): that needs the user's attention, not a silent login.
        """
        return self.read_versioned()[0]

    def read_versioned(self) -> tuple[dict[str, Any] | None, FileVersion | None]:
        """Like :meth:`read`, plus the version that was read (for :meth:`quarantine`)."""
        loaded = self._read_bytes()
        if loaded is None:
            return None, None
        raw, version = loaded
        data, problem = self._parse(raw)
        if data is not None:
            return data, version
        # Maybe another writer truncated it and is writing right now: look once more (real
        # time: the other writer does not see a test's virtual clock).
        _clock.SYSTEM.sleep(_SETTLE_SECONDS)
        loaded = self._read_bytes()
        if loaded is None:
            return None, None
        raw, version = loaded
        data, problem = self._parse(raw)
        if data is not None:
            return data, version
        self.quarantine(problem, version)
        return None, None

    def quarantine(self, problem: str, version: FileVersion | None = None) -> Path | None:
        """Move a bad file aside to ``<stem>.corrupt`` (keeping it) and log why.

        ``version`` is the version found bad: if the file has been replaced since (another
        process wrote a good one), it is left alone. Callers that validate the content
        further (a token file missing a key, ...) use this too. Returns where the file went,
        or None if it stayed.
        """
        target = self.corrupt_path
        try:
            with self.lock(timeout=5.0):
                if version is not None and self.version() != version:
                    logger.debug("Cache file %s changed since it was read; not moved", self.path)
                    return None
                os.replace(self.path, target)
        except FileNotFoundError:
            return None
        except CacheFileError:
            # Could not get the lock in time: leave the file, just ignore its content.
            logger.warning(
                "Ignoring corrupt cache file %s (%s); another process holds its lock, so it was "
                "left in place",
                self.path,
                problem,
            )
            return None
        except OSError as exc:
            logger.warning(
                "Ignoring corrupt cache file %s (%s); could not move it aside: %s",
                self.path,
                problem,
                _fix_hint(self.path, exc),
            )
            return None
        logger.warning(
            "Ignoring corrupt cache file %s: %s. It was moved to %s and will be rewritten.",
            self.path,
            problem,
            target,
        )
        return target

    # -- writing -------------------------------------------------------------------------

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        try:
            st = os.stat(directory)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        if st is not None:
            if not stat.S_ISDIR(st.st_mode):
                raise CacheFileError(
                    self.path,
                    f"{directory} is a file, not a directory; move it out of the way (or point "
                    f"the cache directory elsewhere) so the directory can be created",
                )
            self._warn_if_shared(directory, st)
            return
        try:
            make_private_dirs(directory)
        except FileExistsError as exc:
            raise CacheFileError(
                self.path,
                f"{directory} (or one of its parents) is a file, not a directory; move it out of "
                f"the way so the directory can be created",
            ) from exc
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        logger.debug("Created cache directory %s (mode 0700)", directory)

    @staticmethod
    def _warn_if_shared(directory: Path, st: os.stat_result) -> None:
        if not st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            return
        with _warned_dirs_lock:
            if directory in _warned_dirs:
                return
            _warned_dirs.add(directory)
        logger.warning(
            "Cache directory %s is accessible to other users (mode %03o); the files in it are "
            "0600, but `chmod 700 %s` is recommended",
            directory,
            stat.S_IMODE(st.st_mode),
            directory,
        )

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file's content atomically (temp file, fsync, ``os.replace``), mode 0600."""
        payload = json.dumps(data).encode("utf-8")
        self._ensure_dir()
        directory = self.path.parent
        try:
            fd, temp_name = tempfile.mkstemp(
                dir=directory, prefix=f"{_TEMP_PREFIX}{self.path.name}.", suffix=_TEMP_SUFFIX
            )
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
        self._sync_dir(directory)
        # Writers of a file hold its lock; a killed one leaves its temp file behind.
        remove_stale_temp_files(directory, self.path.name)

    @staticmethod
    def _sync_dir(directory: Path) -> None:
        """Make the rename itself durable (best effort: not every file system allows it)."""
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def delete(self) -> bool:
        """Remove the file; True if it existed."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return False
        except NotADirectoryError:
            return False
        except OSError as exc:
            raise CacheFileError(self.path, _fix_hint(self.path, exc)) from exc
        return True

    # -- locking -------------------------------------------------------------------------

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        """Hold the cache file's lock (other processes and other threads wait); reentrant.

        Raises ``CacheFileError`` if it cannot be had within ``timeout`` seconds.
        """
        return self._locked(timeout)

    @contextlib.contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        self._ensure_dir()
        lock_path = self.lock_path
        _ensure_lock_dir(lock_path)
        held = contextlib.ExitStack()
        try:
            held.enter_context(REGISTRY.hold_file(lock_path, timeout))
        except LockTimeout as exc:
            who = "another thread" if exc.holder == "thread" else "another process"
            raise CacheLockTimeoutError(self.path, self._timeout_problem(timeout, who)) from None
        except OSError as exc:
            raise CacheFileError(lock_path, _fix_hint(lock_path, exc)) from exc
        with held:
            yield

    def exclusive(
        self, purpose: str, timeout: float, on_wait: OnWait | None = None
    ) -> AbstractContextManager[None]:
        """A separate, non-reentrant lock named ``purpose`` for this file, across threads and
        processes (the lock file ``<name>.<purpose>.lock`` in the private folder).

        ``on_wait`` is told once if the lock is busy. Raises
        :class:`~refreshable_sso.storage.locks.LockTimeout` after ``timeout`` seconds, and
        ``CacheFileError`` if the lock file cannot be created.
        """
        return self._exclusive(purpose, timeout, on_wait)

    @contextlib.contextmanager
    def _exclusive(self, purpose: str, timeout: float, on_wait: OnWait | None) -> Iterator[None]:
        lock_path = lock_path_for(self.path, f".{purpose}.lock")
        held = contextlib.ExitStack()
        try:
            make_private_dirs(lock_path.parent)  # 0700, parents included
            held.enter_context(
                REGISTRY.hold_file(lock_path, timeout, reentrant=False, on_wait=on_wait)
            )
        except OSError as exc:
            raise CacheFileError(
                lock_path, f"cannot create the {purpose} lock file ({exc.strerror or exc})"
            ) from exc
        with held:
            yield

    def _timeout_problem(self, timeout: float, holder: str) -> str:
        return (
            f"timed out after {timeout:g} s waiting for the lock {self.lock_path.name}, held by "
            f"{holder}; if that process is stuck, stop it (the lock is released when it exits)"
        )


#: The name this class had when it lived in ``refreshable_sso.cachefile``.
JsonCacheFile = JsonFileRecord


__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DIR_MODE",
    "FILE_MODE",
    "LOCK_POLL_INTERVAL",
    "STALE_TEMP_SECONDS",
    "CacheLockTimeoutError",
    "FileVersion",
    "JsonCacheFile",
    "JsonFileRecord",
    "make_private_dirs",
    "remove_stale_temp_files",
    "wall_time",
]
