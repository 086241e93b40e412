"""Time to list every role across 200 emulated accounts whose ListAccountRoles takes 50 ms:
one account at a time versus our bounded fan-out.

    python benchmarks/role_listing.py [--json] [--accounts 200] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SSO_SESSION, isolate_home


def measure(accounts: int = 200, latency: float = 0.05) -> dict[str, float]:
    isolate_home()
    from refreshable_sso import discovery
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.emulator.directory import Directory
    from refreshable_sso.tokens.cached import CachedTokenProvider

    results: dict[str, float] = {}
    with Emulator(auto_approve=True, directory=Directory.generated(accounts)) as emu:
        emu.seed_token_cache(sso_session_name=SSO_SESSION)
        provider = CachedTokenProvider(
            emu.start_url, emu.region, sso_session_name=SSO_SESSION, oidc_endpoint_url=emu.url
        )
        emu.faults.set("ListAccountRoles", latency=latency)
        expected = accounts * 2
        for workers in (1, 8, 16):
            started = time.perf_counter()
            roles = list(
                discovery.list_roles(
                    provider, emu.region, max_workers=workers, sso_endpoint_url=emu.url
                )
            )
            elapsed = time.perf_counter() - started
            assert len(roles) == expected, (len(roles), expected)
            label = (
                "sequential (max_workers=1)" if workers == 1 else f"fan-out max_workers={workers}"
            )
            results[label] = elapsed
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    results = measure(args.accounts, args.latency)
    if args.json:
        print(json.dumps(results))
        return
    print(
        f"list_roles over {args.accounts} accounts, {args.latency * 1000:.0f} ms per ListAccountRoles:"
    )
    for name, seconds in results.items():
        print(f"  {name:<28} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
