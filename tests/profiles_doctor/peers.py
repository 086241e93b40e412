"""Virtual environments for the real peer tools (AWS CLI, aws-sso-util), made once and reused.

Each peer gets its own venv: the AWS CLI pins botocore exactly, which would fight our own
pins. They live under the system temp directory, keyed by the package spec, so a second test
run does not install again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock


def peer_venv(*packages: str) -> Path:
    """The ``bin`` directory of a venv with ``packages`` installed (made on first use)."""
    key = hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / "refreshable-sso-peers" / f"{packages[0]}-{key}"
    root.parent.mkdir(parents=True, exist_ok=True)
    ready = root / ".ready"
    with FileLock(str(root) + ".lock", timeout=900):
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            proc = subprocess.run(
                [str(root / "bin" / "pip"), "install", "-q", *packages],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if proc.returncode != 0:
                pytest.fail(f"pip install {' '.join(packages)} failed:\n{proc.stderr[-3000:]}")
            ready.write_text("ok\n")
    return root / "bin"


def clean_env(
    home: Path, config: Path, extra: dict[str, str], path_dirs: list[Path]
) -> dict[str, str]:
    """The test's environment for a peer process: its HOME and config, no outside AWS_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        PATH=os.pathsep.join([*(str(p) for p in path_dirs), env.get("PATH", "")]),
    )
    return env
