"""list_assignments over 200 accounts x 6 permission sets, every admin API call taking 50 ms:
ours (bounded fan-out) and aws-sso-lib's (one call at a time), side by side.

Rounds are interleaved (ours, theirs, ours, theirs, ...) and the medians reported; each round
checks that both found the same assignments.

    python benchmarks/list_assignments.py [--json] [--accounts 200] [--latency 0.05] [--rounds 3]

Needs aws-sso-lib (the ``peers`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SSO_SESSION, isolate_home

ADMIN_OPERATIONS = (
    "ListInstances",
    "ListPermissionSets",
    "DescribePermissionSet",
    "ListPermissionSetsProvisionedToAccount",
    "ListAccountAssignments",
    "ListAccounts",
    "DescribeAccount",
    "ListRoots",
    "ListOrganizationalUnitsForParent",
    "ListAccountsForParent",
    "DescribeUser",
    "DescribeGroup",
)


def measure(accounts: int = 200, latency: float = 0.05, rounds: int = 3) -> dict[str, object]:
    isolate_home()
    import aws_sso_lib

    from refreshable_sso.admin.assignments import list_assignments
    from refreshable_sso.emulator import Emulator
    from refreshable_sso.emulator.assignments import GeneratedOrg
    from refreshable_sso.emulator.directory import Directory
    from refreshable_sso.session import SSORefreshableSession

    spec = GeneratedOrg(n_accounts=accounts, n_permission_sets=6)
    times: dict[str, list[float]] = {"refreshable_sso": [], "aws-sso-lib": []}
    with Emulator(auto_approve=True, directory=Directory.generated_organization(spec)) as emu:
        os.environ.update(emu.env())
        emu.seed_token_cache(sso_session_name=SSO_SESSION)
        session = SSORefreshableSession(
            start_url=emu.start_url,
            sso_region=emu.region,
            sso_session_name=SSO_SESSION,
            account_id=emu.default_account_id,
            role_name="AdministratorAccess",
            region_name=emu.region,
        )
        session.whoami()  # credentials fetched before timing
        for operation in ADMIN_OPERATIONS:
            emu.faults.set(operation, latency=latency)
        found: dict[str, int] = {}
        runners = {
            "refreshable_sso": lambda: {tuple(a) for a in list_assignments(session)},
            "aws-sso-lib": lambda: {tuple(a) for a in aws_sso_lib.list_assignments(session)},
        }
        for _ in range(rounds):
            results = {}
            for name, run in runners.items():
                started = time.perf_counter()
                results[name] = run()
                times[name].append(time.perf_counter() - started)
                found[name] = len(results[name])
            assert results["refreshable_sso"] == results["aws-sso-lib"], "different assignments"
    return {
        "accounts": accounts,
        "permission_sets": 6,
        "latency_s": latency,
        "rounds": rounds,
        "assignments": found["refreshable_sso"],
        "median_s": {name: statistics.median(t) for name, t in times.items()},
        "all_s": times,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.accounts, args.latency, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    medians = result["median_s"]
    assert isinstance(medians, dict)
    print(
        f"list_assignments: {result['accounts']} accounts x 6 permission sets, "
        f"{result['latency_s']}s per admin call, {result['assignments']} assignments, "
        f"median of {result['rounds']} interleaved rounds"
    )
    for name, seconds in medians.items():
        print(f"  {name:16s} {seconds:8.2f} s")
    print(f"  speed-up         {medians['aws-sso-lib'] / medians['refreshable_sso']:8.1f} x")


if __name__ == "__main__":
    main()
