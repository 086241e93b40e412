"""The waiting indicator at a real pseudo-terminal (and silence without one); demo Ctrl-C."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from refreshable_sso.emulator import Emulator
from tests.cli.helpers import SSO_SESSION, cli, write_profile
from tests.signals import default_sigint

SLOW = 3.0  # longer than the indicator's 2 s, shorter than the default 4 s read timeout


def _run_with_terminal_stderr(*args: str) -> tuple[int, str, bytes]:
    """Run the CLI with stderr on the slave side of a pty; returns (code, stdout, terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "refreshable_sso.cli.main", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color"},
        preexec_fn=default_sigint,
    )
    os.close(slave)
    seen = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=60), out, bytes(seen)


@pytest.mark.soak
@pytest.mark.timing  # compares a measured wait with the stated one: runs alone
def test_a_slow_call_shows_what_it_waits_for_at_a_terminal(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    sso_emulator_env.faults.set("GetRoleCredentials", latency=SLOW)
    code, out, terminal = _run_with_terminal_stderr("whoami", "--profile", "dev")
    sso_emulator_env.faults.clear()
    assert code == 0, terminal.decode(errors="replace")
    assert "Account:     111111111111" in out
    assert b"waiting for IAM Identity Center (sso.us-east-1) and STS" in terminal


@pytest.mark.soak  # the call must outlast the indicator's real 2 s (threading.Event.wait)
def test_nothing_is_printed_when_stderr_is_not_a_terminal(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    sso_emulator_env.faults.set("GetRoleCredentials", latency=SLOW)
    ran = cli("whoami", "--profile", "dev")
    sso_emulator_env.faults.clear()
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""


@pytest.mark.soak  # lets the real demo run 1.5 s before its Ctrl-C
def test_demo_interrupted_reports_its_figures_and_exits_130() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "refreshable_sso.cli.main", "demo", "--duration", "120"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # we send it SIGINT: never inherit an ignored one
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("Signed in:"):
                break
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "result: INTERRUPTED after" in out
    assert "(0 failed so far)" in out
    assert "FAILED" not in out
    assert "Traceback" not in err
