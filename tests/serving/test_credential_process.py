"""``refreshable-sso credential-process`` against the emulator: shared cache, fast path, peers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.credentials
import pytest

from refreshable_sso.cli.credential_process import answer_from_cache
from refreshable_sso.config import RefreshConfig
from refreshable_sso.credentials.reuse import DEFAULT_MIN_REMAINING
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.paths import cli_cache_dir, role_credentials_cache_path
from tests.fork_server import ForkServer
from tests.serving.conftest import (
    ACCOUNT,
    CLI,
    ROLE,
    SSO_SESSION,
    EmuFactory,
    call_cli,
)

INVOCATIONS = 16


class _Replay:
    """What botocore's ProcessProvider needs from Popen, replaying a captured run's output."""

    def __init__(self, stdout: str) -> None:
        self.stdout = stdout
        self.returncode = 0

    def __call__(self, *args: Any, **kwargs: Any) -> _Replay:
        return self

    def communicate(self) -> tuple[bytes, bytes]:
        return self.stdout.encode(), b""


def botocore_accepts(stdout: str) -> botocore.credentials.Credentials:
    """Parse one captured output with botocore's own credential_process code."""
    provider = botocore.credentials.ProcessProvider(
        "p", lambda: {"profiles": {"p": {"credential_process": "ignored"}}}, popen=_Replay(stdout)
    )
    credentials = provider.load()
    assert credentials is not None
    return credentials


