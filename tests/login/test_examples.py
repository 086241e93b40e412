"""Every login example runs offline (against its built-in emulator) and leaves ~/.aws alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("login_*.py"))
#: Examples that show something happening in real time: the policy example runs a 12 s loop
#: across its short-lived sign-in, the device example's pretend person approves after 2 s.
REAL_TIME = {"login_policy": "a 12 s loop across expiries", "login_device": "approves after 2 s"}


def test_there_is_an_example_per_provider() -> None:
    names = {path.stem for path in EXAMPLES}
    assert {
        "login_device",
        "login_pkce",
        "login_static",
        "login_callable",
        "login_command",
        "login_chain",
        "login_policy",
    } <= names


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(path, marks=pytest.mark.soak) if path.stem in REAL_TIME else path
        for path in EXAMPLES
    ],
    ids=lambda path: path.stem,
)
def test_example_runs_offline(example: Path, isolated_aws_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (isolated_aws_home / ".aws" / "sso").exists()
    assert not (isolated_aws_home / ".aws" / "cli").exists()
