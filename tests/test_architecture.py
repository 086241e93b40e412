"""The import contracts in pyproject.toml hold, and they do catch what they forbid.

import-linter reads the package's source, not its behaviour, so these tests check the repository
rather than the library: they run once (marker ``repo``, tox env ``repo``), not on every
interpreter. The contracts themselves are described in pyproject.toml ([tool.importlinter]) and
in docs/architecture.md; ``lint-imports`` in the tox env ``lint`` checks them too.

The breaking tests copy the package into ``tmp_path``, add one import that a contract forbids,
and run ``lint-imports`` in the copy with the same configuration: it must fail and name the
broken contract. A control run on the unchanged copy shows the failure comes from the added line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.repo

ROOT = Path(__file__).resolve().parent.parent
FRONT_DOORS = "The library never imports the front doors"
NO_CYCLES = "No import cycle between sibling modules or packages"


def _lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with this interpreter, in ``cwd`` (its pyproject.toml and package).

    ``cwd`` comes first on ``sys.path`` (``python -c``), so the package analysed is the one in
    ``cwd``, not the installed one.
    """
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            *selected,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_of_the_package(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(
        ROOT / "refreshable_sso",
        copy / "refreshable_sso",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return copy


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_repository_keeps_every_import_contract() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_library_importing_the_cli_breaks_the_front_door_contract(tmp_path: Path) -> None:
    copy = _copy_of_the_package(tmp_path)
    control = _lint_imports(copy, "library-below-front-doors")
    assert control.returncode == 0, control.stdout + control.stderr

    _append(copy / "refreshable_sso" / "errors.py", "from refreshable_sso.cli import main")
    done = _lint_imports(copy, "library-below-front-doors")

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{FRONT_DOORS}: the CLI, the emulator, the pytest" in done.stdout
    assert "BROKEN" in done.stdout
    assert "refreshable_sso.errors -> refreshable_sso.cli.main" in done.stdout


def test_an_import_cycle_breaks_the_no_cycles_contract(tmp_path: Path) -> None:
    copy = _copy_of_the_package(tmp_path)
    # the emulator's cycle this contract made us break: entities <- directory, and back again
    cycle = "No cycles are allowed in refreshable_sso.emulator."
    control = _lint_imports(copy, "no-cycles")
    assert cycle not in control.stdout, control.stdout

    _append(
        copy / "refreshable_sso" / "emulator" / "entities.py",
        "from refreshable_sso.emulator import directory",
    )
    done = _lint_imports(copy, "no-cycles")

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{NO_CYCLES}, at any depth BROKEN" in done.stdout
    assert cycle in done.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    copy = _copy_of_the_package(tmp_path)
    control = _lint_imports(copy, "layers")
    assert control.returncode == 0, control.stdout + control.stderr

    # storage sits three layers below the session: a record store that knew the session would
    # make every new store (the keyring, encrypted storage) depend on it
    _append(
        copy / "refreshable_sso" / "storage" / "base.py",
        "from refreshable_sso.session import SSORefreshableSession",
    )
    done = _lint_imports(copy, "layers")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
    assert "refreshable_sso.storage.base -> refreshable_sso.session" in done.stdout