def _start_together(
    server: ForkServer, args: list[str], n: int
) -> list[subprocess.CompletedProcess[str]]:
    """``n`` real ``refreshable-sso`` processes at once, forked from the warm ``server``."""
    procs = [server.popen([*CLI, *args]) for _ in range(n)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_default_min_remaining_is_the_advisory_window() -> None:
    assert RefreshConfig().advisory_timeout == DEFAULT_MIN_REMAINING


def test_sixteen_cold_invocations_make_one_call_and_warm_ones_none(
    emu: Emulator, fork_server: Callable[..., ForkServer]
) -> None:
    # The processes are real (own pid, file handles and locks) but forked from one parent that
    # has imported the command and boto3 once, instead of 32 interpreters importing them each
    # (not cli.main itself: -m runs it afresh as __main__).
    server = fork_server(["refreshable_sso.cli.credential_process", "boto3"])
    cold = _start_together(server, ["credential-process", "--profile", "dev"], INVOCATIONS)
    assert all(r.returncode == 0 for r in cold), [r.stderr for r in cold]
    assert emu.calls("GetRoleCredentials") == 1
    keys = set()
    for result in cold:
        document = json.loads(result.stdout)
        assert set(document) == {
            "Version",
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
            "AccountId",
        }
        assert document["AccountId"] == emu.default_account_id
        assert document["Version"] == 1
        assert document["Expiration"].endswith("Z")
        credentials = botocore_accepts(result.stdout)
        keys.add(credentials.access_key)
        assert result.stderr == ""
    assert len(keys) == 1

    warm = _start_together(server, ["credential-process", "--profile", "dev"], INVOCATIONS)
    assert all(r.returncode == 0 for r in warm), [r.stderr for r in warm]
    assert emu.calls("GetRoleCredentials") == 1  # 0 more
    assert {json.loads(r.stdout)["AccessKeyId"] for r in warm} == keys
    assert {json.loads(r.stdout)["AccountId"] for r in warm} == {emu.default_account_id}


def test_warm_path_imports_neither_boto3_nor_botocore(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # the entry is written in this process; a fresh interpreter then answers from it
    assert call_cli(capsys, ["credential-process", "--profile", "dev"])[0] == 0
    probe = (
        "import sys\n"
        "from refreshable_sso.cli.main import main\n"
        "code = main(['credential-process', '--profile', 'dev'])\n"
        "heavy = [m for m in ('boto3', 'botocore', 'pydantic', 'http.server', "
        "'refreshable_sso.session') if m in sys.modules]\n"
        "print(repr((code, heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stderr.strip() == "(0, [])", result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert emu.calls("GetRoleCredentials") == 1


def test_cold_path_does_import_botocore_so_the_probe_can_fail(emu: Emulator) -> None:
    probe = (
        "import sys\n"
        "from refreshable_sso.cli.main import main\n"
        "main(['credential-process', '--profile', 'dev'])\n"
        "print('botocore' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stderr.strip() == "True"


def test_entry_with_too_little_left_is_replaced(
    serving_emu_factory: EmuFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = serving_emu_factory(role_credentials_ttl=20)
    args = ["credential-process", "--profile", "dev", "--min-remaining", "19.8"]
    code, out, err = call_cli(capsys, args)
    assert code == 0, err
    time.sleep(0.5)  # now less than 19.8 s of the 20 s are left
    code, again, err = call_cli(capsys, args)
    assert code == 0, err
    assert emu.calls("GetRoleCredentials") == 2
    assert json.loads(again)["AccessKeyId"] != json.loads(out)["AccessKeyId"]
    # With the default window the fresh entry is reused (half its lifetime is left).
    code, third, err = call_cli(capsys, ["credential-process", "--profile", "dev"])
    assert json.loads(third) == json.loads(again)
    assert emu.calls("GetRoleCredentials") == 2


def test_writes_the_entry_the_session_and_aws_cli_share(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(call_cli(capsys, ["credential-process", "--profile", "dev"])[1])
    path = role_credentials_cache_path(ACCOUNT, ROLE, sso_session_name=SSO_SESSION)
    entry = json.loads(path.read_text())
    assert entry["Credentials"]["AccessKeyId"] == document["AccessKeyId"]
    assert path.stat().st_mode & 0o077 == 0
    expiry = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00"))
    assert (expiry - datetime.now(timezone.utc)).total_seconds() > DEFAULT_MIN_REMAINING


@pytest.mark.parametrize(
    "target",
    [
        ["--profile", "legacy"],
        ["--sso-session", SSO_SESSION, "--account-id", ACCOUNT, "--role-name", ROLE],
    ],
)
def test_other_targets_and_their_warm_path(
    emu: Emulator, capsys: pytest.CaptureFixture[str], target: list[str]
) -> None:
    code, first, err = call_cli(capsys, ["credential-process", *target])
    assert code == 0, err
    assert answer_from_cache(target) == 0  # the fast path itself answers the second call
    assert capsys.readouterr().out == first
    assert emu.calls("GetRoleCredentials") == 1


def test_not_signed_in_is_one_line_naming_the_fix(
    serving_emu_factory: EmuFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    serving_emu_factory(sign_in=False)
    code, out, err = call_cli(capsys, ["credential-process", "--profile", "dev"])
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "refreshable-sso login --profile dev" in lines[0]


def test_login_auto_without_a_terminal_does_not_prompt(serving_emu_factory: EmuFactory) -> None:
    serving_emu_factory(sign_in=False)
    result = subprocess.run(
        [*CLI, "credential-process", "--profile", "dev", "--login", "auto"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Login required" in result.stderr
    assert "device" not in result.stderr.lower()


def test_unknown_profile_and_bad_option_are_clear(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call_cli(capsys, ["credential-process", "--profile", "nope"])
    assert (code, out) == (1, "")
    assert "'nope' not found" in err
    code, out, err = call_cli(
        capsys, ["credential-process", "--profile", "dev", "--min-remaining", "soon"]
    )
    assert (code, out) == (2, "")
    assert "--min-remaining" in err
    code, out, err = call_cli(capsys, ["credential-process", "--account-id", ACCOUNT])
    assert (code, out) == (1, "")
    assert "--role-name" in err


def test_corrupt_entry_falls_back_to_a_fetch(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = role_credentials_cache_path(ACCOUNT, ROLE, sso_session_name=SSO_SESSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"ProviderType": "sso", "Credentials": {"AccessKeyId": 1}}')
    assert answer_from_cache(["--profile", "dev"]) is None
    code, out, err = call_cli(capsys, ["credential-process", "--profile", "dev"])
    assert code == 0, err
    assert json.loads(out)["Version"] == 1
    assert emu.calls("GetRoleCredentials") == 1


def test_plain_boto3_credential_process_profile_gets_an_identity(emu: Emulator) -> None:
    session = boto3.Session(profile_name="dev-process")
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert f"AWSReservedSSO_{ROLE}_" in identity["Arn"]
    assert session.get_credentials().method == "custom-process"
    assert emu.calls("GetRoleCredentials") == 1
    assert len(list(cli_cache_dir().glob("*.json"))) == 1
    # A second boto3 process reads the warm entry: no new call.
    again = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; print(boto3.Session(profile_name='dev-process')"
            ".client('sts').get_caller_identity()['Account'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.stdout.strip() == ACCOUNT, again.stderr
    assert emu.calls("GetRoleCredentials") == 1
