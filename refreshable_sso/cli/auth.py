"""``refreshable-sso login`` and ``refreshable-sso logout``.

The sign-in is named by a profile (``--profile``, an sso-session or legacy SSO profile of
``~/.aws/config``), by an sso-session (``--sso-session``, read from the config file unless
``--start-url``/``--sso-region`` are also given), or by ``--start-url`` and ``--sso-region``
alone (a legacy, start-URL keyed cache entry). With none of these, ``$AWS_PROFILE`` and then the
``default`` profile name it, as for ``aws sso login``. Endpoints follow
``AWS_ENDPOINT_URL_SSO`` / ``AWS_ENDPOINT_URL_SSO_OIDC`` like every other part of the library.
botocore, the profile reader and the login flows are imported inside the handlers only.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.cli._progress import waiting
from refreshable_sso.errors import LoginError, ProfileError, RefreshableSSOError

# refreshable_sso.tokens.interactive.LOGIN_FLOW_ENV, named here so --help imports no botocore
LOGIN_FLOW_ENV = "REFRESHABLE_SSO_LOGIN_FLOW"


@dataclass(frozen=True)
class SignIn:
    """Which sign-in a command acts on."""

    start_url: str
    sso_region: str
    sso_session_name: str | None
    scopes: tuple[str, ...] | None = None
    #: ``refreshable_sso_token_storage`` / ``_token_export`` of its sso-session section
    token_storage: str | None = None
    token_export: str | None = None


def add_sign_in_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profile`` / ``--sso-session`` / ``--start-url`` / ``--sso-region`` (see resolve_sign_in)."""
    target = parser.add_argument_group("which sign-in")
    target.add_argument(
        "--profile",
        help="an SSO profile of ~/.aws/config (default: $AWS_PROFILE, then 'default', when "
        "no --sso-session/--start-url is given)",
    )
    target.add_argument(
        "--sso-session", dest="sso_session", help="an [sso-session NAME] of ~/.aws/config"
    )
    target.add_argument("--start-url", dest="start_url", help="the IAM Identity Center start URL")
    target.add_argument("--sso-region", dest="sso_region", help="the region of IAM Identity Center")


def register(subparsers: Any) -> None:
    """Add the ``login`` and ``logout`` commands."""
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


def _config_sessions() -> dict[str, dict[str, Any]]:
    from botocore.configloader import load_config
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    from refreshable_sso.profiles import config_file_path

    path = config_file_path()
    try:
        config = load_config(str(path))
    except ConfigNotFound:
        return {}
    except ConfigParseError as exc:
        raise ProfileError(
            f"{path} is not a valid INI file ({exc})", [f"{path}: not a valid INI file"]
        ) from exc
    sessions: dict[str, dict[str, Any]] = config.get("sso_sessions", {})
    return sessions


def resolve_sign_in(args: argparse.Namespace) -> SignIn:
    """The sign-in named on the command line; ``ProfileError`` says what is missing."""
    from refreshable_sso.profiles import config_file_path, load_sso_profile

    if not (args.profile or args.start_url or args.sso_region or args.sso_session):
        implied = _implied_profile()
        if implied is not None:
            profile = load_sso_profile(implied)
            return SignIn(
                profile.start_url,
                profile.sso_region,
                profile.sso_session_name,
                profile.registration_scopes,
                profile.token_storage,
                profile.token_export,
            )
    if args.profile:
        if args.start_url or args.sso_region or args.sso_session:
            raise ProfileError(
                "give either --profile, or --start-url/--sso-region/--sso-session, not both",
                ["--profile combined with --start-url/--sso-region/--sso-session"],
            )
        profile = load_sso_profile(args.profile)
        return SignIn(
            profile.start_url,
            profile.sso_region,
            profile.sso_session_name,
            profile.registration_scopes,
            profile.token_storage,
            profile.token_export,
        )
    start_url, region, session = args.start_url, args.sso_region, args.sso_session
    scopes: tuple[str, ...] | None = None
    storage: dict[str, str | None] = {}
    if session:
        from refreshable_sso.profiles import TOKEN_EXPORT_KEY, TOKEN_STORAGE_KEY

        remembered = _config_sessions().get(session) or {}
        for key, name in ((TOKEN_STORAGE_KEY, "token_storage"), (TOKEN_EXPORT_KEY, "token_export")):
            storage[name] = str(remembered.get(key, "")).strip() or None
    if session and not (start_url and region):
        sessions = _config_sessions()
        section = sessions.get(session)
        if section is None:
            raise ProfileError(
                f"sso-session {session!r} is not in {config_file_path()}; add an "
                f"[sso-session {session}] section, or pass --start-url and --sso-region",
                [f"[sso-session {session}]: section not found"],
            )
        start_url = start_url or str(section.get("sso_start_url", "")).strip() or None
        region = region or str(section.get("sso_region", "")).strip() or None
        raw_scopes = str(section.get("sso_registration_scopes", "")).strip()
        if raw_scopes:
            scopes = tuple(part.strip() for part in raw_scopes.split(",") if part.strip())
    missing = [
        flag for flag, value in (("--start-url", start_url), ("--sso-region", region)) if not value
    ]
    if missing:
        raise ProfileError(
            "say which sign-in: --profile NAME, --sso-session NAME (from ~/.aws/config), or "
            f"--start-url and --sso-region (missing: {', '.join(missing)})",
            [f"missing {flag}" for flag in missing],
        )
    return SignIn(str(start_url), str(region), session, scopes, **storage)


def _implied_profile() -> str | None:
    """``$AWS_PROFILE``, else ``default`` if the config file has it (as ``aws sso login``)."""
    named = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    if named:
        return named
    from botocore.configloader import load_config
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    from refreshable_sso.profiles import config_file_path

    try:
        profiles = load_config(str(config_file_path())).get("profiles", {})
    except (ConfigNotFound, ConfigParseError):
        return None
    return "default" if "default" in profiles else None


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
    from refreshable_sso.signin import login
    from refreshable_sso.tokens.login_options import LoginOptions

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
    it (botocore and the AWS CLI ignore keys they do not know)."""
    from refreshable_sso.profiles import TOKEN_EXPORT_KEY, TOKEN_STORAGE_KEY, config_file_path

    if target.sso_session_name is None:
        print(
            f"No sso-session section to remember --storage {storage} in: pass it to every "
            "session (token_storage=...) or sign in with --sso-session.",
            file=sys.stderr,
        )
        return
    from refreshable_sso.configfile import ConfigDocument, sso_session_section

    path = config_file_path()
    document = ConfigDocument.load(path)
    section = sso_session_section(target.sso_session_name)
    if not document.has_section(section):
        return
    values = {
        key: value
        for key, value in document.section_values(section).items()
        if key not in (TOKEN_STORAGE_KEY, TOKEN_EXPORT_KEY)
    }
    if storage == "keyring":
        values[TOKEN_STORAGE_KEY] = "keyring"
        if export is not None and export != "short-lived":
            values[TOKEN_EXPORT_KEY] = export
    if document.set_section(section, values):
        document.write()
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
    from refreshable_sso._aws import error_code, error_message

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


def _logout(args: argparse.Namespace) -> int:
    from refreshable_sso.signin import logout
    from refreshable_sso.tokens.login_options import LoginOptions
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
