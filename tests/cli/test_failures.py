"""Expected failures end as one message with cause and fix, a non-zero exit, and no traceback.

The messages are checked on the CLI's ``main`` in this process (:func:`cli_here`); a real
process is started where its own exit status is the subject (usage errors) and in the soak
tests, whose measured wait includes a process's start.
"""

from __future__ import annotations

import re

import pytest

from refreshable_sso.aws.clients import DEFAULT_HTTP
from refreshable_sso.emulator import Emulator
from tests.cli.helpers import SSO_SESSION, cli, cli_here, write_profile


def _assert_clean_failure(stderr: str, returncode: int) -> None:
    assert returncode == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.startswith("refreshable-sso: error: ") or "\nrefreshable-sso: error: " in stderr


def test_whoami_before_signing_in(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    ran = cli_here("whoami", "--profile", "dev")
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert "Login required for sso-session 'corp'" in ran.stderr
    assert "refreshable-sso login --profile dev" in ran.stderr  # the fix
    # botocore's warning is folded into the message, one line, not printed with its traceback
    assert "Refreshing temporary credentials failed" in ran.stderr
    assert ran.stderr.count("Refreshing temporary credentials failed") == 1
    assert not ran.stderr.startswith("WARNING")


def test_whoami_with_a_corrupt_token_file(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    path = sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    path.write_text("{not json", encoding="utf-8")
    ran = cli_here("whoami", "--profile", "dev")
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert "not valid JSON" in ran.stderr  # the cause
    assert "refreshable-sso login --profile dev" in ran.stderr  # the fix


def test_whoami_with_the_emulator_stopped(
    virtual_backoff: list[float], sso_emulator_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = sso_emulator_factory(auto_approve=True)  # type: ignore[operator]
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    write_profile(emu)
    emu.seed_token_cache(sso_session_name=SSO_SESSION)
    emu.stop()
    ran = cli_here("whoami", "--profile", "dev")
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert "could not connect to the SSO portal" in ran.stderr
    assert "check the network and the endpoint" in ran.stderr
    assert ran.seconds < 25
    assert virtual_backoff  # botocore retried the refused connection after a backoff


@pytest.mark.soak
@pytest.mark.timing  # compares a measured wait with the stated one: runs alone
def test_whoami_with_a_hung_sso_endpoint_ends_within_25_s(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    sso_emulator_env.faults.set("GetRoleCredentials", latency=120)
    ran = cli("whoami", "--profile", "dev")
    sso_emulator_env.faults.clear()
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert ran.seconds < 25, ran.stderr
    stated = re.search(
        rf"no answer after (\d+\.\d) s \({DEFAULT_HTTP.max_attempts} attempt\(s\) x "
        rf"{DEFAULT_HTTP.read_timeout:g} s read timeout",
        ran.stderr,
    )
    assert stated, ran.stderr
    # the process's own run time includes Python's start-up: the stated wait is a little less
    assert float(stated[1]) <= ran.seconds
    assert float(stated[1]) >= DEFAULT_HTTP.max_attempts * DEFAULT_HTTP.read_timeout - 0.5
    assert "check the network" in ran.stderr


@pytest.mark.soak
@pytest.mark.timing  # compares a measured wait with the stated one: runs alone
def test_accounts_with_a_hung_portal_ends_within_25_s(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    sso_emulator_env.faults.set("ListAccounts", latency=120)
    ran = cli("accounts", "--profile", "dev")
    sso_emulator_env.faults.clear()
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert ran.seconds < 25, ran.stderr
    assert "list the accounts" in ran.stderr
    assert f"x {DEFAULT_HTTP.read_timeout:g} s read timeout" in ran.stderr  # the wait, stated


def test_login_with_a_wrong_start_url_keeps_the_servers_reason(sso_emulator_env: Emulator) -> None:
    ran = cli_here(
        "login",
        "--start-url",
        "https://d-9999999999.awsapps.com/start",
        "--sso-region",
        sso_emulator_env.region,
        "--no-browser",
        "--use-device-code",
        "--timeout",
        "20",
    )
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert "Unknown startUrl" in ran.stderr  # the server's own explanation
    assert "Check the start URL" in ran.stderr  # the fix
    assert "and the SSO region" in ran.stderr


def test_login_with_a_plain_http_start_url_says_so(sso_emulator_env: Emulator) -> None:
    ran = cli_here(
        "login",
        "--start-url",
        "http://d-9999999999.awsapps.com/start",
        "--sso-region",
        sso_emulator_env.region,
        "--no-browser",
        "--timeout",
        "20",
    )
    _assert_clean_failure(ran.stderr, ran.returncode)
    assert "a start URL begins with https://" in ran.stderr
    assert "browser" not in ran.stderr.lower()


def test_vv_shows_the_traceback(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    ran = cli_here("whoami", "--profile", "dev", "-vv")
    assert ran.returncode == 1
    assert "Traceback" in ran.stderr
    assert "Login required" in ran.stderr


def test_usage_errors_exit_2() -> None:
    # a real process: the subject is the exit status the program itself ends with
    ran = cli("whoami", "--no-such-option")
    assert ran.returncode == 2
    assert "usage:" in ran.stderr
    assert cli().returncode == 2
