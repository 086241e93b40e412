"""The ``demo`` and ``whoami`` commands.

The demo's soak run is a real process (it runs for seconds, with its own threads, and must
leave ~/.aws alone); the argument and whoami checks run the command's ``main`` in this process
(:func:`tests.cli.helpers.cli_here`), since what it prints is their subject.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from tests.cli.helpers import cli_here
from tests.session.test_interop import PROFILE_CONFIG


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refreshable_sso.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _cli_here(*args: str) -> subprocess.CompletedProcess[str]:
    ran = cli_here(*args)
    return subprocess.CompletedProcess(
        ["refreshable-sso", *args], ran.returncode, ran.stdout, ran.stderr
    )


@pytest.mark.soak
def test_demo_runs_through_expiries_and_exits_zero() -> None:
    home = Path(os.environ["HOME"])
    done = _cli("demo", "--duration", "8", "--role-ttl", "4", "--token-ttl", "6", "--threads", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Signed in: device code flow" in out
    assert "0 failed" in out
    assert "OK, every call succeeded" in out
    assert "\r" not in out  # not a terminal: plain lines
    fetched = int(out.split("role credentials fetched ")[1].split()[0])
    assert fetched >= 2  # 8 s with 4-second credentials: at least one refresh
    assert not (home / ".aws").exists(), "the demo touched ~/.aws"


def test_demo_rejects_bad_arguments() -> None:
    done = _cli_here("demo", "--duration", "0", "--threads", "0")
    assert done.returncode == 2
    assert "--duration must be positive" in done.stderr
    assert "--threads must be at least 1" in done.stderr


def test_whoami_command(sso_emulator_env: Emulator) -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        PROFILE_CONFIG.format(start_url=sso_emulator_env.start_url, region=sso_emulator_env.region)
    )
    sso_emulator_env.seed_token_cache(sso_session_name="corp")
    done = _cli_here("whoami", "--profile", "dev")
    assert done.returncode == 0, done.stderr
    assert "Account:     111111111111" in done.stdout
    assert "Role:        ReadOnlyAccess" in done.stdout
    as_json = _cli_here("whoami", "--profile", "dev", "--json")
    document = json.loads(as_json.stdout)
    assert document["role_name"] == "ReadOnlyAccess"
    assert document["user_name"] == sso_emulator_env.user_name
    assert document["CredentialsExpiration"]


def test_whoami_errors_are_one_line(sso_emulator_env: Emulator) -> None:
    done = _cli_here("whoami", "--profile", "missing")
    assert done.returncode == 1
    assert done.stderr.startswith("refreshable-sso: error: Profile 'missing' not found")
    assert "Traceback" not in done.stderr


@pytest.mark.repo
@pytest.mark.soak  # long_running.py runs for --duration 4 real seconds
def test_examples_run_offline() -> None:
    root = Path(__file__).resolve().parents[2]
    for script, extra in (("whoami.py", []), ("long_running.py", ["--duration", "4"])):
        done = subprocess.run(
            [sys.executable, str(root / "examples" / script), *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "assumed-role/AWSReservedSSO_" in done.stdout
    assert not (Path(os.environ["HOME"]) / ".aws").exists()
