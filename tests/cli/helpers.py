"""Run ``refreshable-sso`` against the emulator, with a profile in the config.

:func:`cli` starts a real process: for tests whose subject is the process (exit status of a
real interpreter, signals, its stdio, several processes). :func:`cli_here` runs the same
``main()`` in this process (no interpreter start-up, ~0.4 s less per call) for tests whose
subject is what a command does and prints. It gives the command what a new process would
have: the test's environment (with ``env`` on top), an empty stdin, ``sys.argv``, and no
botocore session left over from an earlier call; and it puts back what the command may change
(environment, working directory, logging handlers and levels, warning filters, signal
handlers), so one call cannot leak into the next test on the same xdist worker.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
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


#: The signals a command may take over (exec forwards them; serve and login stop on them).
_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGPIPE", "SIGCHLD", "SIGUSR1")
    if hasattr(signal, name)
)


def _forget_botocore_session() -> None:
    """Drop the library's one isolated botocore session (made afresh, as in a new process: it
    caches the config file it read). The parsed-model loader is kept: it is read-only data."""
    from refreshable_sso.aws import clients as _aws

    with _aws._isolated_lock:
        _aws._isolated = None


@contextlib.contextmanager
def _as_a_new_process(args: tuple[str, ...], env: dict[str, str]) -> Iterator[None]:
    """What a new process would start with, and everything a command may change put back."""
    saved_env = dict(os.environ)
    cwd = os.getcwd()
    argv, stdin = sys.argv, sys.stdin
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    main_thread = threading.current_thread() is threading.main_thread()
    handlers_of = {signum: signal.getsignal(signum) for signum in _SIGNALS} if main_thread else {}
    os.environ.update(env)
    sys.argv = ["refreshable-sso", *args]
    _forget_botocore_session()
    try:
        with open(os.devnull, encoding="utf-8") as devnull, warnings.catch_warnings():
            sys.stdin = devnull
            yield
    finally:
        sys.argv, sys.stdin = argv, stdin
        _forget_botocore_session()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for signum, handler in handlers_of.items():
            if signal.getsignal(signum) is not handler and handler is not None:
                signal.signal(signum, handler)


def cli_here(*args: str, env: dict[str, str] | None = None) -> Ran:
    """``refreshable-sso ARGS`` run in this process, stdout/stderr captured; like :func:`cli`.

    Args:
        args: the command line after the program name.
        env: variables set for the call only (on top of the test's environment).
    """
    from refreshable_sso.cli.main import main

    started = time.monotonic()
    out, err = io.StringIO(), io.StringIO()
    with (
        _as_a_new_process(args, env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors and --version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Ran(code, out.getvalue(), err.getvalue(), time.monotonic() - started)
