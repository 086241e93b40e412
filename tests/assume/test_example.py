"""examples/chained_roles.py runs offline against its own emulator and leaves ~/.aws alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

EXAMPLE = Path(__file__).parents[2] / "examples" / "chained_roles.py"


@pytest.mark.soak  # the example calls for 6 real seconds while its 4 s role credentials turn over
def test_chained_example_runs(isolated_aws_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "whoami: arn:aws:sts::333333333333:assumed-role/Audit/audit" in done.stdout
    assert "with MFA: arn:aws:sts::222222222222:assumed-role/MfaProtected/" in done.stdout
    assert not (isolated_aws_home / ".aws").exists()
