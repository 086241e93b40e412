"""The keyring tests: a real Secret Service (gnome-keyring in a private D-Bus session).

Tests marked ``keyring`` run only with ``REFRESHABLE_SSO_KEYRING_TESTS=1``, which
``scripts/run-keyring-tests`` sets after starting and unlocking gnome-keyring-daemon inside
``dbus-run-session`` (a pytest process cannot start a D-Bus session around itself). Without it
they are skipped, with a reason that names the script: never passed without having run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENABLE = "REFRESHABLE_SSO_KEYRING_TESTS"
SKIP_REASON = (
    f"needs a real, unlocked Secret Service: run scripts/run-keyring-tests (sets {ENABLE}=1 "
    "inside dbus-run-session with gnome-keyring-daemon)"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``keyring`` tests unless the script started a Secret Service for them."""
    if os.environ.get(ENABLE) == "1":
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("keyring") is not None:
            item.add_marker(skip)


@pytest.fixture
def secret_service() -> None:
    """The real Secret Service backend, checked to be the one ``keyring`` uses."""
    keyring = pytest.importorskip("keyring")
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", backend


def files_containing(root: Path, secrets: set[str]) -> dict[str, list[str]]:
    """Every file under ``root`` holding one of ``secrets``: {path: [which secrets' first 6]}."""
    found: dict[str, list[str]] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            text = path.read_bytes()
            hits = [s[:6] for s in secrets if s and s.encode() in text]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found
