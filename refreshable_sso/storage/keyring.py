"""The keyring record store: token and client-registration records kept in the OS keyring
(Secret Service on Linux, Keychain on macOS, Windows Credential Locker) instead of plain JSON
files. One implementation of :class:`~refreshable_sso.storage.base.Record` (issue 23).

Why: the AWS CLI's cache files hold the refresh token and the client secret (both valid for up
to 90 days) in plain text. Here they live encrypted in the user's keyring, through the
``keyring`` library (imported lazily, inside the methods, so it stays off the import path of
everyone who keeps files).

How one record is stored:

* the service is :data:`SERVICE` (``refreshable-sso``); the entry's name is the absolute path
  of the cache file the record stands in for (``.../.aws/sso/cache/<sha1>.json``), so a sign-in
  has one entry per cache folder, exactly as it has one file and one lock;
* the entry holds one JSON text ``{"writtenAt": <ns>, "data": {...}}``: a keyring entry has no
  mtime, and the refresh-ahead logic needs to know when the token was written;
* a text longer than ``max_entry_chars`` (:data:`MAX_ENTRY_CHARS`, sized for Windows Credential
  Locker, which refuses blobs over 2560 bytes, i.e. 1280 UTF-16 characters) is split into at
  most :data:`MAX_PARTS` part entries of one *generation*; the main entry then names the
  generation, the part count and the text's digest, and is written last, so a reader sees the
  old object or the new one. A text that would need more parts is refused
  (:class:`~refreshable_sso.errors.KeyringUnavailableError`), never truncated;
* locks: a keyring is not a lock. :meth:`lock` and :meth:`exclusive` are the very locks of the
  file record for the same path (one lock file in our private folder, from the one lock
  registry), so the AWS CLI's file, our file and the keyring entry of one sign-in share one
  lock, and single-flight refresh across processes holds.

Failures: a missing keyring (no backend, no D-Bus session), a locked one and one that cannot be
reached raise :class:`~refreshable_sso.errors.KeyringUnavailableError`, which names the fix.
There is never a fallback to plain text: the "fail", "null" and plain-text backends of
``keyring``/``keyrings.alt`` are refused as missing. Nothing here logs, raises or shows in a
``repr`` the content of an entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from refreshable_sso import _clock
from refreshable_sso.errors import KeyringUnavailableError
from refreshable_sso.storage.base import DEFAULT_LOCK_TIMEOUT, RecordVersion
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.locks import OnWait

logger = logging.getLogger(__name__)

#: The keyring service every entry of ours is stored under.
SERVICE = "refreshable-sso"
#: The longest text stored in one entry (characters). Windows Credential Locker caps a blob at
#: 2560 bytes and ``keyring`` stores UTF-16 there; the same cap everywhere keeps one layout.
MAX_ENTRY_CHARS = 1200
#: The most part entries one record may be split into; a longer text is refused.
MAX_PARTS = 16
# Backends that would store nothing, or store in plain text: refused as "no keyring".
_REFUSED_BACKENDS = (
    "keyring.backends.fail.",
    "keyring.backends.null.",
    "keyrings.alt.file.PlaintextKeyring",
)
# A reader racing a writer that just replaced a split record looks again this many times.
_READ_ATTEMPTS = 3
#: Real seconds a reader waits before it believes an entry is absent (see ``_load``).
_ABSENT_SETTLE_SECONDS = 0.02

_FIX_MISSING = (
    "run inside a desktop session, or on a headless machine inside a D-Bus session with a "
    "Secret Service (e.g. `dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock ...; "
    "<command>'`), or keep the tokens in files: token_storage='file' / `--storage file`"
)

TokenStorageKind = Literal["file", "keyring"]
TokenExport = Literal["short-lived", "none"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class TokenStorage:
    """Where one sign-in keeps its secrets.

    ``kind``: ``"file"`` (the AWS CLI's plain JSON files) or ``"keyring"`` (the OS keyring).
    ``export`` (keyring only): ``"short-lived"`` also writes the access token alone (with
    ``expiresAt``, ``startUrl``, ``region``, no refresh token or client secret) to the AWS
    CLI's token file, so plain boto3 and the CLI work until it expires, re-exported on every
    refresh; ``"none"`` writes nothing to disk.
    """

    kind: TokenStorageKind = "file"
    export: TokenExport = "short-lived"

    @property
    def keyring(self) -> bool:
        """Whether the secrets live in the OS keyring."""
        return self.kind == "keyring"

    @classmethod
    def of(cls, kind: str | None, export: str | None = None) -> TokenStorage:
        """The storage for the configured ``kind`` / ``export`` (None: the defaults)."""
        if kind not in (None, "file", "keyring"):
            raise ValueError(f"token storage must be 'file' or 'keyring', not {kind!r}")
        if export not in (None, "short-lived", "none"):
            raise ValueError(f"token export must be 'short-lived' or 'none', not {export!r}")
        return cls(kind or "file", export or "short-lived")  # type: ignore[arg-type]


FILE_STORAGE = TokenStorage()


def _unavailable(exc: BaseException, what: str) -> KeyringUnavailableError:
    """Our error for a failure of the keyring library (its messages hold no secrets)."""
    from keyring import errors

    name = type(exc).__name__
    if isinstance(exc, errors.KeyringLocked):
        reason = "locked"
        fix = (
            "unlock it (log in to the desktop, or on a headless machine start the daemon with "
            "`gnome-keyring-daemon --unlock`, reading the password from stdin), then try again"
        )
    elif isinstance(exc, errors.NoKeyringError):
        reason = "missing"
        fix = _FIX_MISSING
    else:
        reason = "unreachable"
        fix = (
            "make sure the keyring daemon runs and is unlocked (on Linux a Secret Service such "
            "as gnome-keyring-daemon on the D-Bus session bus), or keep the tokens in files: "
            "token_storage='file' / `--storage file`"
        )
    return KeyringUnavailableError(reason, f"{what}: {name}: {exc}".rstrip(": "), fix)


def _backend() -> Any:
    """The keyring backend to use; refuses one that would drop or expose the secrets."""
    try:
        import keyring
    except ModuleNotFoundError as exc:
        from refreshable_sso import _extras

        raise _extras.missing(exc, extra="keyring", feature="keyring token storage") from exc
    backend = keyring.get_keyring()
    qualified = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if qualified.startswith(_REFUSED_BACKENDS):
        raise KeyringUnavailableError(
            "missing",
            f"no usable keyring backend ({qualified})",
            _FIX_MISSING,
        )
    return backend


def _call(what: str, action: Callable[[Any], _T], vanished: _T | None = None) -> _T | None:
    """Run ``action(backend)``; any keyring failure becomes our clear error.

    ``vanished`` is returned when the Secret Service says the item it just found is gone: a
    concurrent writer removed it between the search and the read (old parts of a split record).
    """
    from keyring.errors import KeyringError

    backend = _backend()
    try:
        return action(backend)
    except KeyringError as exc:
        raise _unavailable(exc, what) from None
    except Exception as exc:  # D-Bus/SecretStorage errors that keyring does not wrap
        source = type(exc).__module__.partition(".")[0]
        if source == "secretstorage" and type(exc).__name__ == "ItemNotFoundException":
            return vanished
        if source in ("secretstorage", "jeepney", "dbus"):
            raise KeyringUnavailableError(
                "unreachable",
                f"{what}: {type(exc).__name__}: {str(exc)[:200]}",
                "make sure the keyring daemon runs and is unlocked, or keep the tokens in "
                "files: token_storage='file' / `--storage file`",
            ) from None
        raise


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KeyringRecord:
    """One JSON object kept in the OS keyring, standing in for the cache file at ``path``.

    ``path`` names the entry (its absolute path) and the locks (those of the file record for
    ``path``); nothing is written at ``path`` itself. ``service`` is the keyring service
    (default :data:`SERVICE`); ``max_entry_chars`` / ``max_parts`` bound one entry's text and
    the number of parts a record may be split into (tests pass small ones).
    """

    def __init__(
        self,
        path: Path,
        *,
        service: str = SERVICE,
        max_entry_chars: int = MAX_ENTRY_CHARS,
        max_parts: int = MAX_PARTS,
    ) -> None:
        self.path = Path(os.path.abspath(path))
        self.service = service
        self.max_entry_chars = max_entry_chars
        self.max_parts = max_parts
        self.entry = str(self.path)
        self._locks = JsonFileRecord(self.path)  # the file record's locks, never its file

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service={self.service!r}, entry={self.entry!r})"

    @property
    def label(self) -> str:
        """``keyring:<service>/<entry>``, for messages."""
        return f"keyring:{self.service}/{self.entry}"

    @property
    def lock_path(self) -> Path:
        """The lock file shared with the file record of the same path."""
        return self._locks.lock_path

    # -- raw entries ---------------------------------------------------------------------

    def _get(self, name: str) -> str | None:
        value: str | None = _call(
            f"reading {self.label}", lambda b: b.get_password(self.service, name), None
        )
        return value

    def _set(self, name: str, text: str) -> None:
        _call(f"writing {self.label}", lambda b: b.set_password(self.service, name, text))

    def _remove(self, name: str) -> bool:
        from keyring.errors import PasswordDeleteError

        def action(backend: Any) -> bool:
            try:
                backend.delete_password(self.service, name)
            except PasswordDeleteError:
                return False
            return True

        return bool(_call(f"deleting from {self.label}", action, False))

    def _part_name(self, generation: str, index: int) -> str:
        return f"{self.entry}#{generation}.{index}"

    # -- reading -------------------------------------------------------------------------

    def _load(self) -> tuple[dict[str, Any] | None, RecordVersion | None, str | None]:
        """(object, version, problem): ``problem`` says why stored content is unusable."""
        for attempt in range(_READ_ATTEMPTS):
            head = self._get(self.entry)
            if head is None:
                if attempt == 0:
                    # A backend may replace an item as delete + create (nothing promises it
                    # atomic): a reader in between would see none. Look once more.
                    _clock.SYSTEM.sleep(_ABSENT_SETTLE_SECONDS)
                    continue
                return None, None, None
            text, problem = self._joined(head)
            if problem == "a part is missing":  # a writer replaced it meanwhile: look again
                continue
            if text is None:
                return None, None, problem
            return self._parse(text)
        return None, None, "a part is missing"

    def _joined(self, head: str) -> tuple[str | None, str | None]:
        """The whole stored text behind the main entry ``head``."""
        try:
            split = json.loads(head).get("split")
        except (ValueError, AttributeError):
            return None, "the entry is not JSON"
        if split is None:
            return head, None
        try:
            generation, count, digest = split["generation"], int(split["parts"]), split["sha256"]
        except (KeyError, TypeError, ValueError):
            return None, "the entry names its parts wrongly"
        parts = []
        for index in range(count):
            part = self._get(self._part_name(generation, index))
            if part is None:
                return None, "a part is missing"
            parts.append(part)
        text = "".join(parts)
        if _digest(text) != digest:
            return None, "the parts do not match their digest"
        return text, None

    @staticmethod
    def _parse(text: str) -> tuple[dict[str, Any] | None, RecordVersion | None, str | None]:
        try:
            stored = json.loads(text)
        except ValueError:
            return None, None, "the entry is not JSON"
        if not isinstance(stored, dict):
            return None, None, "the entry is not a JSON object"
        data, written = stored.get("data"), stored.get("writtenAt")
        if not isinstance(data, dict) or not isinstance(written, int):
            return None, None, "the entry lacks writtenAt or data"
        digest = _digest(text)
        return data, RecordVersion(written, 0, int(digest[:12], 16)), None

    def read_versioned(self) -> tuple[dict[str, Any] | None, RecordVersion | None]:
        """The stored object and its version; (None, None) if absent or unusable (dropped)."""
        data, version, problem = self._load()
        if problem is not None:
            self.quarantine(problem)
        return data, version

    def read(self) -> dict[str, Any] | None:
        """The stored object; None if absent or unusable (then dropped)."""
        return self.read_versioned()[0]

    def version(self) -> RecordVersion | None:
        """``writtenAt`` plus a digest of the stored text (None if absent or unusable)."""
        return self._load()[1]

    def written_at(self) -> float | None:
        """When the content was written (``writtenAt``, system seconds), None if absent."""
        found = self.version()
        return found.written_at if found is not None else None

    def exists(self) -> bool:
        """Whether the keyring holds a usable object for this record."""
        return self.version() is not None

    # -- writing -------------------------------------------------------------------------

    def write(self, data: dict[str, Any]) -> None:
        """Store ``data`` with the time now as ``writtenAt`` (split if long, refused if too
        long); the main entry is written last, so readers see the old or the new object."""
        written = int(_clock.SYSTEM.wall() * 1e9)
        text = json.dumps({"writtenAt": written, "data": data}, separators=(",", ":"))
        old_parts = self._part_names()
        if len(text) <= self.max_entry_chars:
            self._set(self.entry, text)
        else:
            count = -(-len(text) // self.max_entry_chars)
            if count > self.max_parts:
                raise KeyringUnavailableError(
                    "too large",
                    f"{self.label}: the record needs {count} entries of "
                    f"{self.max_entry_chars} characters, more than the {self.max_parts} allowed",
                    "keep this sign-in's tokens in files (token_storage='file' / `--storage file`)",
                )
            generation = secrets.token_hex(4)
            for index in range(count):
                chunk = text[index * self.max_entry_chars : (index + 1) * self.max_entry_chars]
                self._set(self._part_name(generation, index), chunk)
            head = {"split": {"generation": generation, "parts": count, "sha256": _digest(text)}}
            self._set(self.entry, json.dumps(head))
        for name in old_parts:
            self._remove(name)

    def _part_names(self) -> list[str]:
        """The part entries the current main entry names (to remove once replaced)."""
        head = self._get(self.entry)
        if head is None:
            return []
        try:
            split = json.loads(head).get("split")
            if split is None:
                return []
            return [self._part_name(split["generation"], i) for i in range(int(split["parts"]))]
        except (ValueError, AttributeError, KeyError, TypeError):
            return []

    def delete(self) -> bool:
        """Remove the record (and its parts); True if there was one."""
        parts = self._part_names()
        removed = self._remove(self.entry)
        for name in parts:
            self._remove(name)
        return removed

    def quarantine(self, problem: str, version: RecordVersion | None = None) -> None:
        """Drop unusable content (unless replaced since ``version``), logging the entry's name."""
        from refreshable_sso.storage.files import CacheLockTimeoutError

        try:
            with self.lock(5.0):
                if version is not None and self.version() != version:
                    return None
                self.delete()
        except CacheLockTimeoutError:
            logger.warning("ignoring the keyring entry %s (%s); it is in use", self.label, problem)
            return None
        logger.warning("dropped the keyring entry %s: %s", self.label, problem)
        return None

    def set_aside(self) -> str | None:
        """Nothing is set aside in a keyring: unusable content is dropped."""
        return None

    # -- locks: the file record's, for the same path ------------------------------------------

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        """The cross-process lock of the file record for the same path (reentrant)."""
        return self._locks.lock(timeout)

    def exclusive(
        self, purpose: str, timeout: float, on_wait: OnWait | None = None
    ) -> AbstractContextManager[None]:
        """The file record's separate lock named ``purpose`` for the same path."""
        return self._locks.exclusive(purpose, timeout, on_wait)


def keyring_record(path: Path) -> KeyringRecord:
    """The keyring record standing in for the cache file at ``path``."""
    return KeyringRecord(path)


__all__ = [
    "FILE_STORAGE",
    "MAX_ENTRY_CHARS",
    "MAX_PARTS",
    "SERVICE",
    "KeyringRecord",
    "TokenExport",
    "TokenStorage",
    "TokenStorageKind",
    "keyring_record",
]
