"""``KeyringRecord`` against a real Secret Service: the record contract, writtenAt, splitting
and refusing long entries, dropping unusable ones, and no secret in reprs or errors."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from refreshable_sso.errors import KeyringUnavailableError
from refreshable_sso.storage.base import Record
from refreshable_sso.storage.keyring import SERVICE, KeyringRecord
from refreshable_sso.storage.paths import lock_path_for

pytestmark = [pytest.mark.keyring, pytest.mark.usefixtures("secret_service")]

SECRET = "refresh-SECRET-0123456789abcdef"


def _record(tmp_path: Path, **options: int) -> KeyringRecord:
    return KeyringRecord(tmp_path / "cache" / "abc.json", **options)  # type: ignore[arg-type]


def _raw(name: str) -> str | None:
    import keyring

    value: str | None = keyring.get_password(SERVICE, name)
    return value


def test_a_record_round_trips_with_its_write_time(tmp_path: Path) -> None:
    record = _record(tmp_path)
    assert isinstance(record, Record)
    assert record.read() is None
    assert record.version() is None
    assert not record.exists()
    before = time.time_ns()
    record.write({"refreshToken": SECRET, "n": 1})
    after = time.time_ns()
    assert record.read() == {"refreshToken": SECRET, "n": 1}
    first = record.version()
    assert first is not None
    assert before <= first.mtime_ns <= after  # writtenAt, stored with the secret
    written = record.written_at()
    assert written is not None
    assert before / 1e9 <= written <= after / 1e9
    stored = json.loads(_raw(record.entry) or "")
    assert stored == {"writtenAt": first.mtime_ns, "data": {"refreshToken": SECRET, "n": 1}}
    record.write({"refreshToken": SECRET, "n": 2})
    assert record.version() != first  # a rewrite is a new version
    data, version = record.read_versioned()
    assert data == {"refreshToken": SECRET, "n": 2}
    assert version == record.version()
    assert not (tmp_path / "cache" / "abc.json").exists()  # nothing at the file's path
    assert record.delete()
    assert not record.delete()
    assert record.read() is None
    assert _raw(record.entry) is None


def test_the_locks_are_the_file_records_locks(tmp_path: Path) -> None:
    record = _record(tmp_path)
    assert record.lock_path == lock_path_for(tmp_path / "cache" / "abc.json")
    with record.lock(1.0), record.lock(1.0):  # reentrant
        assert record.lock_path.exists()
    with record.exclusive("login", 1.0):
        assert lock_path_for(tmp_path / "cache" / "abc.json", ".login.lock").exists()


def test_a_long_record_is_split_and_a_rewrite_leaves_no_old_parts(tmp_path: Path) -> None:
    record = _record(tmp_path, max_entry_chars=40, max_parts=16)
    data = {"refreshToken": SECRET * 3}
    record.write(data)
    head = json.loads(_raw(record.entry) or "")
    split = head["split"]
    assert split["parts"] > 1
    old_parts = [f"{record.entry}#{split['generation']}.{i}" for i in range(split["parts"])]
    assert all(len(_raw(name) or "") <= 40 for name in old_parts)
    assert SECRET not in (_raw(record.entry) or "")  # the head names parts, holds no secret
    assert record.read() == data
    record.write({"refreshToken": "short"})  # fits one entry now
    assert record.read() == {"refreshToken": "short"}
    assert [_raw(name) for name in old_parts] == [None] * len(old_parts)
    record.write(data)
    assert record.delete()
    head_gone = _raw(record.entry)
    assert head_gone is None


def test_a_record_too_long_for_the_backend_is_refused_clearly(tmp_path: Path) -> None:
    record = _record(tmp_path, max_entry_chars=40, max_parts=2)
    record.write({"n": 1})
    with pytest.raises(KeyringUnavailableError) as caught:
        record.write({"refreshToken": SECRET * 4})
    assert caught.value.reason == "too large"
    assert "token_storage='file'" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert record.read() == {"n": 1}  # the old record is intact, nothing truncated


@pytest.mark.parametrize(
    "stored",
    ["not json", json.dumps([1, 2]), json.dumps({"data": {"a": 1}})],
    ids=["not-json", "not-an-object", "no-writtenAt"],
)
def test_unusable_content_is_dropped_and_logged_by_name(
    tmp_path: Path, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    import keyring

    record = _record(tmp_path)
    keyring.set_password(SERVICE, record.entry, stored)
    with caplog.at_level(logging.WARNING):
        assert record.read() is None
    assert record.label in caplog.text
    assert _raw(record.entry) is None
    assert record.set_aside() is None


def test_a_split_record_with_a_missing_part_is_dropped(tmp_path: Path) -> None:
    import keyring

    record = _record(tmp_path, max_entry_chars=30)
    record.write({"refreshToken": SECRET * 2})
    split = json.loads(_raw(record.entry) or "")["split"]
    keyring.delete_password(SERVICE, f"{record.entry}#{split['generation']}.1")
    assert record.read() is None
    assert _raw(record.entry) is None


def test_nothing_secret_in_repr_or_label(tmp_path: Path) -> None:
    record = _record(tmp_path)
    record.write({"refreshToken": SECRET})
    assert SECRET not in repr(record)
    assert SECRET not in record.label
    record.delete()
