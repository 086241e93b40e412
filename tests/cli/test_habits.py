"""CLI habits: --version, -v anywhere, AWS_PROFILE/default, tables, honest wording, completion.

What these check is what a command does and prints, not the process, so they run ``main()``
in-process (``cli_here``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from refreshable_sso.emulator import Emulator
from refreshable_sso.tokens.login.interactive import LOGIN_FLOW_ENV
from tests.cli.helpers import SSO_SESSION, cli_here, write_profile


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    ran = cli_here("--version")
    assert ran.returncode == 0
    assert ran.stdout.strip() == f"refreshable-sso {version('refreshable-sso')}"


def test_verbose_is_accepted_after_the_command(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    ran = cli_here("whoami", "--profile", "dev", "-v")
    assert ran.returncode == 0, ran.stderr
    assert "INFO " in ran.stderr  # -v after the command took effect
    before = cli_here("-v", "whoami", "--profile", "dev")
    assert "INFO " in before.stderr
    assert "INFO " not in cli_here("whoami", "--profile", "dev").stderr


def test_aws_profile_names_the_sign_in_for_login_and_accounts(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env, "work")
    env = {"AWS_PROFILE": "work"}
    login = cli_here("login", "--no-browser", "--use-device-code", "--timeout", "60", env=env)
    assert login.returncode == 0, login.stderr
    assert login.stdout.startswith(f"Signed in to {SSO_SESSION};")
    again = cli_here("login", "--no-browser", "--use-device-code", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Already signed in to {SSO_SESSION}: reused the cached token")
    accounts = cli_here("accounts", env=env)
    assert accounts.returncode == 0, accounts.stderr
    assert accounts.stdout.splitlines()[0].split() == ["ACCOUNT", "ID", "NAME", "EMAIL"]
    assert len(accounts.stdout.splitlines()) == 4
    roles = cli_here("roles", "--json", env=env)
    assert roles.returncode == 0, roles.stderr
    assert len(json.loads(roles.stdout)) == 7  # --json unchanged: an array of objects


def test_the_default_profile_is_used_without_aws_profile(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env, "default")
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    ran = cli_here("roles", "--account-id", sso_emulator_env.default_account_id)
    assert ran.returncode == 0, ran.stderr
    assert sso_emulator_env.default_role_name in ran.stdout


def test_a_second_logout_says_there_was_nothing_to_end(sso_emulator_env: Emulator) -> None:
    write_profile(sso_emulator_env)
    sso_emulator_env.seed_token_cache(sso_session_name=SSO_SESSION)
    first = cli_here("logout", "--profile", "dev")
    assert first.returncode == 0, first.stderr
    assert f"{SSO_SESSION}: signed out;" in first.stdout
    second = cli_here("logout", "--profile", "dev")
    assert second.returncode == 0, second.stderr
    assert "not signed in (no cached token)" in second.stdout
    assert "server not reached" not in second.stdout


def test_completion_scripts() -> None:
    bash = cli_here("completion", "bash")
    assert bash.returncode == 0
    assert "complete " in bash.stdout
    assert "refreshable-sso" in bash.stdout
    assert "compdef refreshable-sso" in cli_here("completion", "zsh").stdout
    assert "complete --command refreshable-sso" in cli_here("completion", "fish").stdout
    assert cli_here("completion", "tcsh").returncode == 2


def test_completion_answers_through_argcomplete() -> None:
    """What the shell function does: run the program with _ARGCOMPLETE and read the choices."""
    line = "refreshable-sso who"
    done = subprocess.run(
        [sys.executable, "-m", "refreshable_sso.cli.main"],
        env={
            **__import__("os").environ,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_SUPPRESS_SPACE": "1",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": "/dev/stdout",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "whoami" in done.stdout


def test_building_the_parser_imports_nothing_heavy() -> None:
    heavy = (
        "boto3",
        "botocore",
        "rich",
        "argcomplete",
        "refreshable_sso.emulator",
        "refreshable_sso.session",
        "refreshable_sso.discovery",
        "refreshable_sso.tokens.login.signin",
    )
    code = (
        "import sys\nfrom refreshable_sso.cli.main import build_parser\nbuild_parser()\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_login_flow_variable_named_in_help_is_the_real_one() -> None:
    from refreshable_sso.cli import login as login_command

    assert login_command.LOGIN_FLOW_ENV == LOGIN_FLOW_ENV


def test_main_leaves_logging_as_it_found_it(capsys: object) -> None:
    import logging

    from refreshable_sso.cli.main import main

    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    assert main(["completion", "bash"]) == 0
    assert main(["-vv", "whoami", "--profile", "absent"]) == 1
    assert (list(root.handlers), root.level) == before


def test_the_emulator_default_start_url_named_in_help_is_the_real_one() -> None:
    from refreshable_sso.cli import emulator as command
    from refreshable_sso.emulator.settings import DEFAULT_START_URL

    assert command.DEFAULT_START_URL == DEFAULT_START_URL
