"""``refreshable-sso login``: sign in, store the token where the AWS CLI and boto3 find it,
and say whether a new sign-in session began (see ``cli/_sign_in.py`` for how the sign-in is
named). The login flows are imported inside the handler only, so ``--help`` stays light.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.cli._sign_in import (
    LOGIN_FLOW_ENV,
    SignIn,
    add_sign_in_arguments,
    resolve_sign_in,
)
from refreshable_sso.errors import LoginError, RefreshableSSOError


def register(subparsers: Any) -> None:
    """Add the ``login`` command."""
    login_parser: argparse.ArgumentParser = subparsers.add_parser(
        "login",
        help="sign in to IAM Identity Center (shared with `aws` and boto3)",
        description=(
            "Sign in to IAM Identity Center and store the token in ~/.aws/sso/cache, where "
            "the AWS CLI, boto3 and refreshable_sso sessions all find it. Opens a browser "
            "(authorization code + PKCE) where one can open, and uses a device code "
            f"elsewhere. Set {LOGIN_FLOW_ENV}=device to always use the device code."
        ),
    )
    add_sign_in_arguments(login_parser)
    login_parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser; print the URL and code to open elsewhere (device code)",
    )
    login_parser.add_argument(
        "--use-device-code",
        action="store_true",
        help="use the device-code flow even where a browser could open",
    )
    login_parser.add_argument(
        "--force", action="store_true", help="sign in even if the cached token is still valid"
    )
    login_parser.add_argument(
        "--new-session",
        action="store_true",
        help="end the current sign-in session first (sso:Logout), so this sign-in starts a new "
        "one with its full duration; without it, a sign-in in a browser that is still signed "
        "in to the AWS access portal joins that session and ends when it ends",
    )
    login_parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="give up after this many seconds (default 600)",
    )
    login_parser.add_argument(
        "--storage",
        choices=("file", "keyring"),
        help=(
            "where the refresh token and client secret live: the AWS CLI's files, or the OS "
            "keyring (remembered in the sso-session section as refreshable_sso_token_storage; "
            "default: what is remembered there, else file)"
        ),
    )
    login_parser.add_argument(
        "--export",
        choices=("short-lived", "none"),
        help=(
            "with keyring storage, what goes to the AWS CLI's token file: the access token alone "
            "(short-lived, the default) or nothing (none)"
        ),
    )
    login_parser.set_defaults(handler=_login)


def _cached_access_token(target: SignIn) -> str | None:
    """The access token in the cache file now (to tell a reused token from a new sign-in)."""
    import json

    from refreshable_sso.tokens.store import TokenCache

    path = TokenCache(target.start_url, target.sso_session_name).path
    try:  # read only: a corrupt file is login()'s to report and repair
        value = json.loads(path.read_text(encoding="utf-8")).get("accessToken")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _login(args: argparse.Namespace) -> int:
    from refreshable_sso.tokens.login.options import LoginOptions
    from refreshable_sso.tokens.login.signin import login

    target = resolve_sign_in(args)
    before = None if args.force or args.new_session else _cached_access_token(target)
    chosen: dict[str, Any] = {}
    if target.scopes:
        chosen["scopes"] = target.scopes
    if args.use_device_code:
        chosen["flow"] = "device"
    if args.new_session:
        chosen["new_session"] = True
    storage = args.storage or target.token_storage
    export = args.export or target.token_export
    options = LoginOptions(
        open_browser=not args.no_browser,
        timeout=args.timeout,
        token_storage=storage,
        token_export=export,
        **chosen,
    )
    started = _clock.now()
    try:
        token = login(
            target.start_url,
            target.sso_region,
            sso_session_name=target.sso_session_name,
            force=args.force,
            options=options,
        )
    except RefreshableSSOError as exc:
        rejected = _rejected_sign_in(exc, target)
        if rejected is None:
            raise
        raise rejected from exc
    who = target.sso_session_name or target.start_url
    until = token.expires_at.isoformat()
    if before is not None and token.access_token.get_secret_value() == before:
        print(
            f"Already signed in to {who}: reused the cached token, valid until {until} "
            "(--force signs in again)."
        )
    else:
        print(f"Signed in to {who}; the token is valid until {until}.")
        print(_session_line(target, token, started, args.new_session))
    if args.storage is not None or args.export is not None:
        _remember_storage(target, args.storage or storage or "file", export)
    return 0


def _remember_storage(target: SignIn, storage: str, export: str | None) -> None:
    """Record the storage choice in the sso-session section, where every tool of ours reads
    it (see ``refreshable_sso.tokens.migrate.remember_token_storage``)."""
    from refreshable_sso.profiles.editor import sso_session_section
    from refreshable_sso.tokens.migrate import remember_token_storage

    if target.sso_session_name is None:
        print(
            f"No sso-session section to remember --storage {storage} in: pass it to every "
            "session (token_storage=...) or sign in with --sso-session.",
            file=sys.stderr,
        )
        return
    path = remember_token_storage(
        target.sso_session_name,
        "keyring" if storage == "keyring" else "file",
        "none" if export == "none" else "short-lived",
    )
    if path is not None:
        section = sso_session_section(target.sso_session_name)
        print(f"Remembered token storage {storage!r} in [{section}] of {path}.")


def _session_line(target: SignIn, token: Any, started: datetime, new_session: bool) -> str:
    """Whether the sign-in started a new sign-in session or joined the live one (IAM
    Identity Center binds an approval to the browser's portal session)."""
    from refreshable_sso.tokens.store import TokenCache

    began = TokenCache(target.start_url, target.sso_session_name).signed_in_at(token)
    if began is not None and began >= started - timedelta(seconds=1):  # whole seconds
        how = " after ending the old one (sso:Logout)" if new_session else ""
        return f"Started a new sign-in session{how}: it lasts the full session duration."
    when = f" that began at {began.isoformat()}" if began is not None else ""
    return (
        f"This sign-in may have joined the sign-in session{when}, which keeps its end; "
        "--new-session starts a new one."
    )


_REJECTED_CODES = (
    "InvalidRequestException",
    "InvalidClientException",
    "UnauthorizedClientException",
)


def _rejected_sign_in(exc: BaseException, target: SignIn) -> LoginError | None:
    """IAM Identity Center refused the start URL or region: its reason and the likely fix."""
    from refreshable_sso.aws.clients import error_code, error_message

    cause: BaseException | None = exc
    while cause is not None and error_code(cause) is None:
        cause = cause.__cause__ or cause.__context__
    if cause is None or error_code(cause) not in _REJECTED_CODES:
        return None
    reason = error_message(cause) or str(cause)
    scheme = "" if target.start_url.startswith("https://") else "; a start URL begins with https://"
    return LoginError(
        f"IAM Identity Center (sso-oidc.{target.sso_region}) refused the sign-in: {reason} "
        f"({error_code(cause)}). Check the start URL {target.start_url!r} (your AWS access "
        f"portal URL, e.g. https://d-1234567890.awsapps.com/start) and the SSO region "
        f"{target.sso_region!r} (where IAM Identity Center is enabled){scheme}"
    )
