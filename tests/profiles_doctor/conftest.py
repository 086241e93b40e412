"""Emulators, a commented config file and a CLI runner shared by the profiles/doctor/console tests."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.cli.main import main
from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.directory import Directory

SSO_SESSION = "corp"
N_ACCOUNTS = 60

# A config file a person wrote: comments in every style, blank lines, nested values, odd
# spacing, sections of every kind. populate must leave all of it byte for byte.
HAND_WRITTEN = """\
# My AWS config. Do not lose these notes!
;   (semicolon comments too)

[default]
region = eu-west-1
output   =   json
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB

# the legacy profile I still use sometimes
[profile old-legacy]
aws_access_key_id_is_not_here = true
region=us-west-2


[services local-s3]
s3 =
  endpoint_url = http://127.0.0.1:9000

[profile hand-written]   ; written by hand
role_arn = arn:aws:iam::123456789012:role/Thing
source_profile = default
# trailing comment inside a section
"""


@dataclass
class CliResult:
    code: int
    out: str
    err: str


Runner = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> Runner:
    """Run ``refreshable-sso ARGS`` in this process (fast); stdout/stderr captured."""

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse errors
                code = int(exc.code or 0)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


def directory(n: int, skip: set[int] | None = None) -> Directory:
    """``n`` accounts (``Team 000`` ...) with two roles each, minus the indexes in ``skip``."""
    base = Directory.generated(n, roles=("AdministratorAccess", "ReadOnlyAccess"))
    accounts = [
        {
            "account_id": a.account_id,
            "account_name": f"Team {i:03d}",
            "email_address": a.email_address,
            "roles": list(a.roles),
        }
        for i, a in enumerate(base.accounts)
        if i not in (skip or set())
    ]
    return Directory.from_dict({"users": [{"user_name": "alice"}], "accounts": accounts})


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[Emulator], Emulator]:
    """Set the emulator's endpoint variables for this test."""

    def point(emu: Emulator) -> Emulator:
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        return emu

    return point


@pytest.fixture
def config_path(isolated_aws_home: Path) -> Path:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def signed_in(sso_emulator: Emulator, point_at: Any) -> Emulator:
    """The default emulator, its variables set, a token cached for sso-session ``corp``."""
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    return point_at(sso_emulator)  # type: ignore[no-any-return]
