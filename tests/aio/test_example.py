"""examples/aio_workers.py runs as documented (offline, against the emulator)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

EXAMPLE = Path(__file__).parents[2] / "examples" / "aio_workers.py"


@pytest.mark.multiprocess
def test_aio_workers_example_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "50 concurrent whoami calls as arn:aws:sts::" in done.stdout
    assert done.stdout.count("(asyncio): arn:aws:sts::") == 4
    assert "GetRoleCredentials calls in total: 1" in done.stdout
