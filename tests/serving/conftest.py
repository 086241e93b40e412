"""An emulator, an ~/.aws/config with SSO profiles and a credential_process profile, and a way
to run the real ``refreshable-sso`` command in a subprocess."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator

SSO_SESSION = "serving"
ACCOUNT = "111111111111"
ROLE = "ReadOnlyAccess"
OTHER_ROLE = "AdministratorAccess"
#: The command that runs our CLI with this interpreter (no reliance on PATH).
CLI: list[str] = [sys.executable, "-m", "refreshable_sso.cli.main"]


def credential_process_line(*extra: str) -> str:
    return shlex.join([*CLI, "credential-process", "--profile", "dev", *extra])


def write_config(emu: Emulator, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f"""[sso-session {SSO_SESSION}]
sso_start_url = {emu.start_url}
sso_region = {emu.region}
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = {SSO_SESSION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = eu-west-1

[profile dev-admin]
sso_session = {SSO_SESSION}
sso_account_id = {ACCOUNT}
sso_role_name = {OTHER_ROLE}
region = eu-west-1

[profile legacy]
sso_start_url = {emu.start_url}
sso_region = {emu.region}
sso_account_id = 222222222222
sso_role_name = {ROLE}

[profile dev-process]
credential_process = {credential_process_line()}
region = eu-west-1
""",
        encoding="utf-8",
    )


EmuFactory = Callable[..., Emulator]


@pytest.fixture
def serving_emu_factory(sso_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> EmuFactory:
    """An emulator (any options) with endpoints in the environment, a signed-in token in
    ~/.aws/sso/cache and the profiles above in ~/.aws/config."""

    def factory(*, sign_in: bool = True, **options: Any) -> Emulator:
        options.setdefault("auto_approve", True)
        emu: Emulator = sso_emulator_factory(**options)
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        write_config(emu, Path(os.environ["AWS_CONFIG_FILE"]))
        if sign_in:
            emu.seed_token_cache(sso_session_name=SSO_SESSION)
            emu.seed_token_cache()  # the legacy profile's start-URL keyed token
        emu.reset_counters()
        return emu

    return factory


@pytest.fixture
def emu(serving_emu_factory: EmuFactory) -> Emulator:
    return serving_emu_factory()


def run_cli(
    args: Sequence[str], *, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess (the test's HOME, config and endpoints)."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        check=False,
    )


def call_cli(capsys: pytest.CaptureFixture[str], args: Sequence[str]) -> tuple[int, str, str]:
    """The CLI's ``main`` in this process (cheaper than a subprocess): code, stdout, stderr."""
    from refreshable_sso.cli.main import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
