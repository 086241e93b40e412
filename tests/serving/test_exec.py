"""``refreshable-sso exec``: a child that outlives several credential lifetimes, exit codes,
forwarded signals and the child's environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.serving.child import CONFLICTING, child_environment, exit_status
from tests.serving.conftest import ACCOUNT, CLI, EmuFactory, call_cli

# A child that calls STS every 100 ms through botocore's own container provider until 3 of the
# credential generations it used have expired (their Expiration is in the past); it reports
# every failure and each generation's expiry.
EXPIRIES = 3
_LONG_RUNNING_CHILD = (
    textwrap.dedent(
        """
    import json, os, sys, time
    import boto3
    session = boto3.Session()
    sts = session.client("sts")
    keys, expiries, failures, calls = [], [], [], 0
    deadline = time.monotonic() + 60
    while sum(e < time.time() for e in expiries) < EXPIRIES and time.monotonic() < deadline:
        try:
            identity = sts.get_caller_identity()
            assert identity["Account"] == "ACCOUNT", identity
            credentials = session.get_credentials()
            key = credentials.get_frozen_credentials().access_key
            if not keys or keys[-1] != key:
                keys.append(key)
                expiries.append(credentials._expiry_time.timestamp())
        except Exception as exc:
            failures.append(type(exc).__name__ + ": " + str(exc))
        calls += 1
        time.sleep(0.1)
    print(json.dumps({"pid": os.getpid(), "keys": keys, "expiries": expiries,
                      "failures": failures, "calls": calls, "end": time.time(),
                      "method": session.get_credentials().method}))
    """
    )
    .replace("EXPIRIES", str(EXPIRIES))
    .replace("ACCOUNT", ACCOUNT)
)


def _restore_default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.soak  # the child is another process on the real clock: it waits out 3 real expiries
def test_child_keeps_working_across_three_expiries(
    serving_emu_factory: EmuFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = serving_emu_factory(role_credentials_ttl=3)
    code, out, err = call_cli(
        capfd,  # type: ignore[arg-type]
        [
            "exec",
            "--profile",
            "dev",
            "--advisory-timeout",
            "1.2",
            "--mandatory-timeout",
            "0.6",
            "--",
            sys.executable,
            "-c",
            _LONG_RUNNING_CHILD,
        ],
    )
    assert code == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["method"] == "container-role"
    # One child process saw 3 of its generations expire and kept working with new ones.
    assert sum(expiry < report["end"] for expiry in report["expiries"]) >= EXPIRIES
    assert len(report["keys"]) > EXPIRIES
    assert len(set(report["keys"])) == len(report["keys"])  # each generation is new
    assert emu.calls("GetRoleCredentials") >= len(report["keys"])
    assert report["calls"] >= 10


def test_exit_code_and_environment_as_said_at_verbose(
    emu: Emulator, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command runs in this process (its main() reads os.environ as a process would); the
    # child it starts is a real process, whose environment and exit status are the subject.
    child = (
        "import json, os, sys\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('AWS_', 'HTTPS_'))}))\n"
        "sys.exit(7)\n"
    )
    env = {
        **os.environ,
        "AWS_PROFILE": "dev",
        "AWS_DEFAULT_PROFILE": "dev",
        "AWS_ACCESS_KEY_ID": "AKIAPARENTPARENT",
        "AWS_SECRET_ACCESS_KEY": "parent-secret-value",
        "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
        "HTTPS_PROXY": "http://proxy.invalid:3128",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = call_cli(
        capfd,  # type: ignore[arg-type]
        ["-v", "exec", "--profile", "dev", "--", sys.executable, "-c", child],
    )
    result = subprocess.CompletedProcess(["refreshable-sso"], code, out, err)
    assert result.returncode == 7, result.stderr
    seen = json.loads(result.stdout)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        assert name not in seen
        assert name in result.stderr  # said at -v ...
    assert "parent-secret-value" not in result.stderr  # ... by name only
    assert seen["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert len(seen["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) >= 43
    assert seen["AWS_CONTAINER_AUTHORIZATION_TOKEN"] not in result.stderr
    assert seen["AWS_CA_BUNDLE"] == env["AWS_CA_BUNDLE"]
    assert seen["HTTPS_PROXY"] == env["HTTPS_PROXY"]
    assert seen["AWS_ENDPOINT_URL_STS"] == emu.url
    assert seen["AWS_REGION"] == "eu-west-1"  # the profile's region


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_are_forwarded_and_the_childs_status_returned(
    emu: Emulator, signum: signal.Signals
) -> None:
    # The handler only records the signal; the main flow prints and exits. Printing from the
    # handler raced with print('ready'): a signal that arrived while that flush still held
    # stdout's lock made the handler's print fail (RuntimeError: reentrant call).
    child = (
        "import signal, sys, time\n"
        "got = []\n"
        "def record(n, f):\n"
        "    got.append(n)\n"
        f"signal.signal({int(signum)}, record)\n"
        "print('ready', flush=True)\n"
        "deadline = time.monotonic() + 60\n"
        "while not got and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "if got:\n"
        "    print('child got', got[0], flush=True)\n"
        "    sys.exit(42)\n"
        "sys.exit(3)\n"
    )
    proc = subprocess.Popen(
        [*CLI, "exec", "--profile", "dev", "--", sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_default_signals,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 42, err
    assert out.strip() == f"child got {int(signum)}"


def test_env_mode_gives_static_keys(
    emu: Emulator, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/stale")
    child = (
        "import json, os\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))\n"
    )
    code, out, err = call_cli(
        capfd,  # type: ignore[arg-type]
        ["exec", "--env", "--profile", "dev", "--", sys.executable, "-c", child],
    )
    assert code == 0, err
    seen = json.loads(out)
    assert seen["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert seen["AWS_SECRET_ACCESS_KEY"]
    assert seen["AWS_SESSION_TOKEN"]
    assert seen["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in seen


def test_missing_command_and_command_not_found(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = call_cli(capsys, ["exec", "--profile", "dev"])
    assert code == 1
    assert "exec needs a command" in err
    code, _, err = call_cli(capsys, ["exec", "--profile", "dev", "--", "no-such-command-xyz"])
    assert code == 127
    assert "command not found: no-such-command-xyz" in err


def test_not_signed_in_fails_before_starting_the_child(
    serving_emu_factory: EmuFactory, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    serving_emu_factory(sign_in=False)
    code, _, err = call_cli(
        capsys, ["exec", "--profile", "dev", "--", sys.executable, "-c", "print('ran')"]
    )
    assert code == 1
    assert "Login required" in err


def test_child_environment_rules() -> None:
    parent = {name: "x" for name in CONFLICTING} | {"PATH": "/bin", "AWS_REGION": "us-west-2"}
    env, removed = child_environment(
        parent, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "u"}, "eu-west-1"
    )
    assert removed == sorted(CONFLICTING)
    assert env == {
        "PATH": "/bin",
        "AWS_REGION": "us-west-2",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "u",
    }
    assert exit_status(-15) == 143
    assert exit_status(3) == 3
