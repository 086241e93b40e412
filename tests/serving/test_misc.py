"""The example runs offline; several profiles of one sign-in share one token provider."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from refreshable_sso.cli._target import add_target_arguments, build_sessions
from refreshable_sso.emulator import Emulator
from refreshable_sso.serving.documents import parse_iso_utc

EXAMPLE = Path(__file__).parents[2] / "examples" / "serve_credentials.py"


@pytest.mark.repo
@pytest.mark.soak  # the example's child waits for three 4 s credential generations, in real time
def test_example_runs_offline(isolated_aws_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("child: new credentials") == 3
    assert not (isolated_aws_home / ".aws").exists()


def test_profiles_of_one_sign_in_share_a_token_provider(emu: Emulator) -> None:
    parser = argparse.ArgumentParser()
    add_target_arguments(parser, many_profiles=True)
    args = parser.parse_args(["--profile", "dev", "--profile", "dev-admin", "--profile", "legacy"])
    sessions = build_sessions(args)
    assert sessions["dev"].token_provider is sessions["dev-admin"].token_provider
    assert sessions["legacy"].token_provider is not sessions["dev"].token_provider


def test_cache_timestamps_with_and_without_milliseconds() -> None:
    assert parse_iso_utc("2026-12-01T20:00:00Z").isoformat() == "2026-12-01T20:00:00+00:00"
    assert parse_iso_utc("2026-12-01T20:00:00.250Z").microsecond == 250000
    for bad in ("2026-12-01T20:00:00", "2026-12-01T20:00:00+00:00Z", "soon"):
        try:
            parse_iso_utc(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_served_credentials_repr_masks_secrets() -> None:
    from refreshable_sso.serving.documents import ServedCredentials

    served = ServedCredentials(
        access_key_id="ASIAEXAMPLE",
        secret_access_key="very-secret-key",
        session_token="very-secret-token",
        expiration=parse_iso_utc("2026-12-01T20:00:00Z"),
    )
    shown = repr(served) + str(served)
    assert "very-secret" not in shown
    assert "ASIAEXAMPLE" in shown
