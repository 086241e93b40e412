"""JsonCacheFile: atomic private writes, corruption handling, real locks across threads/processes."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from refreshable_sso.errors import CacheFileError
from refreshable_sso.storage.files import STALE_TEMP_SECONDS, CacheLockTimeoutError, JsonCacheFile

PYTHON = sys.executable


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_creates_private_file_in_private_directories(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "a" / "b" / "entry.json")
    cache.write({"k": "v", "n": 1})

    assert cache.read() == {"k": "v", "n": 1}
    assert mode(cache.path) == 0o600
    assert mode(tmp_path / "a" / "b") == 0o700
    assert mode(tmp_path / "a") == 0o700
    # Only the file itself: no temporary files are left behind.
    assert sorted(p.name for p in cache.path.parent.iterdir()) == ["entry.json"]


def test_file_stays_0600_when_rewritten_even_if_it_was_loosened(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    cache.path.write_text("{}")
    os.chmod(cache.path, 0o644)

    cache.write({"x": 1})

    assert mode(cache.path) == 0o600


def test_existing_shared_directory_is_not_changed_and_is_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103 - the shared directory this test is about
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    JsonCacheFile(shared / "one.json").write({"a": 1})
    JsonCacheFile(shared / "two.json").write({"b": 2})

    assert mode(shared) == 0o755  # never loosened, never silently changed
    warnings = [r for r in caplog.records if "accessible to other users" in r.getMessage()]
    assert len(warnings) == 1
    assert str(shared) in warnings[0].getMessage()
    assert mode(shared / "one.json") == 0o600


def test_absent_file_reads_as_none_and_delete_reports_existence(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "missing.json")
    assert cache.read() is None
    assert cache.mtime_ns() is None
    assert cache.delete() is False
    cache.write({"a": 1})
    assert cache.mtime_ns() is not None
    assert cache.delete() is True
    assert not cache.path.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"accessToken": "abc", "expiresAt": "2030-01-', "not valid JSON"),
        (b"", "empty"),
        (b"not json at all", "not valid JSON"),
        (b'["a", "list"]', "found a JSON list"),
        (b'"just a string"', "found a JSON str"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
    ids=["truncated", "empty", "not-json", "list", "string", "binary"],
)
def test_corrupt_file_is_moved_aside_and_read_as_absent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, problem: str
) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    cache.path.write_bytes(content)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    assert cache.read() is None

    assert not cache.path.exists()
    assert cache.corrupt_path == tmp_path / "entry.corrupt"
    assert cache.corrupt_path.read_bytes() == content  # nothing lost
    message = " ".join(r.getMessage() for r in caplog.records)
    assert problem in message
    assert str(cache.path) in message
    # And the next write simply works.
    cache.write({"fresh": True})
    assert cache.read() == {"fresh": True}


def test_quarantine_leaves_a_file_that_was_replaced_meanwhile(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    cache.write({"old": 1})
    _, version = cache.read_versioned()
    cache.write({"new": 2})  # another writer replaced it after we read

    assert cache.quarantine("looked wrong", version) is None
    assert cache.read() == {"new": 2}
    assert not cache.corrupt_path.exists()


def test_cache_directory_that_is_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("I am a file, not a directory")
    cache = JsonCacheFile(blocker / "entry.json")

    with pytest.raises(CacheFileError) as read_error:
        cache.read()
    with pytest.raises(CacheFileError) as write_error:
        cache.write({"a": 1})
    with pytest.raises(CacheFileError) as lock_error, cache.lock(timeout=1):
        pass

    for error in (read_error.value, write_error.value, lock_error.value):
        text = str(error)
        assert str(blocker) in text
        assert "is a file, not a directory" in text
        assert "move" in text  # says how to fix it
    assert read_error.value.__cause__ is not None
    assert blocker.read_text() == "I am a file, not a directory"  # untouched


def test_cache_directory_below_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("x")
    cache = JsonCacheFile(blocker / ".aws" / "sso" / "cache" / "entry.json")

    for action in (cache.read, cache.version, lambda: cache.write({"a": 1})):
        with pytest.raises(CacheFileError, match="is a file, not a directory") as caught:
            action()
        assert str(blocker) in str(caught.value)


def test_cache_path_that_is_a_directory_gives_a_clear_error(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    cache.path.mkdir()

    with pytest.raises(CacheFileError, match="is a directory"):
        cache.read()
    with pytest.raises(CacheFileError, match="is a directory"):
        cache.write({"a": 1})


def _permission_probe(base: Path) -> dict[str, object]:
    """In an unprivileged process: make the cache unreadable and collect the errors."""
    results: dict[str, object] = {"uid": os.getuid()}
    cache = JsonCacheFile(base / "cache" / "entry.json")
    cache.write({"secretish": "value"})
    os.chmod(base / "cache", 0)
    for name, action in (("read", cache.read), ("write", lambda: cache.write({"a": 1}))):
        try:
            action()
            results[name] = "no error"
        except CacheFileError as exc:
            results[name] = str(exc)
    os.chmod(base / "cache", 0o700)
    os.chmod(cache.path, 0)
    try:
        cache.read()
        results["read_file"] = "no error"
    except CacheFileError as exc:
        results["read_file"] = str(exc)
    return results


def _run_unprivileged(base: Path) -> dict[str, object]:
    """Fork; as root the child drops to ``nobody`` first (root ignores file modes)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        status = 1
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            payload = json.dumps(_permission_probe(base)).encode()
            os.write(write_end, payload)
            status = 0
        except BaseException as exc:
            os.write(write_end, json.dumps({"child_error": repr(exc)}).encode())
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    results: dict[str, object] = json.loads(b"".join(chunks) or b"{}")
    assert os.waitstatus_to_exitcode(status) == 0, results
    return results


