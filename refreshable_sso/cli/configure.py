"""``refreshable-sso configure populate``: one profile per reachable account and role.

Discovery uses the cached token of the sign-in (refreshed as a session would; nothing here
logs in) and the concurrent, throttle-aware listing of ``refreshable_sso.discovery``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from refreshable_sso.errors import ProfileError

if TYPE_CHECKING:
    from refreshable_sso.profiles.editor import ConfigDocument


def register(subparsers: Any) -> None:
    """Add the ``configure`` command with its ``populate`` action."""
    from refreshable_sso.populate import DEFAULT_COMMAND, DEFAULT_TEMPLATE, TEMPLATE_FIELDS

    configure: argparse.ArgumentParser = subparsers.add_parser(
        "configure",
        help="write ~/.aws/config profiles (configure populate)",
        description="Edit ~/.aws/config, keeping every comment and unrelated section as it is.",
    )
    actions = configure.add_subparsers(dest="configure_action", metavar="ACTION")
    actions.required = True
    parser: argparse.ArgumentParser = actions.add_parser(
        "populate",
        help="one profile per account and role this sign-in can reach",
        description=(
            "List every account and role the sign-in reaches and write one profile for each "
            "into ~/.aws/config (AWS_CONFIG_FILE). Other sections, keys, comments and blank "
            "lines stay byte for byte; the old file is kept as config.bak. Profiles written "
            "here are marked (refreshable_sso_generated), so --prune removes only those."
        ),
    )
    target = parser.add_argument_group("which sign-in")
    target.add_argument(
        "--sso-session",
        dest="sso_session",
        help="an [sso-session NAME] of ~/.aws/config (created when missing, from --start-url "
        "and --sso-region)",
    )
    target.add_argument("--start-url", dest="start_url", help="the IAM Identity Center start URL")
    target.add_argument("--sso-region", dest="sso_region", help="the region of IAM Identity Center")
    parser.add_argument(
        "--profile-name",
        default=DEFAULT_TEMPLATE,
        metavar="TEMPLATE",
        help=f"profile name template (default {DEFAULT_TEMPLATE!r}; fields: "
        + ", ".join(TEMPLATE_FIELDS)
        + "); names are normalised to what the AWS CLI accepts",
    )
    parser.add_argument("--region", help="the 'region' key of every profile written")
    parser.add_argument("--dry-run", action="store_true", help="print the diff and write nothing")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove profiles written here earlier for this sso-session that are no longer reachable",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite hand-written profiles whose names collide (default: refuse)",
    )
    parser.add_argument(
        "--credential-process",
        action="store_true",
        help="write credential_process profiles that run `refreshable-sso credential-process` "
        "instead of sso_* keys",
    )
    parser.add_argument(
        "--command",
        default=DEFAULT_COMMAND,
        help=f"the command credential_process runs (default {DEFAULT_COMMAND!r}; give a full "
        "path if it is not on PATH)",
    )
    parser.add_argument(
        "--max-workers", type=int, default=8, metavar="N", help="accounts listed concurrently"
    )
    parser.set_defaults(handler=_populate)


def _default_session_name(start_url: str) -> str:
    host = urlsplit(start_url).hostname or "sso"
    return host.split(".")[0]


def _sign_in(args: argparse.Namespace, document: ConfigDocument) -> tuple[str, str, str]:
    """sso-session name, start URL and region, from the arguments and the config file."""
    from refreshable_sso.profiles.editor import sso_session_section

    name = args.sso_session or (args.start_url and _default_session_name(args.start_url))
    if not name:
        raise ProfileError(
            "say which sign-in: --sso-session NAME (an [sso-session] of ~/.aws/config), or "
            "--start-url and --sso-region (with --sso-session NAME to name the section)",
            ["missing --sso-session or --start-url"],
        )
    section = document.section_values(sso_session_section(name))
    start_url = args.start_url or section.get("sso_start_url")
    region = args.sso_region or section.get("sso_region")
    missing = [
        flag for flag, value in (("--start-url", start_url), ("--sso-region", region)) if not value
    ]
    if missing:
        raise ProfileError(
            f"[sso-session {name}] is not in {document.path} (or lacks sso_start_url / "
            f"sso_region): pass {' and '.join(missing)} to create it",
            [f"missing {flag}" for flag in missing],
        )
    return str(name), str(start_url), str(region)


def _populate(args: argparse.Namespace) -> int:
    from refreshable_sso import discovery
    from refreshable_sso.populate import PopulateOptions, check_template, populate
    from refreshable_sso.profiles.editor import ConfigDocument
    from refreshable_sso.profiles.reader import config_file_path
    from refreshable_sso.tokens.cached import CachedTokenProvider

    check_template(args.profile_name)
    document = ConfigDocument.load(config_file_path())
    session, start_url, region = _sign_in(args, document)
    options = PopulateOptions(
        sso_session=session,
        start_url=start_url,
        sso_region=region,
        profile_name=args.profile_name,
        region=args.region,
        credential_process=args.credential_process,
        prune=args.prune,
        force=args.force,
        command=args.command,
    )
    provider = CachedTokenProvider(start_url, region, sso_session_name=session)
    roles = list(discovery.list_roles(provider, region, max_workers=args.max_workers))
    result = populate(document, roles, options)
    if args.dry_run:
        sys.stdout.write(document.diff() or "No changes.\n")
        print(f"dry run: {result.summary()}; nothing written")
        return 0
    if document.changed():
        backup = document.write()
        where = f" (previous file kept as {backup})" if backup else ""
        print(f"{document.path}: {result.summary()}{where}")
    else:
        print(f"{document.path}: {result.summary()}; nothing to change")
    for name in result.overwritten:
        print(f"  overwrote hand-written profile {name} (--force)")
    return 0
