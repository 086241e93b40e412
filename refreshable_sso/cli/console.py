"""``refreshable-sso console``: open the AWS console as a profile's role.

The sign-in URL is built by ``session.console_url()`` (the federation endpoint's
getSigninToken / login flow). It is a credential for about 15 minutes: it is printed only with
``--url-only`` (or when no browser can be opened).
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``console`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "console",
        help="open the AWS console as a profile's role",
        description=(
            "Sign in to the AWS console with the profile's SSO role credentials (the AWS "
            "federation endpoint of the region's partition; REFRESHABLE_SSO_FEDERATION_ENDPOINT "
            "overrides it) and open it in a browser."
        ),
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("AWS_PROFILE") or "default",
        help="SSO profile of ~/.aws/config (default: $AWS_PROFILE or 'default')",
    )
    parser.add_argument(
        "--url-only", action="store_true", help="print the sign-in URL instead of opening it"
    )
    parser.add_argument(
        "--destination",
        help="console page to open: a full URL or a path such as /s3/home (default: home)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        metavar="SECONDS",
        help="console session length, 900-43200 seconds (default: AWS chooses)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import webbrowser

    from refreshable_sso.session import SSORefreshableSession

    with SSORefreshableSession.from_profile(args.profile) as session:
        url = session.console_url(destination=args.destination, duration=args.duration)
        role = f"{session.sso_config.role_name} in {session.sso_config.account_id}"
    if args.url_only:
        print(url)
        return 0
    if webbrowser.open(url):
        print(f"Opened the AWS console as {role} (profile {args.profile}).")
        return 0
    print(f"No browser could be opened; open this URL (valid ~15 minutes) as {role}:")
    print(url)
    return 0
