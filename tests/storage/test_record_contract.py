"""The record-store contract, checked once against every implementation (file and mapping).

A third store (the keyring of issue 23) joins by adding one parameter to ``STORES``.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.storage.base import Record
from refreshable_sso.storage.files import CacheLockTimeoutError, JsonFileRecord
from refreshable_sso.storage.locks import REGISTRY, LockTimeout
from refreshable_sso.storage.mapping import MappingRecord

SECRET = "contract-secret-value"


@dataclass
class Store:
    """One underlying store and how to reach it: ``open()`` gives a new record object over the
    same stored object (two users), ``put_raw`` stores content no writer of ours would."""

    kind: str
    open: Callable[[], Record]
    put_raw: Callable[[Any], None]


def _file_store(tmp_path: Path) -> Store:
    path = tmp_path / "cache" / "0123456789abcdef0123456789abcdef01234567.json"

    def put_raw(content: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))

    return Store("file", lambda: JsonFileRecord(path), put_raw)


def _mapping_store(tmp_path: Path) -> Store:
    mapping: dict[str, Any] = {}
    key = "0123456789abcdef0123456789abcdef01234567"

    def put_raw(content: Any) -> None:
        mapping[key] = content

    return Store("mapping", lambda: MappingRecord(mapping, key, f"<token_cache>/{key}"), put_raw)


STORES = {"file": _file_store, "mapping": _mapping_store}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return STORES[request.param](tmp_path)


def test_both_implement_the_protocol_and_neither_derives_from_the_other(store: Store) -> None:
    assert isinstance(store.open(), Record)
    assert not issubclass(MappingRecord, JsonFileRecord)
    assert not issubclass(JsonFileRecord, MappingRecord)


def test_write_read_exists_delete(store: Store) -> None:
    writer, reader = store.open(), store.open()
    assert reader.read() is None
    assert not reader.exists()
    assert reader.version() is None
    writer.write({"accessToken": SECRET, "n": 1})
    assert reader.read() == {"accessToken": SECRET, "n": 1}
    assert reader.exists()
    data, version = reader.read_versioned()
    assert data == {"accessToken": SECRET, "n": 1}
    assert version == reader.version()
    # what a reader gets is a copy: changing it changes nothing stored
    assert data is not None
    data["n"] = 2
    assert writer.read() == {"accessToken": SECRET, "n": 1}
    assert reader.delete() is True
    assert writer.read() is None
    assert not writer.exists()
    assert writer.delete() is False


def test_a_reader_sees_the_old_object_or_the_new_one_never_a_mix(store: Store) -> None:
    """Atomic writes: two large objects written in turn; every read is exactly one of them."""
    first = {"accessToken": "a" * 200_000, "which": "first"}
    second = {"accessToken": "b" * 100_000, "which": "second", "extra": "c" * 50_000}
    store.open().write(first)
    stop = threading.Event()
    seen: list[object] = []

    def read_loop() -> None:
        record = store.open()
        while not stop.is_set():
            found = record.read()
            if found != first and found != second:
                seen.append(None if found is None else sorted(found))

    readers = [threading.Thread(target=read_loop) for _ in range(2)]
    for thread in readers:
        thread.start()
    writer = store.open()
    for n in range(60):
        writer.write(second if n % 2 == 0 else first)
    stop.set()
    for thread in readers:
        thread.join(30)
    assert seen == []


def test_the_lock_excludes_other_threads_and_is_reentrant(store: Store) -> None:
    """Read-modify-write under lock() from 8 threads, each with its own record object: no
    update is lost (a yield between read and write would lose some without the lock)."""
    store.open().write({"n": 0})

    def add(times: int) -> None:
        record = store.open()
        for _ in range(times):
            with record.lock(timeout=30), record.lock(timeout=30):  # reentrant
                current = record.read()
                assert current is not None
                time.sleep(0)  # let another thread run between the read and the write
                record.write({"n": current["n"] + 1})

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert store.open().read() == {"n": 200}


def test_a_busy_lock_times_out_with_the_cache_error(store: Store) -> None:
    holder = store.open()
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.lock(timeout=5):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(30)
        started = time.monotonic()
        with pytest.raises(CacheLockTimeoutError) as info, store.open().lock(timeout=0.2):
            pass
        assert time.monotonic() - started < 5
        assert SECRET not in str(info.value)
    finally:
        release.set()
        thread.join(30)
    with store.open().lock(timeout=5):  # free again
        pass


def test_exclusive_is_a_separate_lock_and_not_reentrant(store: Store) -> None:
    record = store.open()
    waits: list[str] = []
    with record.lock(timeout=5), record.exclusive("login", 5):  # does not wait on lock()
        outcome: list[BaseException] = []

        def other() -> None:
            try:
                with store.open().exclusive("login", 0.2, lambda who, _: waits.append(who)):
                    pass
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(30)
        assert len(outcome) == 1
        assert isinstance(outcome[0], LockTimeout)
        assert outcome[0].holder == "thread"
        assert waits == ["thread"]  # told once that it waits, and on whom
        # the holding thread itself: not reentrant
        with pytest.raises(LockTimeout), record.exclusive("login", 0.1):
            pass
    with store.open().exclusive("login", 1):
        pass


@pytest.mark.parametrize(
    "content",
    ["{not json " + SECRET, '["a", "' + SECRET + '"]', ""],
    ids=["not-json", "not-an-object", "empty"],
)
def test_corrupt_content_is_set_aside_and_never_shown(
    store: Store, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    store.put_raw(content)
    record = store.open()
    with caplog.at_level(logging.DEBUG, logger="refreshable_sso"):
        assert record.read() is None
    assert not record.exists()
    assert any("corrupt" in r.message or "dropped" in r.message for r in caplog.records)
    assert SECRET not in caplog.text
    kept = record.set_aside()
    if store.kind == "file":  # nothing lost: the bad file is kept beside
        assert kept is not None
        assert kept.endswith(".corrupt")
        assert isinstance(record, JsonFileRecord)
        assert record.corrupt_path.read_text() == content
    else:
        assert kept is None
    record.write({"n": 1})  # and the record is usable again
    assert store.open().read() == {"n": 1}


def test_quarantine_leaves_content_replaced_since_it_was_read(store: Store) -> None:
    record = store.open()
    record.write({"n": 1})
    _, version = record.read_versioned()
    time.sleep(0.01)
    store.open().write({"n": 2, "other": "writer"})
    record.quarantine("found unusable", version)
    assert store.open().read() == {"n": 2, "other": "writer"}
    record.quarantine("found unusable")  # without a version: set aside whatever is there
    assert store.open().read() is None


def test_written_at_is_when_the_content_was_written(store: Store) -> None:
    record = store.open()
    assert record.written_at() is None
    before = time.time()
    record.write({"n": 1})
    after = time.time()
    written = record.written_at()
    assert written is not None
    assert before - 0.01 <= written <= after + 0.01
    version = record.version()
    assert version is not None
    assert version.written_at == written
    time.sleep(0.05)
    other = store.open().written_at()
    if store.kind == "file":  # the file's mtime, whoever looks
        assert other == written
    else:  # a mapping has no mtime: another reader's first sight of the value
        assert other is not None
        assert other >= written
    assert record.written_at() == written  # reading does not move it
    record.write({"n": 2})
    later = record.written_at()
    assert later is not None
    assert later > written
    assert record.version() != version


def test_repr_and_label_name_the_record_not_its_content(store: Store) -> None:
    record = store.open()
    record.write({"accessToken": SECRET})
    assert SECRET not in repr(record)
    assert SECRET not in record.label
    assert record.label.endswith("0123456789abcdef0123456789abcdef01234567") or (
        record.label.endswith(".json")
    )


def test_a_mapping_s_locks_go_with_the_mapping() -> None:
    """The registry holds a mapping's lock scope weakly: nothing keeps the caller's dict, and
    the locks go when the last record over it does."""

    class CallerDict(dict[str, Any]):  # a plain dict cannot be weakly referenced
        pass

    mapping = CallerDict()
    record = MappingRecord(mapping, "k", "<token_cache>/k")
    with record.lock(timeout=1), record.exclusive("login", 1):
        pass
    assert REGISTRY.scoped_names(record.lock_scope) == ["k", "login:k"]
    scope = weakref.ref(record.lock_scope)
    gone = weakref.ref(mapping)
    del record, mapping
    gc.collect()
    assert gone() is None
    assert scope() is None
