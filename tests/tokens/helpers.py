"""Helpers for the token tests: age a cached token, read the emulator's refresh counts."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SSO_SESSION = "dev"


def cache_time(seconds_from_now: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def age_token(
    path: Path, *, seconds_left: float, written_ago: float = 3000.0, **changes: Any
) -> dict[str, Any]:
    """Make the cached token look like one issued ``written_ago`` seconds ago that has
    ``seconds_left`` seconds to live (as an hour-old token near expiry looks). ``changes``
    set keys (a value of None removes the key). Returns the new file content."""
    data: dict[str, Any] = json.loads(path.read_text())
    data["expiresAt"] = cache_time(seconds_left)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data))
    then = time.time() - written_ago
    os.utime(path, (then, then))
    return data


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def refresh_calls(emu: Any) -> int:
    """CreateToken calls the emulator answered (tests sign in directly, so all are refreshes)."""
    count: int = emu.calls("CreateToken")
    return count