def test_permission_denied_names_the_path_and_the_fix() -> None:
    """Runs in an unprivileged process, so the modes really are enforced (also under root)."""
    base = Path(tempfile.mkdtemp(prefix="rsso-perm-"))
    try:
        if os.geteuid() == 0:
            os.chown(base, 65534, 65534)
        results = _run_unprivileged(base)
        assert results["uid"] != 0
        for key in ("read", "write", "read_file"):
            text = str(results[key])
            assert "permission denied" in text, results
            assert str(base / "cache") in text
            assert "chmod 700" in text
            assert "value" not in text  # never the content
    finally:
        for root, dirs, files in os.walk(base):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o700)
        shutil.rmtree(base, ignore_errors=True)


def test_readers_never_see_a_partial_file_while_a_writer_rewrites_it(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    big = {"payload": "x" * 200_000, "n": 0}
    cache.write(big)
    stop = threading.Event()
    seen: list[object] = []

    def reader() -> None:
        while not stop.is_set():
            data = cache.read()
            if data is None or len(data["payload"]) != 200_000:
                seen.append(data)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for n in range(60):
            cache.write({**big, "n": n})
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert seen == []
    assert not cache.corrupt_path.exists()


def test_lock_serialises_threads_and_is_reentrant(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "counter.json")
    cache.write({"n": 0})

    def bump() -> None:
        for _ in range(20):
            with cache.lock(timeout=30):  # noqa: SIM117 - reentrancy is the point
                with cache.lock(timeout=30):  # the same thread may take it again
                    current = cache.read()
                    assert current is not None
                    cache.write({"n": current["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert cache.read() == {"n": 120}
    with cache.lock(timeout=5):
        assert cache.lock_path.name == "counter.json.lock"
        assert mode(cache.lock_path) == 0o600


_COUNTER_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from refreshable_sso.storage.files import JsonCacheFile

    cache = JsonCacheFile(Path(sys.argv[1]))
    for _ in range(int(sys.argv[2])):
        with cache.lock(timeout=60):
            current = cache.read()
            cache.write({"n": (current or {"n": 0})["n"] + 1})
    """
)


def test_lock_serialises_processes(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    children = [subprocess.Popen([PYTHON, "-c", _COUNTER_CHILD, str(path), "15"]) for _ in range(4)]
    for child in children:
        assert child.wait(timeout=120) == 0
    assert JsonCacheFile(path).read() == {"n": 60}


_HOLDER_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from refreshable_sso.storage.files import JsonCacheFile

    with JsonCacheFile(Path(sys.argv[1])).lock(timeout=10):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the parent closes our stdin
    """
)


def test_lock_timeout_names_the_lock_and_the_holder(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    holder = subprocess.Popen(
        [PYTHON, "-c", _HOLDER_CHILD, str(cache.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(CacheLockTimeoutError) as caught, cache.lock(timeout=0.3):
            pass
        assert "entry.json.lock" in str(caught.value)
        assert "another process" in str(caught.value)
        assert isinstance(caught.value, CacheFileError)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # Released when the holder exits: now it can be had at once.
    with cache.lock(timeout=5):
        pass


def test_lock_timeout_against_another_thread(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cache.lock(timeout=5):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(30)
        with pytest.raises(CacheLockTimeoutError, match="another thread"), cache.lock(0.2):
            pass
    finally:
        release.set()
        thread.join(timeout=30)


def test_repr_shows_only_the_path(tmp_path: Path) -> None:
    cache = JsonCacheFile(tmp_path / "entry.json")
    cache.write({"accessToken": "very-secret-value"})
    assert "very-secret-value" not in repr(cache)
    assert str(cache.path) in repr(cache)


def test_forked_child_gets_the_lock_once_the_parent_releases_it(tmp_path: Path) -> None:
    """A thread lock held in the parent must not stay held forever in a forked child."""
    cache = JsonCacheFile(tmp_path / "entry.json")
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cache.lock(timeout=5):
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(30)
    to_parent_r, to_parent_w = os.pipe()
    to_child_r, to_child_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        status = 1
        try:
            try:
                with cache.lock(timeout=0.2):
                    pass
            except CacheLockTimeoutError:
                os.write(to_parent_w, b"waiting")
            os.read(to_child_r, 1)  # the parent has released it now
            with cache.lock(timeout=10):
                status = 0
        finally:
            os._exit(status)
    try:
        assert os.read(to_parent_r, 16) == b"waiting"  # excluded while the parent holds it
        release.set()
        holder.join(timeout=30)
        os.write(to_child_w, b"x")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        for fd in (to_parent_r, to_parent_w, to_child_r, to_child_w):
            os.close(fd)


_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from refreshable_sso.storage.files import JsonCacheFile

    def stall(source, target):  # the write stops after its temp file, before the rename
        print(source, flush=True)
        time.sleep(600)

    os.replace = stall
    JsonCacheFile(Path(sys.argv[1])).write({"accessToken": "in-flight-secret"})
    """
)


def _killed_mid_write(path: Path) -> Path:
    """Run a real writer of ``path``, SIGKILL it between temp file and rename; its temp file."""
    writer = subprocess.Popen(
        [PYTHON, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        temp = Path(writer.stdout.readline().strip())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert "in-flight-secret" in temp.read_text()  # what a kill -9 leaves behind
    return temp


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_next_write_removes_what_a_killed_write_left_once_it_is_stale(tmp_path: Path) -> None:
    token = JsonCacheFile(tmp_path / ("a" * 40 + ".json"))
    other = JsonCacheFile(tmp_path / ("b" * 40 + ".json"))
    leftover = _killed_mid_write(token.path)
    assert leftover.parent == tmp_path
    assert not token.path.exists()

    other.write({"n": 1})  # a fresh temp may be a live write of another process: left alone
    assert leftover.exists()

    _age(leftover, STALE_TEMP_SECONDS + 60)
    other.write({"n": 2})  # any writer in the folder removes a stale temp of a cache file of ours
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.path.name]


def test_a_stale_temp_of_the_file_being_written_is_removed_whatever_its_name(
    tmp_path: Path,
) -> None:
    entry = JsonCacheFile(tmp_path / "entry.json")
    leftover = _killed_mid_write(entry.path)
    _age(leftover, STALE_TEMP_SECONDS + 1)
    entry.write({"n": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.json"]


def test_files_we_did_not_make_and_fresh_temps_of_ours_are_left_alone(tmp_path: Path) -> None:
    entry = JsonCacheFile(tmp_path / ("c" * 40 + ".json"))
    old = STALE_TEMP_SECONDS * 10
    foreign = {
        "tmpabcd1234.tmp": old,  # botocore's JSONFileCache names its temp files like this
        "notes.tmp": old,
        ".someone-else.json.abcd1234.tmp": old,  # not a name of ours, not the file written
        f".{'d' * 40}.json.abcd1234.tmp.keep": old,
        f".{'e' * 40}.json.abc.tmp": old,  # not what mkstemp makes
    }
    for name, age in foreign.items():
        (tmp_path / name).write_text("x")
        _age(tmp_path / name, age)
    fresh = tmp_path / f".{entry.path.name}.zz_99zz9.tmp"
    fresh.write_text("a live write")
    _age(fresh, STALE_TEMP_SECONDS - 60)
    stale_dir = tmp_path / f".{entry.path.name}.dir00000.tmp"  # a folder is never removed
    stale_dir.mkdir()
    _age(stale_dir, old)

    entry.write({"n": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*foreign, fresh.name, stale_dir.name, entry.path.name]
    )
