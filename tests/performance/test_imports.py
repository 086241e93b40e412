"""What ``import refreshable_sso``, a session's first request and the pytest plugin import.

Each check runs in a fresh interpreter and looks at ``sys.modules``: the heavy or interactive
parts (http.server, webbrowser, the emulator, the login flows, discovery) load only when used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from refreshable_sso.emulator import Emulator
from tests.session.conftest import SSO_SESSION

# Never on the path of `import refreshable_sso` or of a session's first request.
NOT_ON_THE_PATH = (
    "http.server",
    "webbrowser",
    "refreshable_sso.emulator",
    "refreshable_sso.tokens.login.signin",
    "refreshable_sso.tokens.login.policy",
    "refreshable_sso.tokens.login.pkce",
    "refreshable_sso.tokens.login.device",
    "refreshable_sso.tokens.login.interactive",
    "refreshable_sso.discovery",
)


def imported_after(
    code: str, watched: tuple[str, ...], env: dict[str, str] | None = None
) -> list[str]:
    """Run ``code`` in a new interpreter (stdin not a terminal); the watched modules it loaded."""
    probe = code + textwrap.dedent(
        f"""
        import json as _json, sys as _sys
        print(_json.dumps([name for name in {list(watched)!r} if name in _sys.modules]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_import_refreshable_sso_loads_nothing_heavy() -> None:
    watched = (*NOT_ON_THE_PATH, "boto3", "botocore", "pydantic", "refreshable_sso.session")
    assert imported_after("import refreshable_sso\n", watched) == []


def test_the_watch_list_is_real() -> None:
    """The probe does see these modules once they are used (so the tests above can fail)."""
    code = "import refreshable_sso\nrefreshable_sso.login\nrefreshable_sso.list_accounts\n"
    loaded = imported_after(code, NOT_ON_THE_PATH)
    assert "refreshable_sso.tokens.login.signin" in loaded
    assert "refreshable_sso.discovery" in loaded
    assert "http.server" in loaded


def test_first_request_loads_no_login_flow_discovery_or_emulator(sso_emulator: Emulator) -> None:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    code = textwrap.dedent(
        f"""
        from refreshable_sso import SSORefreshableSession
        session = SSORefreshableSession(
            start_url={sso_emulator.start_url!r}, sso_region={sso_emulator.region!r},
            sso_session_name={SSO_SESSION!r}, account_id={sso_emulator.default_account_id!r},
            role_name={sso_emulator.default_role_name!r}, region_name="eu-west-1",
            endpoints={{"sso": {sso_emulator.url!r}, "sts": {sso_emulator.url!r}}},
        )
        assert session.client("sts").get_caller_identity()["Account"]
        """
    )
    env = {**os.environ, **sso_emulator.env()}  # the sts client of client("sts") goes there too
    assert imported_after(code, NOT_ON_THE_PATH, env=env) == []
    assert sso_emulator.calls("GetCallerIdentity") == 1


def test_plugin_imports_neither_emulator_nor_botocore_nor_boto3() -> None:
    watched = ("refreshable_sso.emulator", "botocore", "boto3", "pydantic", "http.server")
    assert imported_after("import refreshable_sso.pytest_plugin\n", watched) == []


def test_plugin_fixtures_import_the_emulator_when_first_used(tmp_path: Path) -> None:
    """In a user's project: a test without the fixtures runs with nothing loaded, then one uses them."""
    (tmp_path / "test_user_project.py").write_text(
        textwrap.dedent(
            """
            import sys

            HEAVY = ("refreshable_sso.emulator", "botocore", "boto3")

            def test_before_any_fixture():
                assert "refreshable_sso.pytest_plugin" in sys.modules
                assert [name for name in HEAVY if name in sys.modules] == []

            def test_with_the_fixture(sso_emulator):
                assert sso_emulator.running
                assert "refreshable_sso.emulator" in sys.modules
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user_project.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
