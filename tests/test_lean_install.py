"""The library's own install (no extras) is enough for the library, and the rest says what to add.

A fresh virtual environment per run would take a minute and the network; instead each check runs
in a subprocess whose ``sitecustomize`` puts a finder first on ``sys.meta_path`` that refuses the
extras' packages (rich, argcomplete, configupdater, pyotp) as if they were not installed. The
session talks to a real emulator started here, in the test's own process, where pyotp is there.
Marked ``repo``: it checks the packaging rather than behaviour, so it runs once (tox env ``repo``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator

pytestmark = pytest.mark.repo

EXTRAS_PACKAGES = ("rich", "argcomplete", "configupdater", "pyotp")

SITECUSTOMIZE = f"""
import sys

REFUSED = {EXTRAS_PACKAGES!r}


class RefuseExtras:
    \"\"\"Behave as if the extras' packages were not installed.\"\"\"

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, RefuseExtras())
"""

# Every module of the library, imported one by one: the front doors (cli, emulator, the pytest
# plugin), the config editor (the 'cli' extra; also under its old path, configfile) and the async
# session (the 'aio' extra) aside.
IMPORT_THE_LIBRARY = """
import importlib, pkgutil, sys
import refreshable_sso

aside = ("refreshable_sso.cli", "refreshable_sso.emulator", "refreshable_sso.pytest_plugin",
         "refreshable_sso.profiles.editor", "refreshable_sso.configfile", "refreshable_sso.aio")
names = [m.name for m in pkgutil.walk_packages(refreshable_sso.__path__, "refreshable_sso.")
         if not m.name.startswith(aside)]
for name in names:
    importlib.import_module(name)
assert len(names) > 50, names
leaked = [m for m in sys.modules if m.partition(".")[0] in REFUSED_NAMES]
print(len(names), "modules", leaked)
"""

USE_A_SESSION = """
import os
from refreshable_sso import SSORefreshableSession

url = os.environ["EMULATOR_URL"]
session = SSORefreshableSession(
    start_url=os.environ["EMULATOR_START_URL"],
    sso_region=os.environ["EMULATOR_REGION"],
    sso_session_name="corp",
    account_id=os.environ["EMULATOR_ACCOUNT"],
    role_name=os.environ["EMULATOR_ROLE"],
    region_name="eu-west-1",
    endpoints={"sso": url, "sso_oidc": url, "sts": url},
)
print(session.client("sts", endpoint_url=url).get_caller_identity()["Account"])
"""

MISSING_EXTRA = """
from refreshable_sso.errors import MissingDependencyError

for module, extra in (
    ("refreshable_sso.profiles.editor", "cli"),
    ("refreshable_sso.configfile", "cli"),  # its old path, an alias of the same module
    ("refreshable_sso.emulator", "emulator"),
):
    try:
        __import__(module)
    except MissingDependencyError as exc:
        assert exc.extra == extra, (module, exc.extra)
        assert isinstance(exc, ImportError)
        print(exc)
    else:
        raise AssertionError(module + " imported without its extra")
"""


def _blocked(
    tmp_path: Path, argv: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        argv,
        env={**os.environ, "PYTHONPATH": path, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_library_works_without_any_extra_and_the_tools_name_theirs(
    tmp_path: Path, sso_emulator: Emulator
) -> None:
    python = sys.executable

    # the blocker works: the extras' packages are gone in there, and only in there
    done = _blocked(tmp_path, [python, "-c", "import rich"])
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'rich'" in done.stderr

    # every library module imports, and none of them pulls an extra's package in
    code = f"REFUSED_NAMES = {EXTRAS_PACKAGES!r}\n" + textwrap.dedent(IMPORT_THE_LIBRARY)
    done = _blocked(tmp_path, [python, "-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("modules []"), done.stdout

    # a session signs in from the shared token cache and calls STS over real HTTP
    sso_emulator.seed_token_cache(sso_session_name="corp")
    emulator_env = {
        "EMULATOR_URL": sso_emulator.url,
        "EMULATOR_START_URL": sso_emulator.start_url,
        "EMULATOR_REGION": sso_emulator.region,
        "EMULATOR_ACCOUNT": sso_emulator.default_account_id,
        "EMULATOR_ROLE": sso_emulator.default_role_name,
    }
    done = _blocked(tmp_path, [python, "-c", USE_A_SESSION], emulator_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sso_emulator.default_account_id

    # the config editor and the emulator raise one error that names their extra
    done = _blocked(tmp_path, [python, "-c", MISSING_EXTRA])
    assert done.returncode == 0, done.stderr
    assert "pip install 'refreshable-sso[cli]'" in done.stdout
    assert "pip install 'refreshable-sso[emulator]'" in done.stdout

    # the console script: one line, no traceback, whatever the command
    script = Path(sys.executable).with_name("refreshable-sso")
    assert script.exists(), script
    for argv in (["whoami"], ["--help"], ["credential-process", "--profile", "dev"]):
        done = _blocked(tmp_path, [str(script), *argv])
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        assert done.stdout == ""
        assert done.stderr == (
            "refreshable-sso: the command line needs the 'cli' extra (rich, argcomplete, "
            "configupdater missing): pip install 'refreshable-sso[cli]'\n"
        ), argv

    # python -m refreshable_sso.emulator: the package itself imports the emulator, so Python
    # prints the import's traceback; its last line names the extra
    done = _blocked(tmp_path, [python, "-m", "refreshable_sso.emulator", "--port", "0"])
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "refreshable_sso.errors.MissingDependencyError: The emulator needs the pyotp package, "
        "which comes with the 'emulator' extra: pip install 'refreshable-sso[emulator]'"
    )
