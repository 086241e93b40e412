"""``refreshable-sso doctor`` (alias ``check``): find why a profile's credentials fail.

Prints one line per finding (OK / WARN / FAIL), its evidence and the exact fix; ``--json``
prints the same as one JSON document. Exit status 1 when any FAIL remains, else 0. Nothing
is changed unless ``--fix``, which prints each safe repair before applying it.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

_MARK = {"OK": "[ OK ]", "WARN": "[WARN]", "FAIL": "[FAIL]"}


def register(subparsers: Any) -> None:
    """Add the ``doctor`` command (and its alias ``check``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        aliases=["check"],
        help="diagnose a profile: config, tokens, caches, file modes, clock, endpoints",
        description=(
            "Check everything a profile's SSO credentials depend on and print each finding "
            "with its evidence and the exact fix. Only reads, unless --fix is given."
        ),
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("AWS_PROFILE") or "default",
        help="profile of ~/.aws/config (default: $AWS_PROFILE or 'default')",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes (migrate a legacy profile, chmod, move a token) after "
        "printing them",
    )
    parser.add_argument("--offline", action="store_true", help="skip the endpoint and clock checks")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from refreshable_sso import doctor

    if args.fix:
        if not args.json:
            before = doctor.check(args.profile, network=not args.offline)
            _print(before)
            print("\nApplying safe fixes:")
        report = doctor.fix(
            args.profile,
            network=not args.offline,
            announce=None if args.json else (lambda r: print(f"  - {r.description}")),
        )
        if not args.json:
            if not report.applied:
                print("  (none applicable)")
            print("\nAfter fixing:")
    else:
        report = doctor.check(args.profile, network=not args.offline)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report)
    return 1 if report.failed else 0


def _print(report: Any) -> None:
    print(f"Profile {report.profile}")
    for finding in report.findings:
        print(f"{_MARK[finding.status.value]} {finding.check}: {finding.summary}")
        for line in finding.evidence:
            print(f"       {line}")
        if finding.fix and finding.status.value != "OK":
            print(f"       fix: {finding.fix}")
    counts = report.counts()
    print(f"{counts['OK']} OK, {counts['WARN']} WARN, {counts['FAIL']} FAIL")
