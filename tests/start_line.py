"""Start real worker processes together: each says it is ready, then all are released at once.

Why: the multi-process tests (single-flight refresh, one login for many processes) must have
every process past its imports and waiting at the same line before any of them acts. A fixed
sleep is both too long on a quiet machine and too short on a busy one. Each worker touches
``rendezvous/ready-<its id>`` and then waits for ``rendezvous/go``, which
:func:`release_when_ready` touches once every worker is ready.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Worker(Protocol):
    """What the start line needs of a worker: a :class:`subprocess.Popen` or a forked child
    of :class:`tests.fork_server.ForkServer`."""

    def poll(self) -> int | None: ...


def release_when_ready(rendezvous: Path, workers: Sequence[Worker], timeout: float = 120) -> None:
    """Wait until every worker has touched its ready file, then release them all at once."""
    deadline = time.monotonic() + timeout
    while len(list(rendezvous.glob("ready-*"))) < len(workers):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(w.poll() is None for w in workers), "a worker died while starting"
        time.sleep(0.01)
    (rendezvous / "go").touch()
