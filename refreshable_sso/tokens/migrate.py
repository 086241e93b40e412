"""Move one sign-in's secrets between the AWS CLI's files and the OS keyring, both ways, with
nothing lost (issue 23, item 5; ``refreshable-sso storage migrate`` calls this).

Why: a sign-in made before keyring storage existed (or by ``aws sso login``) keeps its refresh
token and client secret in plain JSON under ``~/.aws/sso/cache``. Signing in again to move them
would cost a browser approval and, inside a live portal session, not even start a new session.
Migrating keeps the very token, refresh token and client registration.

What moves, and in which order (so a crash half way loses nothing):

* to the keyring: the token record (every key, those we do not know included) and the client
  registration are written to the keyring first; only then is the plain-text copy replaced by
  the short-lived export (the access token alone, as keyring storage writes it; nothing with
  ``export="none"``) and the registration file removed;
* to files: the keyring's token and registration are written to the AWS CLI's files first (the
  keyring's token replaces the short-lived export, which is never newer), then the keyring
  entries are removed.

The token is moved under the token record's lock (one lock for the file and the keyring entry
of a sign-in), so no refresh of ours runs half way through; the registration under its own.
Running it twice is harmless: what is already where it should be is left alone. Our side record
of when the sign-in began is a plain file in both modes (a time and a digest, no secret) and is
not touched. Nothing here logs or raises a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refreshable_sso.errors import RefreshableSSOError
from refreshable_sso.storage.base import Record
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.keyring import KeyringRecord, TokenExport, TokenStorageKind
from refreshable_sso.storage.paths import registration_cache_path, token_cache_path
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from refreshable_sso.tokens.store import _EXPORT_KEYS

#: Keys of a token record that must never stay in a plain-text file after a move to the keyring.
_LONG_LIVED_KEYS = ("refreshToken", "clientSecret")


class NothingToMigrateError(RefreshableSSOError):
    """Neither the files nor the keyring hold a token for the sign-in: sign in first."""


@dataclass
class MigrationResult:
    """What :func:`migrate_sign_in` did.

    ``to``: where the secrets live now; ``moved``: what was moved (``"token"``,
    ``"registration"``), empty when everything already was there; ``removed``: the plain-text
    files or keyring entries removed on the way (labels, no secrets).
    """

    to: TokenStorageKind
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was moved or removed (False: it was already done)."""
        return bool(self.moved or self.removed)


def _has_long_lived(data: dict[str, Any] | None) -> bool:
    return bool(data) and any(data.get(key) for key in _LONG_LIVED_KEYS)  # type: ignore[union-attr]


def migrate_sign_in(
    start_url: str,
    sso_region: str,
    *,
    to: TokenStorageKind,
    sso_session_name: str | None = None,
    export: TokenExport = "short-lived",
    scopes: Sequence[str] | None = None,
    cache_dir: Path | None = None,
) -> MigrationResult:
    """Move the token and client registration of one sign-in to ``to`` (see the module).

    Args:
        start_url: The sign-in's IAM Identity Center start URL.
        sso_region: Its region (part of the registration's cache key).
        to: ``"keyring"`` or ``"file"``.
        sso_session_name: Its sso-session name (None: a legacy, start-URL keyed sign-in).
        export: Moving to the keyring, what stays in the AWS CLI's token file: the access
            token alone (``"short-lived"``) or nothing (``"none"``).
        scopes: The registration scopes (part of the registration's cache key; default
            ``sso:account:access``).
        cache_dir: The token folder (default ``~/.aws/sso/cache``).

    Returns:
        What was moved and removed; an empty result when it already was all in ``to``.

    Raises:
        NothingToMigrateError: Neither store holds a token for this sign-in.
        KeyringUnavailableError: The keyring is missing, locked or unreachable (nothing has
            been removed then).
    """
    if to not in ("keyring", "file"):
        raise ValueError(f"to must be 'keyring' or 'file', not {to!r}")
    if export not in ("short-lived", "none"):
        raise ValueError(f"export must be 'short-lived' or 'none', not {export!r}")
    token_path = token_cache_path(start_url, sso_session_name, cache_dir)
    registration_path = registration_cache_path(
        start_url,
        sso_region,
        list(DEFAULT_SCOPES if scopes is None else scopes),
        sso_session_name,
        cache_dir,
    )
    result = MigrationResult(to)
    who = sso_session_name or start_url
    token_file, token_keyring = JsonFileRecord(token_path), KeyringRecord(token_path)
    with token_file.lock():  # the same lock as token_keyring.lock(): one per sign-in
        file_data = token_file.read()
        keyring_data = token_keyring.read()
        if file_data is None and keyring_data is None:
            raise NothingToMigrateError(
                f"nothing to migrate: no token for {who} in {token_path} or in the keyring; "
                "sign in first (refreshable-sso login)"
            )
        if to == "keyring":
            _token_to_keyring(token_file, token_keyring, file_data, keyring_data, export, result)
        else:
            _token_to_file(token_file, token_keyring, keyring_data, result)
    registration_file, registration_keyring = (
        JsonFileRecord(registration_path),
        KeyringRecord(registration_path),
    )
    with registration_file.lock():
        if to == "keyring":
            _move(registration_file, registration_keyring, result)
        else:
            _move(registration_keyring, registration_file, result)
    return result


