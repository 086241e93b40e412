"""How every command that names one sign-in finds it: ``--profile``, ``--sso-session`` or
``--start-url`` with ``--sso-region`` (shared by ``login``, ``logout``, ``accounts``, ``roles``
and ``assignments``).

The sign-in is named by a profile (``--profile``, an sso-session or legacy SSO profile of
``~/.aws/config``), by an sso-session (``--sso-session``, read from the config file unless
``--start-url``/``--sso-region`` are also given), or by ``--start-url`` and ``--sso-region``
alone (a legacy, start-URL keyed cache entry). With none of these, ``$AWS_PROFILE`` and then the
``default`` profile name it, as for ``aws sso login``. Endpoints follow
``AWS_ENDPOINT_URL_SSO`` / ``AWS_ENDPOINT_URL_SSO_OIDC`` like every other part of the library.
botocore and the profile reader are imported inside the functions only.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

from refreshable_sso.errors import ProfileError

# refreshable_sso.tokens.login.interactive.LOGIN_FLOW_ENV, named here so --help imports no botocore
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


def _config_sessions() -> dict[str, dict[str, Any]]:
    from botocore.configloader import load_config
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    from refreshable_sso.profiles.reader import config_file_path

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
    from refreshable_sso.profiles.reader import config_file_path, load_sso_profile

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
        from refreshable_sso.profiles.reader import TOKEN_EXPORT_KEY, TOKEN_STORAGE_KEY

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

    from refreshable_sso.profiles.reader import config_file_path

    try:
        profiles = load_config(str(config_file_path())).get("profiles", {})
    except (ConfigNotFound, ConfigParseError):
        return None
    return "default" if "default" in profiles else None
