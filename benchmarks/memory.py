"""Peak RSS after creating many distinct clients through a bounded cache, one fresh process each.

    python benchmarks/memory.py [--json]

Each scenario runs in its own subprocess (so peaks do not mix) and reports ``ru_maxrss``:
1,000 distinct clients with ``max_size=8`` must peak where 16 distinct ones do; an unbounded
cache holding all 1,000 is shown for contrast.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SCENARIOS = {
    "1,000 distinct clients, max_size=8": (1000, 8),
    "16 distinct clients, max_size=8": (16, 8),
    "1,000 distinct clients, max_size=1000 (unbounded, for contrast)": (1000, 1000),
}


def child(distinct: int, max_size: int) -> None:
    """Runs in the subprocess: build ``distinct`` clients through one cache, print peak RSS (MiB)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import isolate_home

    isolate_home()
    import resource

    import boto3

    from refreshable_sso.clients import ClientCache
    from refreshable_sso.config import CacheConfig

    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x"
    )
    cache = ClientCache(CacheConfig(eviction_policy="LRU", max_size=max_size))
    for i in range(distinct):  # distinct keys: the endpoint differs
        cache.client(
            session.client, "us-east-1", "s3", endpoint_url=f"http://127.0.0.1:{10000 + i}"
        )
    info = cache.info()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"peak_mib": peak_mib, "misses": info.misses, "size": info.size}))


def measure() -> dict[str, dict[str, float]]:
    results = {}
    for name, (distinct, max_size) in SCENARIOS.items():
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(distinct), str(max_size)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = measure()
    if args.json:
        print(json.dumps(results))
        return
    width = max(map(len, results))
    for name, row in results.items():
        print(
            f"{name:<{width}}  peak RSS {row['peak_mib']:7.1f} MiB  (built {row['misses']}, kept {row['size']})"
        )


if __name__ == "__main__":
    main()
