"""Every figure of docs/clients.md from one run (each part in a fresh process).

    /work/venv/bin/python benchmarks/run_all.py

1. median cost of a client-cache hit: ours (through SSORefreshableSession and ClientCache
   directly), boto3-refresh-session's, and an uncached boto3.Session.client() for scale;
2. peak RSS after creating 1,000 distinct clients with max_size=8 versus 16 distinct ones;
3. time to list roles across 200 emulated accounts with 50 ms latency: sequential vs fan-out.

Needs the ``benchmark`` extra (boto3-refresh-session) and the emulator (built in).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(script: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(HERE / script), "--json"], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("boto3", "botocore", "cachetools", "boto3-refresh-session")
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; {packages}"
    )

    print("\n1. Client cache hit, median per call (41 batches x 2,000 calls)")
    hits = _run("cache_hit.py")
    width = max(map(len, hits))
    for name, value in hits.items():
        print(f"   {name:<{width}}  {value:10.2f} µs")

    print("\n2. Peak RSS (ru_maxrss), each in a fresh process")
    memory = _run("memory.py")
    width = max(map(len, memory))
    for name, row in memory.items():
        assert isinstance(row, dict)
        print(
            f"   {name:<{width}}  {row['peak_mib']:7.1f} MiB  (built {row['misses']}, kept {row['size']})"
        )

    print("\n3. list_roles over 200 accounts, 50 ms added latency per ListAccountRoles")
    for name, seconds in _run("role_listing.py").items():
        print(f"   {name:<28} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