def _token_to_keyring(
    token_file: JsonFileRecord,
    token_keyring: KeyringRecord,
    file_data: dict[str, Any] | None,
    keyring_data: dict[str, Any] | None,
    export: TokenExport,
    result: MigrationResult,
) -> None:
    # The file is the source when it holds the long-lived secrets (a file sign-in), or when
    # the keyring has nothing at all; otherwise the file is already the export of the keyring.
    if file_data is not None and (_has_long_lived(file_data) or keyring_data is None):
        token_keyring.write(file_data)
        result.moved.append("token")
        keyring_data = file_data
    assert keyring_data is not None
    wanted = (
        None
        if export == "none"
        else {key: keyring_data[key] for key in _EXPORT_KEYS if key in keyring_data}
    )
    current = token_file.read()
    if wanted is None:
        if token_file.delete():
            result.removed.append(token_file.label)
    elif current != wanted:
        token_file.write(wanted)  # the plain-text copy becomes the access token alone
        if _has_long_lived(current):
            result.removed.append(f"{token_file.label} (refresh token, client secret)")


def _token_to_file(
    token_file: JsonFileRecord,
    token_keyring: KeyringRecord,
    keyring_data: dict[str, Any] | None,
    result: MigrationResult,
) -> None:
    if keyring_data is not None:
        token_file.write(keyring_data)  # replaces the short-lived export, never newer
        result.moved.append("token")
        if token_keyring.delete():
            result.removed.append(token_keyring.label)


def _move(source: Record, destination: Record, result: MigrationResult) -> None:
    """The registration: write it to ``destination``, then remove it from ``source``."""
    data = source.read()
    if data is None:
        return
    destination.write(data)
    result.moved.append("registration")
    if source.delete():
        result.removed.append(source.label)


def remember_token_storage(
    sso_session_name: str | None,
    storage: TokenStorageKind,
    export: TokenExport | None = None,
) -> Path | None:
    """Record the storage choice in the sso-session section of ``~/.aws/config``, where every
    tool of ours reads it (botocore and the AWS CLI ignore keys they do not know).

    ``"keyring"`` writes ``refreshable_sso_token_storage = keyring`` (and
    ``refreshable_sso_token_export`` unless it is the default ``"short-lived"``); ``"file"``
    removes both keys (file is the default). Returns the config file when it changed; None when
    there is no sso-session (a legacy sign-in: pass ``token_storage=`` to each session) or its
    section is missing, or nothing changed.

    Args:
        sso_session_name: The sso-session whose section to change.
        storage: ``"keyring"`` or ``"file"``.
        export: With ``"keyring"``, the export mode to remember.
    """
    if sso_session_name is None:
        return None
    from refreshable_sso.profiles.editor import ConfigDocument, sso_session_section
    from refreshable_sso.profiles.reader import (
        TOKEN_EXPORT_KEY,
        TOKEN_STORAGE_KEY,
        config_file_path,
    )

    path = config_file_path()
    document = ConfigDocument.load(path)
    section = sso_session_section(sso_session_name)
    if not document.has_section(section):
        return None
    values = {
        key: value
        for key, value in document.section_values(section).items()
        if key not in (TOKEN_STORAGE_KEY, TOKEN_EXPORT_KEY)
    }
    if storage == "keyring":
        values[TOKEN_STORAGE_KEY] = "keyring"
        if export is not None and export != "short-lived":
            values[TOKEN_EXPORT_KEY] = export
    if not document.set_section(section, values):
        return None
    document.write()
    return path


__all__ = ["MigrationResult", "NothingToMigrateError", "migrate_sign_in", "remember_token_storage"]
