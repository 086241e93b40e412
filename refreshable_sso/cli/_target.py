"""Which role the serving commands (credential-process, export, exec, serve) act for.

``--profile`` (an SSO profile of ``~/.aws/config``), or ``--sso-session`` / ``--start-url`` +
``--sso-region`` with ``--account-id`` and ``--role-name``. Light at import time (argparse
only): ``credential-process`` parses with it before anything heavy is loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from refreshable_sso.errors import ProfileError
from refreshable_sso.serving.documents import ServedCredentials
from refreshable_sso.serving.warm import CacheTarget, profile_target

if TYPE_CHECKING:
    from refreshable_sso.session import SSORefreshableSession


def add_target_arguments(parser: argparse.ArgumentParser, *, many_profiles: bool = False) -> None:
    """The target options, the refresh windows and ``--login``."""
    target = parser.add_argument_group("which role")
    if many_profiles:
        target.add_argument(
            "--profile",
            action="append",
            metavar="NAME",
            help="an SSO profile of ~/.aws/config (repeat to serve several roles)",
        )
    else:
        target.add_argument("--profile", metavar="NAME", help="an SSO profile of ~/.aws/config")
    target.add_argument("--sso-session", dest="sso_session", help="an [sso-session NAME]")
    target.add_argument("--start-url", dest="start_url", help="the IAM Identity Center start URL")
    target.add_argument("--sso-region", dest="sso_region", help="the region of IAM Identity Center")
    target.add_argument("--account-id", dest="account_id", help="the 12-digit account id")
    target.add_argument("--role-name", dest="role_name", help="the role (permission set) name")
    target.add_argument("--region", help="the AWS region to hand on (default: the profile's)")
    windows = parser.add_argument_group("refresh windows (default: the session defaults)")
    windows.add_argument(
        "--advisory-timeout",
        type=float,
        metavar="SECONDS",
        help="refresh credentials with less than this left (default 900)",
    )
    windows.add_argument(
        "--mandatory-timeout",
        type=float,
        metavar="SECONDS",
        help="never hand out credentials with less than this left (default 600)",
    )
    parser.add_argument(
        "--login",
        choices=("never", "auto"),
        default="never",
        help="'auto': sign in interactively when needed and a terminal is attached "
        "(default 'never': fail with a message naming the fix)",
    )


def _explicit(args: argparse.Namespace) -> bool:
    return bool(args.sso_session or args.start_url or args.sso_region)


def profile_names(args: argparse.Namespace) -> list[str]:
    """The profiles named (``$AWS_PROFILE`` or 'default' when no target is given at all)."""
    given = args.profile
    if isinstance(given, list):
        return given
    if given:
        return [given]
    if _explicit(args) or args.account_id or args.role_name:
        return []
    return [os.environ.get("AWS_PROFILE") or "default"]


def cache_target(args: argparse.Namespace) -> CacheTarget | None:
    """The role-credential cache entry, read without heavy imports; None if unsure."""
    names = profile_names(args)
    if names:
        if len(names) != 1 or _explicit(args) or args.account_id or args.role_name:
            return None
        return profile_target(names[0])
    if not args.account_id or not args.role_name:
        return None
    if args.sso_session:
        return CacheTarget(args.account_id, args.role_name, sso_session_name=args.sso_session)
    if args.start_url and args.sso_region:
        return CacheTarget(args.account_id, args.role_name, start_url=args.start_url)
    return None


def terminal_attached() -> bool:
    """A person could answer a login prompt (stdin or stderr is a terminal)."""
    return any(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stderr))


def session_options(args: argparse.Namespace) -> dict[str, Any]:
    """Windows and login policy for ``SSORefreshableSession``."""
    options: dict[str, Any] = {"login": "auto" if args.login == "auto" else "never"}
    if args.login == "auto" and not terminal_attached():
        options["login"] = "never"  # nobody could answer the prompt
    if args.advisory_timeout is not None:
        options["advisory_timeout"] = args.advisory_timeout
    if args.mandatory_timeout is not None:
        options["mandatory_timeout"] = args.mandatory_timeout
    return options


def build_sessions(args: argparse.Namespace, **overrides: Any) -> dict[str, SSORefreshableSession]:
    """Name -> session for every role named; roles of one sign-in share its token provider."""
    from refreshable_sso.session import SSORefreshableSession

    options = session_options(args)
    options.update(overrides)
    names = profile_names(args)
    if names:
        if _explicit(args) or args.account_id or args.role_name:
            raise ProfileError(
                "give either --profile, or --sso-session/--start-url/--sso-region with "
                "--account-id and --role-name, not both",
                ["--profile combined with an explicit target"],
            )
        sessions: dict[str, SSORefreshableSession] = {}
        for name in names:
            if args.region:
                options["region_name"] = args.region
            session = SSORefreshableSession.from_profile(name, **options)
            sibling = next(
                (
                    s
                    for s in sessions.values()
                    if (s.sso_config.start_url, s.sso_config.sso_session_name)
                    == (session.sso_config.start_url, session.sso_config.sso_session_name)
                ),
                None,
            )
            if sibling is not None:  # same sign-in: one token provider for both
                session = SSORefreshableSession.from_profile(
                    name, token_provider=sibling.token_provider, **options
                )
            sessions[name] = session
        return sessions
    from refreshable_sso.cli._sign_in import resolve_sign_in

    missing = [
        flag
        for flag, value in (("--account-id", args.account_id), ("--role-name", args.role_name))
        if not value
    ]
    if missing:
        raise ProfileError(
            f"say which role: --profile NAME, or --account-id and --role-name with the sign-in "
            f"(missing: {', '.join(missing)})",
            [f"missing {flag}" for flag in missing],
        )
    args.profile = None
    sign_in = resolve_sign_in(args)
    extra: dict[str, Any] = {"registration_scopes": sign_in.scopes} if sign_in.scopes else {}
    session = SSORefreshableSession(
        start_url=sign_in.start_url,
        sso_region=sign_in.sso_region,
        sso_session_name=sign_in.sso_session_name,
        account_id=args.account_id,
        role_name=args.role_name,
        region_name=args.region,
        **extra,
        **options,
    )
    return {args.role_name: session}


def build_session(args: argparse.Namespace, **overrides: Any) -> SSORefreshableSession:
    """The one session a command acts for."""
    sessions = build_sessions(args, **overrides)
    if len(sessions) != 1:
        raise ProfileError("this command takes one --profile", ["several --profile"])
    return next(iter(sessions.values()))


def fresh_credentials(session: SSORefreshableSession) -> ServedCredentials:
    """The session's credentials, refreshed first if inside the advisory window."""
    snapshot = session.ensure_valid_credentials()
    if snapshot.expiry_time is None:  # role credentials always expire; botocore says otherwise
        raise ProfileError("the role credentials came without an expiry", ["expiry"])
    return ServedCredentials(
        access_key_id=snapshot.access_key,
        secret_access_key=snapshot.secret_key,
        session_token=snapshot.token,
        expiration=snapshot.expiry_time,
        account_id=session.credentials_account_id,
    )
