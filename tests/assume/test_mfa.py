"""MFA token providers: a callable, an argv command, a static code; bad output is refused."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import AssumeRoleError, ConfigurationError
from refreshable_sso.mfa import (
    CallableMfaCode,
    CommandMfaCode,
    MfaCodeError,
    StaticMfaCode,
    mfa_token_provider,
)

from .conftest import MFA_ROLE, MFA_SERIAL, chained


def test_shapes() -> None:
    assert isinstance(mfa_token_provider("123456"), StaticMfaCode)
    assert isinstance(mfa_token_provider(lambda: "123456"), CallableMfaCode)
    assert isinstance(mfa_token_provider(["echo", "123456"]), CommandMfaCode)
    assert "123456" not in repr(mfa_token_provider("123456"))
    assert mfa_token_provider(lambda serial: serial[-6:]).get_code("x:mfa/654321") == "654321"
    for bad in ("12345", [], 42):
        with pytest.raises(ConfigurationError):
            mfa_token_provider(bad)


def test_a_provider_that_gives_no_code_is_refused_without_echoing_it() -> None:
    with pytest.raises(MfaCodeError) as info:
        CallableMfaCode(lambda: "my-secret-password").get_code("serial")
    assert "my-secret-password" not in str(info.value)
    with pytest.raises(MfaCodeError, match="failed"):
        CallableMfaCode(lambda: 1 / 0).get_code("serial")  # type: ignore[arg-type,return-value]
    with pytest.raises(MfaCodeError, match="exited with 3"):
        CommandMfaCode([sys.executable, "-c", "raise SystemExit(3)"]).get_code("s")
    with pytest.raises(MfaCodeError, match="could not run"):
        CommandMfaCode(["/nonexistent/ykman"]).get_code("s")


def test_command_provider_feeds_an_mfa_hop(signed_in: Emulator, tmp_path: Path) -> None:
    secret_file = tmp_path / "code"
    script = (
        "import sys, pathlib; assert sys.argv[1].endswith(':mfa/alice'); "
        f"print(pathlib.Path({str(secret_file)!r}).read_text())"
    )
    secret_file.write_text(signed_in.mfa_code())
    session = chained(
        signed_in,
        {
            "role_arn": MFA_ROLE,
            "mfa_serial": MFA_SERIAL,
            "mfa_token_provider": [sys.executable, "-c", script, "{serial}"],
        },
    )
    assert session.whoami()["role_name"] == "MfaProtected"


def test_mfa_hop_without_provider_says_what_to_pass(signed_in: Emulator) -> None:
    session = chained(signed_in, {"role_arn": MFA_ROLE, "mfa_serial": MFA_SERIAL})
    with pytest.raises(AssumeRoleError, match="no mfa_token_provider"):
        session.refreshable_credentials()


def test_the_provider_is_not_asked_for_a_cached_hop(signed_in: Emulator) -> None:
    asked: list[Any] = []

    def code() -> str:
        asked.append(1)
        return signed_in.mfa_code()

    hop = {"role_arn": MFA_ROLE, "mfa_serial": MFA_SERIAL, "mfa_token_provider": code}
    chained(signed_in, hop).refreshable_credentials()
    chained(signed_in, hop).refreshable_credentials()  # another session, same cache entry
    assert len(asked) == 1
    assert signed_in.calls("AssumeRole") == 1
