"""One lock registry and one fork handler for every lock of the library.

The cache write lock, the sign-in (login) lock and the caller-mapping locks all come from
``storage.locks.REGISTRY``; a forked child starts with fresh in-process locks and still waits
on the parent's lock files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

import refreshable_sso
from refreshable_sso.storage.files import CacheLockTimeoutError, JsonFileRecord
from refreshable_sso.storage.locks import REGISTRY, LockTimeout
from refreshable_sso.storage.mapping import MappingRecord
from refreshable_sso.storage.paths import lock_path_for
from refreshable_sso.tokens.login.policy import login_lock_path, store_login_lock
from refreshable_sso.tokens.store import TokenCache

START_URL = "https://d-1234567890.awsapps.com/start"


def test_the_login_lock_and_the_cache_lock_come_from_the_one_registry(tmp_path: Path) -> None:
    cache = TokenCache(START_URL, "corp", cache_dir=tmp_path / "sso" / "cache")
    with cache.lock(timeout=5), store_login_lock(cache, 5, "corp"):
        pass
    held = REGISTRY.lock_files()
    assert lock_path_for(cache.path) in held
    assert login_lock_path(cache.path) in held


def test_a_mapping_s_login_lock_and_cache_lock_come_from_the_one_registry() -> None:
    mapping: dict[str, Any] = {}
    cache = TokenCache(START_URL, "corp", mapping=mapping)
    with cache.lock(timeout=5), store_login_lock(cache, 5, "corp"):
        pass
    record = cache.file
    assert isinstance(record, MappingRecord)
    key = record.key
    assert REGISTRY.scoped_names(record.lock_scope) == [key, f"login:{key}"]


def test_one_fork_handler_in_the_library() -> None:
    """Every module that needs a reset after fork asks the registry, not ``os``."""
    package = Path(refreshable_sso.__file__).parent
    calls = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bregister_at_fork\(", line)
    ]
    assert calls == [f"storage{os.sep}locks.py:{_line_of('register_at_fork(', package)}"]


def _line_of(text: str, package: Path) -> int:
    lines = (package / "storage" / "locks.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line and "os." in line)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_fresh_locks_but_still_waits_on_the_parent_s_files(
    tmp_path: Path,
) -> None:
    """The forking thread holds a file record's write lock and its login lock, and a mapping
    record's login lock. In the child the in-process locks are fresh (the mapping's lock is
    free at once), while the files stay locked by the parent (the child times out on them:
    dropping the parent's lock objects in the child released nothing)."""
    record = JsonFileRecord(tmp_path / "cache" / "entry.json")
    mapping_record = MappingRecord({}, "k", "<token_cache>/k")
    read_end, write_end = os.pipe()
    with record.lock(timeout=5), record.exclusive("login", 5), mapping_record.exclusive("login", 5):
        pid = os.fork()
        if pid == 0:  # child: never return into pytest
            result = []
            try:
                with mapping_record.exclusive("login", 0.5):
                    result.append("mapping-free")
                try:
                    with record.lock(timeout=0.3):
                        result.append("file-lock-taken")
                except CacheLockTimeoutError:
                    result.append("file-lock-held")
                try:
                    with record.exclusive("login", 0.3):
                        result.append("login-taken")
                except LockTimeout as exc:
                    result.append(f"login-held-by-{exc.holder}")
            except BaseException as exc:
                result.append(repr(exc))
            finally:
                os.write(write_end, ",".join(result).encode())
                os._exit(0)
        os.close(write_end)
        reported = os.read(read_end, 4096).decode()
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reported == "mapping-free,file-lock-held,login-held-by-process"
    with record.lock(timeout=5), record.exclusive("login", 5):  # the parent released them
        pass
