"""scripts/find-pythons (used by README command 2) and .ci/run, run for real with fake trees."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

ROOT = Path(__file__).resolve().parent.parent
MINOR = sys.version_info[1]
TOOLS = ("bash", "find", "sort", "dirname")


def _bare_path(tmp_path: Path) -> Path:
    """A bin folder with only the tools the script needs: no Python at all."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    return tools


def _find(tmp_path: Path, tools: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(tmp_path / "home"), "PATH": str(tools)}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [str(tools / "bash"), str(ROOT / "scripts" / "find-pythons")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pyenv_interpreters_are_found_and_missing_ones_named(tmp_path: Path) -> None:
    tools = _bare_path(tmp_path)
    version_bin = tmp_path / "home" / ".pyenv" / "versions" / f"3.{MINOR}.99" / "bin"
    version_bin.mkdir(parents=True)
    (version_bin / f"python3.{MINOR}").symlink_to(os.path.realpath(sys.executable))
    relaxed = _find(tmp_path, tools, ci=False)
    assert relaxed.returncode == 0, relaxed.stderr
    assert relaxed.stdout.strip().split(":")[0] == str(version_bin)
    missing = sorted({"3.10", "3.11", "3.12", "3.13"} - {f"3.{MINOR}"})
    assert f"NOT FOUND: Python {' '.join(missing)}" in relaxed.stderr
    strict = _find(tmp_path, tools, ci=True)
    assert strict.returncode == 1
    assert "CI=true" in strict.stderr


def test_a_shim_that_does_not_run_is_not_counted(tmp_path: Path) -> None:
    tools = _bare_path(tmp_path)
    shim = tools / f"python3.{MINOR}"
    shim.write_text("#!/bin/sh\necho 'pyenv: version not selected' >&2\nexit 127\n")
    shim.chmod(0o755)
    ran = _find(tmp_path, tools, ci=True)
    assert ran.returncode == 1
    assert f"3.{MINOR}" in ran.stderr.split("NOT FOUND:")[1]


def _fake_pyenv(root: Path) -> dict[int, Path]:
    """A pyenv at ROOT as pyenv lays it out: versions/3.1x.5/bin/python3.1x for 3.10-3.13 (this
    interpreter for its own minor, a stub that passes the version check for the others, and an
    older 3.1x.1 beside each) and shims/python3.1x scripts naming ROOT, of which only the one
    of this interpreter's version is selected; the others fail as pyenv's do."""
    bins: dict[int, Path] = {}
    (root / "shims").mkdir(parents=True)
    for minor in (10, 11, 12, 13):
        for patch in (1, 5):
            version_bin = root / "versions" / f"3.{minor}.{patch}" / "bin"
            version_bin.mkdir(parents=True)
            python = version_bin / f"python3.{minor}"
            if minor == MINOR:
                python.symlink_to(os.path.realpath(sys.executable))
            else:
                python.write_text(f'#!/bin/sh\n# stands in for Python 3.{minor}\n[ "$1" = -c ]\n')
                python.chmod(0o755)
        bins[minor] = root / "versions" / f"3.{minor}.5" / "bin"
        selected = (
            f'exec "{bins[minor]}/python3.{minor}" "$@"'
            if minor == MINOR
            else f"echo 'pyenv: python3.{minor}: command not found' >&2; exit 127"
        )
        shim = root / "shims" / f"python3.{minor}"
        shim.write_text(
            f'#!/usr/bin/env bash\nset -e\nprogram="${{0##*/}}"\n\nexport PYENV_ROOT="{root}"\n'
            f"{selected}\n"
        )
        shim.chmod(0o755)
    return bins


def _find_with(path: str, home: Path) -> subprocess.CompletedProcess[str]:
    """find-pythons with HOME=home, PYENV_ROOT unset, CI=true and exactly this PATH."""
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "find-pythons")],
        env={"HOME": str(home), "PATH": path, "CI": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_pyenv_of_the_shims_on_path_is_found_whatever_home_says(tmp_path: Path) -> None:
    tools = _bare_path(tmp_path)
    bins = _fake_pyenv(tmp_path / "elsewhere" / "pyenv")
    home = tmp_path / "empty-home"
    home.mkdir()
    ran = _find_with(f"{tools}:{tmp_path / 'elsewhere' / 'pyenv' / 'shims'}", home)
    assert ran.returncode == 0, ran.stderr
    for minor, version_bin in bins.items():
        assert f"python3.{minor}: {version_bin}/python3.{minor}\n" in ran.stderr
    assert ran.stdout.strip().split(":")[:4] == [str(bins[m]) for m in (10, 11, 12, 13)]


def test_shims_reached_through_a_link_of_another_name_name_their_root(tmp_path: Path) -> None:
    tools = _bare_path(tmp_path)
    root = tmp_path / "elsewhere" / "pyenv"
    bins = _fake_pyenv(root)
    link = tmp_path / "bin-of-another-name"
    link.symlink_to(root / "shims")
    home = tmp_path / "empty-home"
    home.mkdir()
    ran = _find_with(f"{tools}:{link}", home)
    assert ran.returncode == 0, ran.stderr
    for minor, version_bin in bins.items():
        assert f"python3.{minor}: {version_bin}/python3.{minor}\n" in ran.stderr


def test_every_supported_python_of_this_machine_is_found_when_installed() -> None:
    ran = subprocess.run(
        ["bash", str(ROOT / "scripts" / "find-pythons")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    found = re.findall(r"python3\.(\d+): (\S+)", ran.stderr)
    for minor, path in found:
        version = subprocess.run(
            [path, "-c", "import sys; print(sys.version_info[1])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert version == minor


def _readme_command_2() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    return commands[1]


def test_ci_runs_exactly_readme_command_2() -> None:
    command = _readme_command_2()
    assert "sudo" not in command
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert run[-1] == command
    code = [line for line in run if line and not line.startswith("#")]
    assert code == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', command]


def test_the_scripts_parse() -> None:
    for script in ("scripts/bootstrap", "scripts/find-pythons", ".ci/run"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True, timeout=30)
