"""The real AWS CLI v2 (Debian's ``awscli``) against the emulator's portal sessions.

``aws sso login`` run inside a live portal session joins it, as with IAM Identity Center: the
session's end does not move (aws/aws-cli#9041). Only our ``login --new-session`` moves it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from tests.aws_cli_v2 import aws_cli_v2, endpoint_data
from tests.session.conftest import SSO_SESSION
from tests.session.test_session_end_real import our_login, write_config

pytestmark = pytest.mark.peer


def test_aws_sso_login_inside_a_live_session_keeps_its_end(
    sso_emulator_factory: Any, isolated_aws_home: Path
) -> None:
    aws = aws_cli_v2()
    emu: Emulator = sso_emulator_factory(auto_approve=True, session_ttl=3600)
    config = write_config(isolated_aws_home, emu)
    our_login(emu)
    end = emu.portal_session_end()
    assert end is not None
    emu.clock.advance(1800)  # half-way through the session
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **emu.env(),
        "HOME": str(isolated_aws_home),
        "AWS_CONFIG_FILE": str(config),
        "BROWSER": "true",
        "AWS_DATA_PATH": str(endpoint_data(isolated_aws_home / "aws-data", emu.url)),
    }
    ran = subprocess.run(
        [str(aws), "sso", "login", "--sso-session", SSO_SESSION, "--no-browser"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert emu.calls("StartDeviceAuthorization") == 2  # the CLI really signed in
    assert emu.portal_session_end() == end  # ... and joined the live session
    our_login(emu, new_session=True)
    assert emu.calls("Logout") == 1
    moved = emu.portal_session_end()
    assert moved is not None
    assert (moved - end).total_seconds() > 1700  # a new session, from now
