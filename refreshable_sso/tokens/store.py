"""One token file of the cache the AWS CLI v2 and botocore share (``~/.aws/sso/cache``).

The file name and keys are exactly the CLI's (see ``_paths.token_cache_path``), so a token
written by ``aws sso login`` works here and one written here works with plain boto3. Keys we
do not know (botocore or a newer CLI may add some) are kept when we rewrite the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from refreshable_sso import _clock
from refreshable_sso.errors import CacheFileError
from refreshable_sso.storage.base import DEFAULT_LOCK_TIMEOUT, Record, RecordVersion
from refreshable_sso.storage.files import JsonFileRecord
from refreshable_sso.storage.paths import sign_in_record_path, token_cache_path
from refreshable_sso.tokens.base import SSOToken, format_cache_time, parse_cache_time

if TYPE_CHECKING:
    from refreshable_sso.storage.keyring import TokenStorage

logger = logging.getLogger(__name__)

# Every key SSOToken.to_cache_dict() may write: these are ours to set or drop on save.
_TOKEN_KEYS = frozenset(
    {
        "accessToken",
        "expiresAt",
        "startUrl",
        "region",
        "refreshToken",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
    }
)

#: What the short-lived export writes to the AWS CLI's file: never a refresh token or secret.
_EXPORT_KEYS = ("accessToken", "expiresAt", "startUrl", "region")


class TokenCache:
    """The token file for one start URL (legacy profiles) or one sso-session (named ones).

    ``cache_dir`` is the token file's folder (default ``~/.aws/sso/cache``); ``mapping`` a
    dict-like store that holds the token under the file's name instead (see
    ``storage/mapping.py``). Either way the token lives in a
    :class:`~refreshable_sso.storage.base.Record`.
    """

    def __init__(
        self,
        start_url: str,
        sso_session_name: str | None = None,
        cache_dir: Path | None = None,
        mapping: MutableMapping[str, Any] | None = None,
        storage: TokenStorage | None = None,
    ) -> None:
        self.start_url = start_url
        self.sso_session_name = sso_session_name
        self.path: Path = token_cache_path(start_url, sso_session_name, cache_dir)
        record_path = sign_in_record_path(self.path)
        self._mapping = mapping
        self._file: Record
        self._sign_in_record: Record
        # keyring storage: the AWS CLI's file gets the short-lived export (or nothing)
        self._export: JsonFileRecord | None = None
        self._export_none = False
        if storage is not None and storage.keyring and mapping is None:
            from refreshable_sso.storage.keyring import KeyringRecord

            self._file = KeyringRecord(self.path)
            self._sign_in_record = JsonFileRecord(record_path)  # a time and a digest only
            self._export = JsonFileRecord(self.path)
            self._export_none = storage.export == "none"
        elif mapping is None:
            self._file = JsonFileRecord(self.path)
            self._sign_in_record = JsonFileRecord(record_path)
        else:  # a dict-like store in place of the file, same key and value
            from refreshable_sso.storage.mapping import mapping_file, private_file

            self._file = mapping_file(mapping, self.path, "token_cache")
            self.path = Path(self._file.label)
            # Our side record stays in this process, beside this mapping: never in the
            # caller's store, and never a file in the working directory.
            self._sign_in_record = private_file(mapping, record_path, "sign-in records")
        # set while a sign-in of this process ends the session and replaces the token
        self._replacing = 0
        self._replaced = threading.Condition()

    def __repr__(self) -> str:
        who = (
            f"sso_session_name={self.sso_session_name!r}"
            if self.sso_session_name
            else f"start_url={self.start_url!r}"
        )
        return f"{type(self).__name__}({who}, path={str(self.path)!r})"

    @property
    def mapping(self) -> MutableMapping[str, Any] | None:
        """The caller's dict-like store holding the token, or None for the file."""
        return self._mapping

    @property
    def file(self) -> Record:
        """The record holding the token (a locked, atomic JSON file, or a mapping key)."""
        return self._file

    def version(self) -> RecordVersion | None:
        """Identity of the file's current content (None if absent), for cheap change checks."""
        return self._file.version()

    def mtime_ns(self) -> int | None:
        """When the token was written, in nanoseconds (the file's mtime; None if absent)."""
        found = self._file.version()
        return found.mtime_ns if found is not None else None

    def load(self) -> SSOToken | None:
        """The cached token; None if there is none or the file was unusable (then moved aside)."""
        return self.load_versioned()[0]

    def load_versioned(self) -> tuple[SSOToken | None, RecordVersion | None]:
        """The cached token and the version of the file it came from."""
        data, version = self._file.read_versioned()
        if data is None:
            return None, None
        try:
            token = SSOToken.from_cache_dict(data)
        except ValueError as exc:
            # ValueError messages from SSOToken name keys and types, never secret values.
            grant = SSOToken.refresh_grant_from_cache_dict(data)
            if grant is not None:
                # Never throw a usable refresh grant away: the next refresh rewrites the file.
                logger.warning(
                    "The SSO token file %s is partly invalid (%s) but its refresh token and "
                    "client registration are intact; repairing it with a refresh",
                    self.path,
                    exc,
                )
                return grant, version
            self._file.quarantine(f"not a usable SSO token: {exc}", version)
            return None, None
        return token, version

    def save(
        self,
        token: SSOToken,
        *,
        signed_in: bool = False,
        previous: SSOToken | None = None,
        session_started: datetime | None = None,
    ) -> None:
        """Write ``token`` atomically (0600), keeping keys of the old file that we do not know.

        Args:
            token: The token to store.
            signed_in: An interactive sign-in just produced ``token``: our side file records
                when its sign-in session began (``session_started``).
            previous: The token ``token`` replaces: its record carries over to the rotated
                refresh token (a refresh, or a sign-in that may have joined its session).
            session_started: When a new sign-in session surely began (after ``sso:Logout``,
                or once the old one had ended). None with ``signed_in``: the sign-in may have
                joined the session of ``previous`` (IAM Identity Center binds an approval to
                the browser's live portal session), so that record is kept, the earlier and
                safe side; with no record to keep, now is recorded.
        """
        extras = self._unknown_keys()
        data: dict[str, Any] = {**token.to_cache_dict(), **extras}
        self._file.write(data)
        logger.debug("Saved SSO token to %s (expires %s)", self._file.label, data["expiresAt"])
        self._export_access_token(token)
        if signed_in and session_started is not None:
            self._write_sign_in(session_started, token)
        elif signed_in and (previous is None or self.signed_in_at(previous) is None):
            self._write_sign_in(_clock.now(), token)
        elif previous is not None:
            signed_in_at = self.signed_in_at(previous)
            if signed_in_at is not None:
                self._write_sign_in(signed_in_at, token)

    # -- when the sign-in happened (our side file; the AWS CLI's format is never changed) -----

    @property
    def sign_in_record(self) -> Record:
        """Our side file: when the sign-in behind this token file happened."""
        return self._sign_in_record

    @property
    def replacing(self) -> bool:
        """True while a sign-in in this process ends the session behind the stored token
        (``sso:Logout``) and replaces it: that token's refresh token is dead, so readers keep
        using what they have instead of refreshing it into an ``InvalidGrantException``."""
        return self._replacing > 0

    @contextlib.contextmanager
    def replacing_sign_in(self) -> Iterator[None]:
        """Mark a sign-in that ends the current session and replaces the token (nests)."""
        with self._replaced:
            self._replacing += 1
        try:
            yield
        finally:
            with self._replaced:
                self._replacing -= 1
                self._replaced.notify_all()

    def wait_replaced(self, timeout: float) -> bool:
        """Wait (real time: a sign-in waits on a person) until no sign-in of this process is
        replacing the token; True if none is by then."""
        with self._replaced:
            return self._replaced.wait_for(lambda: self._replacing == 0, timeout)

    def signed_in_at(self, token: SSOToken | None) -> datetime | None:
        """When the sign-in that produced ``token`` happened; None when we do not know.

        The record names the refresh token it belongs to (by digest): a token another tool
        obtained, or refreshed without us, has no record of ours and gives None.
        """
        if token is None or token.refresh_token is None:
            return None
        try:
            data = self.sign_in_record.read()
        except CacheFileError:
            return None
        if not data or data.get("refreshTokenSha256") != _digest(token.refresh_token):
            return None
        try:
            return parse_cache_time(data.get("signedInAt"), "signedInAt")
        except ValueError:
            return None

    def _write_sign_in(self, signed_in_at: datetime, token: SSOToken) -> None:
        if token.refresh_token is None:
            return
        record = {
            "signedInAt": format_cache_time(signed_in_at),
            "refreshTokenSha256": _digest(token.refresh_token),
        }
        try:
            self.sign_in_record.write(record)
        except CacheFileError as exc:
            logger.warning("Could not record the sign-in time: %s", exc)

    def _unknown_keys(self) -> dict[str, Any]:
        try:
            data, _ = self._file.read_versioned()
        except CacheFileError:  # unreadable: write() below replaces it or reports the problem
            return {}
        if not data:
            return {}
        return {key: value for key, value in data.items() if key not in _TOKEN_KEYS}

    def _export_access_token(self, token: SSOToken) -> None:
        """Keyring storage: the AWS CLI's file gets the access token alone, or is removed."""
        if self._export is None:
            return
        if self._export_none:
            self._export.delete()  # a plain-text copy of this sign-in must not outlive it
            return
        full = token.to_cache_dict()
        self._export.write({key: full[key] for key in _EXPORT_KEYS if key in full})

    @property
    def export_file(self) -> JsonFileRecord | None:
        """Keyring storage: the AWS CLI's file that gets the short-lived export; else None."""
        return self._export

    def delete(self) -> bool:
        """Remove the token (logout), and the exported copy of a keyring token; True if it
        existed."""
        removed = self._file.delete()
        if self._export is not None:
            removed = self._export.delete() or removed
        return removed

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AbstractContextManager[None]:
        """The cross-process, cross-thread lock guarding read-refresh-write of this token."""
        return self._file.lock(timeout)


def _digest(secret: SecretStr) -> str:
    return hashlib.sha256(secret.get_secret_value().encode("utf-8")).hexdigest()


__all__ = ["TokenCache"]
