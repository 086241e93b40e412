"""The suite's SIGINT tests pass when the suite itself runs with SIGINT ignored (``nohup ... &``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.signals import ignore_sigint

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

ROOT = Path(__file__).resolve().parent.parent
SIGINT_TESTS = (
    "tests/emulator/test_cli.py::test_python_m_emulator_prints_exports_and_stops_on_ctrl_c",
    "tests/login/test_login_logout.py::test_cli_ctrl_c_cancels_cleanly",
)


def test_sigint_tests_pass_from_a_background_job() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)",
        ],
        capture_output=True,
        text=True,
        preexec_fn=ignore_sigint,
        check=True,
    )
    assert probe.stdout.strip() == "True"  # the imitation of a background job is real
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SIGINT_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=ignore_sigint,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout


def test_signal_helpers_do_what_they_say() -> None:
    previous = signal.getsignal(signal.SIGINT)
    try:
        ignore_sigint()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        from tests.signals import default_sigint

        default_sigint()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, previous)
