"""``refreshable-sso whoami``: show who a profile's SSO role credentials are (sts:GetCallerIdentity)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.cli._progress import waiting


def register(subparsers: Any) -> None:
    """Add the ``whoami`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "whoami",
        help="show the identity of a profile's SSO role credentials",
        description=(
            "Fetch the profile's SSO role credentials (through the shared AWS CLI caches) and "
            "call sts:GetCallerIdentity with them. Honours AWS_ENDPOINT_URL_SSO/_SSO_OIDC/_STS."
        ),
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("AWS_PROFILE") or "default",
        help="SSO profile of ~/.aws/config (default: $AWS_PROFILE or 'default')",
    )
    parser.add_argument("--json", action="store_true", help="print the identity as JSON")
    parser.add_argument(
        "--no-credential-cache",
        action="store_true",
        help="do not read or write the AWS CLI role credential cache (~/.aws/cli/cache)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the identity; library errors (login required, bad profile) are reported by main."""
    from refreshable_sso.session import SSORefreshableSession

    with SSORefreshableSession.from_profile(
        args.profile, cache_credentials=not args.no_credential_cache
    ) as session:
        with waiting(f"IAM Identity Center (sso.{session.sso_config.sso_region}) and STS"):
            identity = session.whoami()
        expiry = session.credentials_expiration
    if args.json:
        document = dict(identity)
        document["CredentialsExpiration"] = expiry.isoformat() if expiry else None
        print(json.dumps(document, indent=2))
        return 0
    left = f" (in {int((expiry - _clock.now()).total_seconds())} s)" if expiry else ""
    print(f"Profile:     {args.profile}")
    print(f"Account:     {identity['Account']}")
    print(f"Role:        {identity['role_name']} ({identity['iam_role_name']})")
    print(f"User:        {identity['user_name']}")
    print(f"Arn:         {identity['Arn']}")
    print(f"UserId:      {identity['UserId']}")
    print(f"Expires:     {expiry.isoformat() if expiry else 'unknown'}{left}")
    return 0
