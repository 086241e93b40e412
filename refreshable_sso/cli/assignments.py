"""``refreshable-sso assignments``: every assignment of the instance, via the admin APIs.

The admin role is an SSO profile (``--profile`` with ``sso_account_id``/``sso_role_name``) or a
sign-in plus ``--account-id`` and ``--role-name``. Filters mirror ``list_assignments``'
specifications; rows stream as they arrive, ``--json`` prints one array at the end and
``--csv`` a header and one line per assignment. Nothing here logs in.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from refreshable_sso.cli._sign_in import add_sign_in_arguments, resolve_sign_in
from refreshable_sso.errors import ConfigurationError


def register(subparsers: Any) -> None:
    """Add the ``assignments`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "assignments",
        help="list every assignment (principal x permission set x account) via the admin APIs",
        description=(
            "List IAM Identity Center assignments with an administrative role's credentials "
            "(sso-admin, organizations, identitystore)."
        ),
    )
    add_sign_in_arguments(parser)
    role = parser.add_argument_group("admin role (unless --profile names one)")
    role.add_argument("--account-id", dest="account_id", help="account of the admin role")
    role.add_argument("--role-name", dest="role_name", help="the admin permission set's name")
    chosen = parser.add_argument_group("filters (repeat each for several)")
    chosen.add_argument(
        "--principal",
        action="append",
        metavar="[USER:|GROUP:]ID",
        help="a principal id, optionally with its type",
    )
    chosen.add_argument(
        "--permission-set", action="append", metavar="ARN|ps-ID", help="a permission set"
    )
    chosen.add_argument(
        "--target", action="append", metavar="ACCOUNT|OU", help="an account, OU or root id"
    )
    chosen.add_argument(
        "--ou-recursive", action="store_true", help="include accounts in child OUs of OU targets"
    )
    parser.add_argument(
        "--names", action="store_true", help="look up principal and permission set names"
    )
    parser.add_argument(
        "--max-workers", type=int, default=8, metavar="N", help="concurrent calls (default 8)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON array")
    output.add_argument("--csv", action="store_true", help="print CSV with a header line")
    parser.set_defaults(handler=_assignments)


def _principal(text: str) -> str | tuple[str, str]:
    kind, sep, ident = text.partition(":")
    if sep and kind.upper() in ("USER", "GROUP"):
        return (kind.upper(), ident)
    return text


def _session(args: argparse.Namespace) -> Any:
    from refreshable_sso.session import SSORefreshableSession

    if args.profile:
        if args.account_id or args.role_name:
            raise ConfigurationError(
                "--profile names the admin role itself; drop --account-id/--role-name",
                ["--profile combined with --account-id/--role-name"],
            )
        return SSORefreshableSession.from_profile(args.profile, login="never")
    sign_in = resolve_sign_in(args)
    missing = [
        f for f, v in (("--account-id", args.account_id), ("--role-name", args.role_name)) if not v
    ]
    if missing:
        raise ConfigurationError(
            f"{' and '.join(missing)} required: name the administrative role to list with "
            "(or pass --profile)",
            [f"{m}: missing" for m in missing],
        )
    return SSORefreshableSession(
        start_url=sign_in.start_url,
        sso_region=sign_in.sso_region,
        sso_session_name=sign_in.sso_session_name,
        account_id=args.account_id,
        role_name=args.role_name,
        region_name=sign_in.sso_region,  # the admin APIs live in the instance's region
        login="never",
    )


def _assignments(args: argparse.Namespace) -> int:
    from refreshable_sso.admin.assignments import Assignment, list_assignments

    rows = list_assignments(
        _session(args),
        principal=[_principal(p) for p in args.principal] if args.principal else None,
        permission_set=args.permission_set,
        target=args.target,
        ou_recursive=args.ou_recursive,
        get_principal_names=args.names,
        get_permission_set_names=args.names,
        max_workers=args.max_workers,
    )
    if args.json:
        json.dump([row._asdict() for row in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(Assignment._fields)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    else:
        for row in rows:
            principal = row.principal_name or row.principal_id
            permission_set = row.permission_set_name or row.permission_set_arn
            account = f"{row.target_id}" + (f" ({row.target_name})" if row.target_name else "")
            print(f"{row.principal_type} {principal}  {permission_set}  {account}", flush=True)
    return 0
