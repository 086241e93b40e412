"""One profile per reachable account and role, written into ``~/.aws/config``.

The plan is computed entirely in memory (on a :class:`~refreshable_sso.profiles.editor.ConfigDocument`)
before anything is written, so a refused run (a hand-written profile in the way) writes nothing.
Every profile we write carries ``refreshable_sso_generated = <sso-session>``: that marker is how a
later ``--prune`` knows which profiles are ours to remove, and how a name collision with a
profile someone wrote by hand is told apart from our own earlier output.
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from refreshable_sso.errors import ConfigurationError, ProfileError

if TYPE_CHECKING:  # configupdater and discovery load only when a run needs them
    from refreshable_sso.discovery import RoleInfo
    from refreshable_sso.profiles.editor import ConfigDocument

GENERATED_KEY = "refreshable_sso_generated"
DEFAULT_TEMPLATE = "{account_name}.{role_name}"
TEMPLATE_FIELDS = ("account_id", "account_name", "role_name", "region", "session")
DEFAULT_COMMAND = "refreshable-sso"
REFRESH_SCOPE = "sso:account:access"

# What botocore and the AWS CLI take as a profile name in "[profile NAME]" and "--profile NAME":
# no whitespace (the header is split on it), no brackets, nothing a shell would mangle.
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass(frozen=True)
class PopulateOptions:
    """What to write: the sign-in the profiles use and how they are named and shaped."""

    sso_session: str
    start_url: str
    sso_region: str
    profile_name: str = DEFAULT_TEMPLATE
    region: str | None = None
    credential_process: bool = False
    prune: bool = False
    force: bool = False
    command: str = DEFAULT_COMMAND


@dataclass
class PopulateResult:
    """Profile names by what happened to them (``conflicts`` is non-empty only with force)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    session_created: bool = False

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed",
        ]
        if self.overwritten:
            parts.append(f"{len(self.overwritten)} hand-written overwritten (--force)")
        if self.session_created:
            parts.append("[sso-session] section created")
        return ", ".join(parts)


