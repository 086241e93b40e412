"""The record-store protocol: what the token, registration and credential caches need from
wherever one JSON object lives.

Why a protocol: the caches (``tokens/store.py``, ``tokens/registration.py``,
``credentials.py``, ``assume.py``) and the sign-in lock should not care whether their object
is a file shared with the AWS CLI, a key of a caller's dict, or (next) an OS keyring entry. As
in msal-extensions, *where the bytes live* (a :class:`Record`) is separate from *who may write
now* (the lock registry in :mod:`~refreshable_sso.storage.locks`); the caches use both.

Implementations:

* :class:`~refreshable_sso.storage.files.JsonFileRecord`: one JSON file (the AWS CLI's
  format): atomic 0600 writes, corrupt files set aside, file locks across processes;
* :class:`~refreshable_sso.storage.mapping.MappingRecord`: one key of a caller's
  ``MutableMapping``; in-process locks only, nothing on disk.

What a record promises (the contract test, ``tests/storage/test_record_contract.py``, checks
each point against every implementation):

* ``read()`` gives the stored object, or None when there is none or it was unusable;
  ``read_versioned()`` also gives a :class:`RecordVersion` that changes whenever the content
  is replaced, so a cache can skip re-parsing, and a later ``quarantine`` leaves content
  another writer has replaced since;
* ``write(data)`` replaces the object atomically: a reader sees the old object or the new one;
* ``delete()`` removes it (True if there was one); ``exists()`` says whether there is one;
* ``written_at()`` (and ``RecordVersion.written_at``) is when the content was written, in
  system seconds since the epoch: the refresh-ahead logic and the reuse of cached role
  credentials read it. A file gives its mtime;
* ``quarantine(problem, version)`` sets unusable content aside (or drops it) and logs
  ``problem``, never the content; ``set_aside()`` names what was set aside, if anything;
* ``lock(timeout)`` excludes every other writer this implementation can see, reentrantly, and
  raises :class:`~refreshable_sso.storage.files.CacheLockTimeoutError` after ``timeout``;
  ``exclusive(purpose, timeout, on_wait)`` is a separate, non-reentrant lock for a longer
  job over the same record (``"login"``: one sign-in at a time), raising
  :class:`~refreshable_sso.storage.locks.LockTimeout`;
* ``label`` names the record in messages (a path, or ``<token_cache>/<key>``), and nothing
  a record logs, raises or puts in its ``repr`` contains the content.

Adding a third store (an OS keyring, issue 23) is one more class and one constructor branch
in each cache; the session does not change:

1. write ``KeyringRecord`` in ``storage/keyring.py`` with the methods above. Keep the object
   as one JSON text per entry (split an entry that is too large for the backend, or refuse it
   with a clear error), and save ``{"writtenAt": <ns>, "data": {...}}``, because a keyring entry
   has no mtime. ``version()`` can be derived from ``writtenAt`` plus a digest of the text.
   Import ``keyring`` inside the methods, so it stays off the import path.
2. locks: a keyring is not a lock. Take them from
   :data:`~refreshable_sso.storage.locks.REGISTRY` by a lock file in our private folder
   (``paths.lock_path_for(<the token file's path>)``), exactly as the file record does. Then
   the AWS CLI's file, our file and the keyring entry of one sign-in share one lock, and
   single-flight refresh across processes holds.
3. corrupt content: drop it and log the entry's name (``quarantine``); ``set_aside()``
   returns None.
4. let ``TokenCache`` / ``ClientRegistration`` choose it (``storage="keyring"``), the way they
   choose :class:`MappingRecord` for a ``mapping=``. The providers, the refresh-ahead logic
   and the sign-in lock only see a :class:`Record`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol, runtime_checkable

from refreshable_sso.storage.locks import OnWait

#: How long a writer waits for a record's lock by default (seconds).
DEFAULT_LOCK_TIMEOUT = 60.0


class RecordVersion(NamedTuple):
    """What identifies one version of a record's content (cheap change detection).

    For a file: its mtime, inode and size (every atomic replace gives a new inode). Another
    store fills ``mtime_ns`` with when it recorded the content as written, and the other two
    with whatever tells two contents apart.
    """

    mtime_ns: int
    inode: int
    size: int

    @property
    def written_at(self) -> float:
        """When this content was written: system seconds since the epoch."""
        return self.mtime_ns / 1e9


@runtime_checkable
class Record(Protocol):
    """One JSON object in some store, shared safely between threads (and, where the store is
    shared, processes). See the module docstring for what each method promises."""

    @property
    def label(self) -> str:
        """The record's name in messages (never its content)."""
        ...

    def read(self) -> dict[str, Any] | None:
        """The stored object; None if there is none or it was unusable (then set aside)."""
        ...

    def read_versioned(self) -> tuple[dict[str, Any] | None, RecordVersion | None]:
        """Like :meth:`read`, plus the version read (for :meth:`quarantine`)."""
        ...

    def version(self) -> RecordVersion | None:
        """The current content's version, None if there is none."""
        ...

    def written_at(self) -> float | None:
        """When the current content was written (system seconds), None if there is none."""
        ...

    def exists(self) -> bool:
        """Whether there is content."""
        ...

    def write(self, data: dict[str, Any]) -> None:
        """Replace the content with ``data``, atomically."""
        ...

    def delete(self) -> bool:
        """Remove the content; True if there was some."""
        ...

    def quarantine(self, problem: str, version: RecordVersion | None = None) -> object:
        """Set unusable content aside (unless replaced since ``version``), logging ``problem``."""
        ...

    def set_aside(self) -> str | None:
        """The name of unusable content set aside earlier and still kept, or None."""
        ...

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        """Exclude the other writers of this record (reentrant within a thread)."""
        ...

    def exclusive(
        self, purpose: str, timeout: float, on_wait: OnWait | None = None
    ) -> AbstractContextManager[None]:
        """A separate, non-reentrant lock named ``purpose`` over this record."""
        ...


__all__ = ["DEFAULT_LOCK_TIMEOUT", "Record", "RecordVersion"]
