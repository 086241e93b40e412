"""Functions worker processes run (importable by name: the spawn start method needs that)."""

from __future__ import annotations

import asyncio
import os
from typing import Any


def sync_whoami(session: Any) -> tuple[int, str]:
    """Runs in a worker: the session arrives pickled, is rebuilt, and calls STS."""
    return os.getpid(), str(session.whoami()["Account"])


def async_whoami(session: Any) -> tuple[int, str]:
    """The async session, rebuilt in a worker and used on that worker's own event loop."""

    async def main() -> str:
        async with session:
            identity = await session.whoami()
            return str(identity["Account"])

    return os.getpid(), asyncio.run(main())
