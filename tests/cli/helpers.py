"""Run ``refreshable-sso`` as a real process against the emulator, with a profile in the config."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from refreshable_sso.emulator import Emulator
from tests.signals import default_sigint

SSO_SESSION = "corp"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def write_profile(emu: Emulator, name: str = "dev", *, start_url: str | None = None) -> Path:
    """A ``[profile NAME]`` on an ``[sso-session corp]`` of the emulator in $AWS_CONFIG_FILE."""
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    header = "default" if name == "default" else f"profile {name}"
    config.write_text(
        f"[{header}]\nsso_session = {SSO_SESSION}\nsso_account_id = {emu.default_account_id}\n"
        f"sso_role_name = {emu.default_role_name}\nregion = {emu.region}\n\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {start_url or emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n",
        encoding="utf-8",
    )
    return config


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
    """``python -m refreshable_sso.cli.main ARGS`` with the test's environment (tmp HOME)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "refreshable_sso.cli.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        preexec_fn=default_sigint,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
