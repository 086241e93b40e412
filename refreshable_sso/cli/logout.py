"""``refreshable-sso logout``: end one sign-in on the server (``sso:Logout``) and remove its
cached token and role credentials, leaving other sign-ins alone.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from refreshable_sso.cli._progress import waiting
from refreshable_sso.cli._sign_in import add_sign_in_arguments, resolve_sign_in


def register(subparsers: Any) -> None:
    """Add the ``logout`` command."""
    logout_parser: argparse.ArgumentParser = subparsers.add_parser(
        "logout",
        help="sign out and remove this sign-in's cached token and role credentials",
        description=(
            "Sign out of one IAM Identity Center sign-in (sso:Logout) and remove its token "
            "from ~/.aws/sso/cache and its role credentials from ~/.aws/cli/cache. Other "
            "sign-ins are left alone."
        ),
    )
    add_sign_in_arguments(logout_parser)
    logout_parser.set_defaults(handler=_logout)


def _logout(args: argparse.Namespace) -> int:
    from refreshable_sso.tokens.login.options import LoginOptions
    from refreshable_sso.tokens.login.signin import logout
    from refreshable_sso.tokens.store import TokenCache

    target = resolve_sign_in(args)
    had_token = TokenCache(target.start_url, target.sso_session_name).path.exists()
    # the remembered storage: a keyring sign-in's entry goes too
    options = LoginOptions(token_storage=target.token_storage)
    with waiting(f"IAM Identity Center (sso.{target.sso_region})"):
        result = logout(
            target.start_url,
            target.sso_region,
            sso_session_name=target.sso_session_name,
            options=options,
        )
    who = target.sso_session_name or target.start_url
    if result.signed_out:
        state = "signed out"
    elif not had_token:
        state = "not signed in (no cached token), nothing to end on the server"
    else:
        state = "removed local credentials; the server did not end the sign-in (see -v)"
    print(f"{who}: {state}; removed {len(result.removed)} cached file(s).")
    for path in result.removed:
        print(f"  {path}", file=sys.stdout)
    return 0
