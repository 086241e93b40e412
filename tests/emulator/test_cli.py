"""``python -m refreshable_sso.emulator`` and ``refreshable-sso emulator`` run in the foreground."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from refreshable_sso.cli.emulator import run
from refreshable_sso.cli.main import build_parser
from tests.signals import default_sigint


def _start(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, str], list[str]]:
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        preexec_fn=default_sigint,  # we send it SIGINT: never inherit an ignored one
    )
    assert proc.stdout is not None
    exports: dict[str, str] = {}
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("export "):
            name, _, value = line[len("export ") :].strip().partition("=")
            exports[name] = value
        if "press Ctrl-C" in line:
            break
    return proc, exports, lines


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out


def test_python_m_emulator_prints_exports_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    directory = tmp_path / "dir.json"
    directory.write_text(
        json.dumps(
            {
                "users": [{"user_name": "bob"}],
                "accounts": [
                    {"account_id": "444455556666", "account_name": "Lab", "roles": ["Dev"]}
                ],
            }
        )
    )
    proc, exports, lines = _start(
        [
            sys.executable,
            "-m",
            "refreshable_sso.emulator",
            "--auto-approve",
            "--directory",
            str(directory),
            "--access-token-ttl",
            "120",
        ]
    )
    try:
        assert set(exports) == {
            "AWS_ENDPOINT_URL_SSO",
            "AWS_ENDPOINT_URL_SSO_OIDC",
            "AWS_ENDPOINT_URL_STS",
            "REFRESHABLE_SSO_FEDERATION_ENDPOINT",
            "AWS_ENDPOINT_URL_SSO_ADMIN",
            "AWS_ENDPOINT_URL_ORGANIZATIONS",
            "AWS_ENDPOINT_URL_IDENTITYSTORE",
        }
        url = exports["AWS_ENDPOINT_URL_SSO"]
        assert url.startswith("http://127.0.0.1:")
        assert any("start URL: https://" in line for line in lines)
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=10) as resp:  # noqa: S310
            assert json.load(resp)["ok"] is True
    finally:
        out = _stop(proc)
    assert "emulator stopped" in out


def test_refreshable_sso_emulator_command() -> None:
    exe = Path(sys.executable).with_name("refreshable-sso")
    if not exe.exists():
        pytest.fail(f"console script {exe} is missing: install the project (pip install -e .)")
    proc, exports, _ = _start([str(exe), "emulator", "--port", "0", "--session-ttl", "900"])
    try:
        assert exports["AWS_ENDPOINT_URL_STS"].startswith("http://127.0.0.1:")
    finally:
        out = _stop(proc, signal.SIGTERM)
    assert "emulator stopped" in out


def test_run_in_a_thread_stops_on_event() -> None:
    args = build_parser().parse_args(["emulator", "--auto-approve"])
    stop = threading.Event()
    out = io.StringIO()
    worker = threading.Thread(target=run, args=(args, out, stop))
    worker.start()
    try:
        for _ in range(100):
            if "press Ctrl-C" in out.getvalue():
                break
            stop.wait(0.05)
        url = next(
            line.split("=", 1)[1]
            for line in out.getvalue().splitlines()
            if line.startswith("export AWS_ENDPOINT_URL_SSO=")
        )
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=10) as resp:  # noqa: S310
            assert json.load(resp)["ok"] is True
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert "emulator stopped" in out.getvalue()


def test_command_options_parse() -> None:
    args = build_parser().parse_args(
        ["emulator", "--port", "8765", "--role-credentials-ttl", "20", "--device-interval", "2"]
    )
    assert (args.port, args.role_credentials_ttl, args.device_interval) == (8765, 20, 2)
    assert args.host == "127.0.0.1"


def test_bad_directory_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = subprocess.run(
        [sys.executable, "-m", "refreshable_sso.emulator", "--directory", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.repo
def test_example_runs() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "offline_emulator.py"
    proc = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "whoami: arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnlyAccess_" in (
        proc.stdout
    )
