"""Static, callable and command providers, and the chain that reports why each declined."""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import (
    ConfigurationError,
    LoginDeniedError,
    LoginRequiredError,
    TokenChainError,
    TokenProviderDeclined,
    TokenProviderError,
)
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.chain import ChainTokenProvider
from refreshable_sso.tokens.simple import (
    CallableTokenProvider,
    CommandTokenProvider,
    StaticTokenProvider,
)

SECRET = "tok-very-secret-value"


def _in(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def _script(tmp_path: Path, body: str, name: str = "token_tool.py") -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


# -- static -----------------------------------------------------------------------------------


def test_static_string_needs_expiry_and_is_handed_out() -> None:
    with pytest.raises(ConfigurationError, match="expires_at is required"):
        StaticTokenProvider(SECRET)
    provider = StaticTokenProvider(SECRET, _in(600))
    token = provider.get_token()
    assert token.access_token.get_secret_value() == SECRET
    assert SECRET not in repr(provider)
    assert SECRET not in repr(token)


def test_static_declines_once_expired() -> None:
    provider = StaticTokenProvider(SECRET, _in(-1))
    with pytest.raises(TokenProviderDeclined, match="expired"):
        provider.get_token()


# -- callable ---------------------------------------------------------------------------------


def test_callable_reuses_until_margin_and_refetches_on_force() -> None:
    calls: list[int] = []

    def source() -> dict[str, str]:
        calls.append(1)
        return {"accessToken": f"{SECRET}-{len(calls)}", "expiresAt": _in(3600).isoformat()}

    provider = CallableTokenProvider(source)
    first = provider.get_token()
    assert provider.get_token() is first
    assert len(calls) == 1
    forced = provider.get_token(force_refresh=True)
    assert forced.access_token.get_secret_value().endswith("-2")


def test_callable_none_declines_and_exception_is_wrapped() -> None:
    with pytest.raises(TokenProviderDeclined, match="returned None"):
        CallableTokenProvider(lambda: None).get_token()

    def broken() -> SSOToken:
        raise RuntimeError("backend down")

    with pytest.raises(TokenProviderError, match="raised RuntimeError") as info:
        CallableTokenProvider(broken).get_token()
    assert isinstance(info.value.__cause__, RuntimeError)


def test_callable_returning_expired_token_is_an_error() -> None:
    expired = SSOToken(access_token=SecretStr(SECRET), expires_at=_in(-5))
    with pytest.raises(TokenProviderError, match="expired"):
        CallableTokenProvider(lambda: expired).get_token()


# -- command ----------------------------------------------------------------------------------


def test_command_prints_json_token(tmp_path: Path) -> None:
    expires = _in(3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    argv = _script(
        tmp_path,
        f"""
        import json, sys
        print("asking the vault", file=sys.stderr)
        print(json.dumps({{"accessToken": "{SECRET}", "expiresAt": "{expires}"}}))
        """,
    )
    provider = CommandTokenProvider(
        argv, start_url="https://x.awsapps.com/start", region="eu-west-1"
    )
    token = provider.get_token()
    assert token.access_token.get_secret_value() == SECRET
    assert token.start_url == "https://x.awsapps.com/start"
    assert token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ") == expires


def test_command_stderr_is_passed_through(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    argv = _script(
        tmp_path,
        f"""
        import json, sys
        print("please touch your security key", file=sys.stderr)
        print(json.dumps({{"accessToken": "{SECRET}", "expiresAt": 4102444800}}))
        """,
    )
    CommandTokenProvider(argv).get_token()
    captured = capfd.readouterr()
    assert "please touch your security key" in captured.err
    assert SECRET not in captured.err


def test_command_is_never_a_shell_string() -> None:
    with pytest.raises(ConfigurationError, match="not one string"):
        CommandTokenProvider("my-tool --json")
    with pytest.raises(ConfigurationError, match="non-empty list"):
        CommandTokenProvider([])


def test_command_shell_metacharacters_are_plain_arguments(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    argv = _script(
        tmp_path,
        f"""
        import json, sys
        assert sys.argv[1] == "; touch {marker}"
        print(json.dumps({{"accessToken": "{SECRET}", "expiresAt": 4102444800}}))
        """,
    )
    CommandTokenProvider([*argv, f"; touch {marker}"]).get_token()
    assert not marker.exists()


def test_command_bad_exit_status(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    argv = _script(
        tmp_path,
        """
        import sys
        print("vault says no", file=sys.stderr)
        sys.exit(3)
        """,
    )
    with pytest.raises(TokenProviderError, match="exited with status 3"):
        CommandTokenProvider(argv).get_token()
    assert "vault says no" in capfd.readouterr().err


def test_command_bad_json_never_quotes_output(tmp_path: Path) -> None:
    argv = _script(tmp_path, f'print("accessToken={SECRET}")\n')
    with pytest.raises(TokenProviderError, match="did not print valid JSON") as info:
        CommandTokenProvider(argv).get_token()
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None  # the JSON error would carry the output


def test_command_json_not_an_object(tmp_path: Path) -> None:
    argv = _script(tmp_path, 'print("[1, 2]")\n')
    with pytest.raises(TokenProviderError, match="not an object"):
        CommandTokenProvider(argv).get_token()


def test_command_missing_and_bad_keys(tmp_path: Path) -> None:
    argv = _script(tmp_path, f"print('{json.dumps({'accessToken': SECRET})}')\n", "a.py")
    with pytest.raises(TokenProviderError, match="'expiresAt' is missing"):
        CommandTokenProvider(argv).get_token()
    argv = _script(tmp_path, f"print('{json.dumps({'expiresAt': 4102444800})}')\n", "b.py")
    with pytest.raises(TokenProviderError, match="'accessToken' must be a non-empty string"):
        CommandTokenProvider(argv).get_token()
    bad = json.dumps({"accessToken": SECRET, "expiresAt": "next tuesday"})
    argv = _script(tmp_path, f"print('{bad}')\n", "c.py")
    with pytest.raises(TokenProviderError, match="expiresAt") as info:
        CommandTokenProvider(argv).get_token()
    assert SECRET not in str(info.value)


def test_command_timeout(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import time\ntime.sleep(30)\n")
    with pytest.raises(TokenProviderError, match=r"did not finish within 0.5 s"):
        CommandTokenProvider(argv, timeout=0.5).get_token()


def test_command_not_found_declines(tmp_path: Path) -> None:
    with pytest.raises(TokenProviderDeclined, match="was not found"):
        CommandTokenProvider([str(tmp_path / "no-such-tool")]).get_token()


def test_command_is_run_once_while_token_is_fresh(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    argv = _script(
        tmp_path,
        f"""
        import json, pathlib
        p = pathlib.Path({str(counter)!r})
        p.write_text(p.read_text() + "x" if p.exists() else "x")
        print(json.dumps({{"accessToken": "{SECRET}", "expiresAt": 4102444800}}))
        """,
    )
    provider = CommandTokenProvider(argv)
    provider.get_token()
    provider.get_token()
    assert counter.read_text() == "x"
    provider.get_token(force_refresh=True)
    assert counter.read_text() == "xx"


# -- chain ------------------------------------------------------------------------------------


def test_chain_returns_first_token_and_skips_decliners(tmp_path: Path) -> None:
    chain = ChainTokenProvider(
        [
            StaticTokenProvider("old", _in(-1)),
            CommandTokenProvider([str(tmp_path / "absent")]),
            StaticTokenProvider(SECRET, _in(600)),
        ]
    )
    assert chain.get_token().access_token.get_secret_value() == SECRET


def test_chain_reports_every_reason(tmp_path: Path) -> None:
    failing = _script(tmp_path, "import sys\nsys.exit(2)\n")
    chain = ChainTokenProvider(
        [
            StaticTokenProvider("old", _in(-1)),
            CommandTokenProvider([str(tmp_path / "absent")]),
            CommandTokenProvider(failing),
        ]
    )
    with pytest.raises(TokenChainError) as info:
        chain.get_token()
    names = [name for name, _ in info.value.reasons]
    assert names == ["StaticTokenProvider", "CommandTokenProvider", "CommandTokenProvider"]
    message = str(info.value)
    assert "expired" in message
    assert "was not found" in message
    assert "exited with status 2" in message


def test_chain_with_cache_needing_login_raises_login_required(sso_emulator: Emulator) -> None:
    cached = CachedTokenProvider(
        sso_emulator.start_url, sso_emulator.region, sso_session_name="none"
    )
    chain = ChainTokenProvider([StaticTokenProvider("old", _in(-1)), cached])
    with pytest.raises(LoginRequiredError) as info:
        chain.get_token()
    assert info.value.sso_session_name == "none"
    assert "StaticTokenProvider" in info.value.reason
    assert "no cached SSO token" in info.value.reason
    assert isinstance(info.value.__cause__, TokenChainError)
    assert len(info.value.__cause__.reasons) == 2


def test_chain_uses_cache_token_written_by_emulator(
    sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sso_emulator.env().items():
        monkeypatch.setenv(name, value)
    sso_emulator.seed_token_cache(sso_session_name="corp")
    cached = CachedTokenProvider(
        sso_emulator.start_url, sso_emulator.region, sso_session_name="corp"
    )
    chain = ChainTokenProvider([StaticTokenProvider("old", _in(-1)), cached])
    assert chain.get_token().start_url == sso_emulator.start_url


def test_chain_stops_at_a_login_answer() -> None:
    def denied() -> SSOToken:
        raise LoginDeniedError("person said no")

    later = StaticTokenProvider(SECRET, _in(600))
    chain = ChainTokenProvider([CallableTokenProvider(denied), later])
    with pytest.raises(LoginDeniedError):
        chain.get_token()


def test_chain_validates_its_providers() -> None:
    with pytest.raises(ConfigurationError, match="at least one"):
        ChainTokenProvider([])
    with pytest.raises(ConfigurationError, match=r"providers\[0\]"):
        ChainTokenProvider([object()])  # type: ignore[list-item]