def check_template(template: str) -> None:
    """A bad template fails before any listing starts, naming the unknown field."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ConfigurationError(
            f"--profile-name {template!r} is not a valid template ({exc}); use fields like "
            "'{account_name}.{role_name}'",
            [f"profile name template: {exc}"],
        ) from exc
    unknown = [f for f in names if f not in TEMPLATE_FIELDS]
    if unknown or not names:
        what = f"unknown field(s) {', '.join(map(repr, unknown))}" if unknown else "no field"
        raise ConfigurationError(
            f"--profile-name {template!r} has {what}; the fields are "
            + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS),
            [f"profile name template: {what}"],
        )


def normalise_profile_name(name: str) -> str:
    """Whitespace and other characters the AWS CLI cannot take become ``-``."""
    cleaned = _NOT_ALLOWED.sub("-", name.strip())
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")
    return cleaned


def profile_name(template: str, role: RoleInfo, options: PopulateOptions) -> str:
    fields = {
        "account_id": role.account_id,
        "account_name": role.account_name or role.account_id,
        "role_name": role.role_name,
        "region": options.region or options.sso_region,
        "session": options.sso_session,
    }
    name = normalise_profile_name(template.format_map(fields))
    if not name or name == "default":
        raise ConfigurationError(
            f"--profile-name {template!r} gives the unusable name {name!r} for "
            f"{role.account_id}/{role.role_name}; include {{account_id}} or {{account_name}}",
            [f"profile name {name!r}"],
        )
    return name


def credential_process_line(options: PopulateOptions, role: RoleInfo) -> str:
    """The ``credential_process`` command for one account and role (our own command)."""
    parts = [
        *shlex.split(options.command),
        "credential-process",
        "--sso-session",
        options.sso_session,
        "--sso-region",
        options.sso_region,
        "--account-id",
        role.account_id,
        "--role-name",
        role.role_name,
    ]
    return shlex.join(parts)


def profile_values(role: RoleInfo, options: PopulateOptions) -> dict[str, str]:
    """The keys of one generated profile. credential_process profiles carry no ``sso_*`` key:
    botocore would prefer those and the command would never run."""
    values: dict[str, str]
    if options.credential_process:
        values = {"credential_process": credential_process_line(options, role)}
    else:
        values = {
            "sso_session": options.sso_session,
            "sso_account_id": role.account_id,
            "sso_role_name": role.role_name,
        }
    if options.region:
        values["region"] = options.region
    values[GENERATED_KEY] = options.sso_session
    return values


def ensure_sso_session(document: ConfigDocument, options: PopulateOptions) -> bool:
    """Create ``[sso-session NAME]`` when missing; refuse one that names another sign-in."""
    from refreshable_sso.profiles.editor import sso_session_section

    section = sso_session_section(options.sso_session)
    existing = document.section_values(section)
    if not existing:
        document.set_section(
            section,
            {
                "sso_start_url": options.start_url,
                "sso_region": options.sso_region,
                "sso_registration_scopes": REFRESH_SCOPE,
            },
        )
        return True
    for key, wanted in (("sso_start_url", options.start_url), ("sso_region", options.sso_region)):
        have = existing.get(key, "")
        if have.rstrip("/#") != wanted.rstrip("/#"):
            raise ProfileError(
                f"[{section}] in {document.path} has {key} = {have!r}, not {wanted!r}; pick "
                "another --sso-session name or fix the section",
                [f"[{section}]: {key} {have!r} differs from {wanted!r}"],
            )
    return False


def populate(
    document: ConfigDocument, roles: Iterable[RoleInfo], options: PopulateOptions
) -> PopulateResult:
    """Apply the profiles for ``roles`` to ``document`` (in memory). Raises ``ProfileError``
    naming every hand-written profile in the way unless ``options.force``; then the document
    is left as it was."""
    from refreshable_sso.profiles.editor import profile_section

    check_template(options.profile_name)
    wanted: dict[str, dict[str, str]] = {}
    origin: dict[str, RoleInfo] = {}
    for role in roles:
        name = profile_name(options.profile_name, role, options)
        if name in origin:
            first = origin[name]
            raise ConfigurationError(
                f"--profile-name {options.profile_name!r} gives {name!r} to both "
                f"{first.account_id}/{first.role_name} and {role.account_id}/{role.role_name}; "
                "add {account_id} or {role_name} to the template",
                [f"profile name {name!r} is not unique"],
            )
        origin[name] = role
        wanted[name] = profile_values(role, options)

    blocked = [
        name
        for name in wanted
        if (values := document.section_values(profile_section(name)))
        and values.get(GENERATED_KEY) != options.sso_session
    ]
    if blocked and not options.force:
        raise ProfileError(
            f"{document.path} already has hand-written profile(s) {', '.join(blocked)} "
            "(without the refreshable_sso_generated marker of this sso-session); nothing was "
            "written. Pick other names with --profile-name, remove or rename those profiles, "
            "or pass --force to overwrite them.",
            [f"[{profile_section(name)}]: hand-written profile in the way" for name in blocked],
        )

    result = PopulateResult(overwritten=list(blocked))
    result.session_created = ensure_sso_session(document, options)
    for name, values in wanted.items():
        section = profile_section(name)
        existed = document.has_section(section)
        if not document.set_section(section, values):
            result.unchanged.append(name)
        elif existed:
            result.updated.append(name)
        else:
            result.added.append(name)
    if options.prune:
        for name in document.profile_names():
            section = profile_section(name)
            if name in wanted:
                continue
            if document.section_values(section).get(GENERATED_KEY) == options.sso_session:
                document.remove_section(section)
                result.removed.append(name)
    return result


__all__ = [
    "DEFAULT_TEMPLATE",
    "GENERATED_KEY",
    "TEMPLATE_FIELDS",
    "PopulateOptions",
    "PopulateResult",
    "check_template",
    "credential_process_line",
    "normalise_profile_name",
    "populate",
]
