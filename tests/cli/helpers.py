"""Run ``refreshable-sso`` against the emulator, with a profile in the config.

:func:`cli` starts a real process: for tests whose subject is the process (exit status of a
real interpreter, signals, its stdio, several processes). :func:`cli_here` runs the same
``main()`` in this process (no interpreter start-up, ~0.4 s less per call) for tests whose
subject is what a command does and prints.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cli_here(*args: str, env: dict[str, str] | None = None) -> Ran:
    """``refreshable-sso ARGS`` run in this process, stdout/stderr captured; like :func:`cli`.

    Args:
        args: the command line after the program name.
        env: variables set for the call only (on top of the test's environment).
    """
    from refreshable_sso.cli.main import main

    started = time.monotonic()
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors and --version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Ran(code, out.getvalue(), err.getvalue(), time.monotonic() - started)
