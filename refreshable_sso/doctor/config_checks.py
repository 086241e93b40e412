"""Checks on what ``~/.aws/config`` and the environment say about the profile."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from refreshable_sso.doctor.context import DoctorContext, ProfileKind, SSOTarget
from refreshable_sso.doctor.model import Finding, Repair, fail, ok, warn

REFRESH_SCOPE = "sso:account:access"
SESSION_DURATION_KEY = "sso_session_duration"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def config_file(ctx: DoctorContext) -> Finding:
    path = ctx.config_path
    if ctx.config_error == "not found":
        return fail(
            "config",
            f"no AWS config file at {path}",
            f"AWS_CONFIG_FILE={ctx.environ.get('AWS_CONFIG_FILE', '(unset)')}",
            fix=f"aws configure sso   (or create {path}, or set AWS_CONFIG_FILE)",
        )
    if ctx.config_error:
        return fail(
            "config",
            f"{path} cannot be parsed: {ctx.config_error}",
            fix=f"fix the line named above in {path}",
        )
    return ok(
        "config",
        f"{path} found and parsed",
        f"{len(ctx.profiles)} profile(s), {len(ctx.sso_sessions)} sso-session(s)",
    )


def profile_kind(ctx: DoctorContext) -> Finding:
    """What the profile is and what it resolves to; a legacy SSO profile cannot refresh."""
    kind = ctx.kind()
    name = ctx.profile
    if kind is ProfileKind.MISSING:
        known = ", ".join(sorted(ctx.profiles)) or "none"
        return fail(
            "profile",
            f"profile {name!r} is not in {ctx.config_path}",
            f"profiles there: {known}",
            fix=f"refreshable-sso configure populate --sso-session NAME   (or add [profile {name}])",
        )
    section = ctx.section()
    if kind is ProfileKind.ROLE_CHAIN:
        chain = " -> ".join(ctx.chain())
        target = ctx.sso_target()
        root = f"; the chain starts at SSO profile {target.profile!r}" if target else ""
        return ok(
            "profile",
            f"{name!r} is a role chain: assumes {section.get('role_arn')}{root}",
            f"chain: {chain}",
        )
    if kind is ProfileKind.CREDENTIAL_PROCESS:
        ours = ctx.sso_target()
        via = (
            f"; our command, for account {ours.account_id}, role {ours.role_name} of "
            f"{'sso-session ' + ours.sso_session if ours.sso_session else ours.start_url}"
            if ours
            else ""
        )
        return ok(
            "profile",
            f"{name!r} runs a credential_process{via}",
            f"credential_process = {section.get('credential_process')}",
        )
    if kind is ProfileKind.STATIC_KEYS:
        return warn(
            "profile",
            f"{name!r} has static access keys, not IAM Identity Center credentials",
            fix="refreshable-sso configure populate --sso-session NAME",
        )
    if kind is ProfileKind.OTHER:
        return warn("profile", f"{name!r} has no credentials of a kind the doctor knows")
    target = ctx.sso_target()
    if target is None:  # not reached: SSO kinds always resolve to a target
        return warn("profile", f"{name!r} could not be resolved")
    resolves = (
        f"account {target.account_id}, role {target.role_name}, start URL {target.start_url}, "
        f"SSO region {target.sso_region}"
    )
    if kind is ProfileKind.SSO_SESSION:
        if target.sso_session not in ctx.sso_sessions:
            return fail(
                "profile",
                f"{name!r} names sso_session {target.sso_session!r}, which has no section",
                fix=f"add [sso-session {target.sso_session}] with sso_start_url and sso_region",
            )
        missing = [
            key
            for key, value in (
                ("sso_account_id", target.account_id),
                ("sso_role_name", target.role_name),
                ("sso_start_url", target.start_url),
                ("sso_region", target.sso_region),
            )
            if not value
        ]
        if missing:
            return fail(
                "profile",
                f"{name!r} is incomplete: missing {', '.join(missing)}",
                fix="add the missing keys (see `aws configure sso`)",
            )
        return ok(
            "profile",
            f"{name!r} is an sso-session profile (refreshable) of [sso-session {target.sso_session}]",
            resolves,
        )
    return _legacy(ctx, target, resolves)


def _legacy(ctx: DoctorContext, target: SSOTarget, resolves: str) -> Finding:
    session = migration_session_name(ctx, target)
    lines = (
        f"[sso-session {session}] sso_start_url = {target.start_url}, sso_region = "
        f"{target.sso_region}, sso_registration_scopes = {REFRESH_SCOPE}; in [profile "
        f"{target.profile}] replace sso_start_url and sso_region with sso_session = {session}"
    )
    return fail(
        "profile",
        f"{target.profile!r} is a legacy SSO profile (sso_start_url inline): its token can "
        "never be refreshed, so boto3 fails with 'Token has expired and refresh failed' "
        "within the hour",
        resolves,
        fix=f"{lines}; then `refreshable-sso login --profile {target.profile}` "
        "(refreshable-sso doctor --fix does the config part)",
        repair=Repair(
            f"migrate [profile {target.profile}] to [sso-session {session}]",
            lambda: migrate_legacy(ctx, target, session),
        ),
    )


def migration_session_name(ctx: DoctorContext, target: SSOTarget) -> str:
    """An existing sso-session with the same start URL and region, else a new name."""
    for name, section in ctx.sso_sessions.items():
        if (
            str(section.get("sso_start_url", "")).rstrip("/#")
            == (target.start_url or "").rstrip("/#")
            and str(section.get("sso_region", "")) == target.sso_region
        ):
            return name
    base = (urlsplit(target.start_url or "").hostname or "sso").split(".")[0] or "sso"
    name, n = base, 2
    while name in ctx.sso_sessions:
        name, n = f"{base}-{n}", n + 1
    return name


def migrate_legacy(ctx: DoctorContext, target: SSOTarget, session: str) -> None:
    from refreshable_sso.profiles.editor import ConfigDocument, profile_section, sso_session_section

    doc = ConfigDocument.load(ctx.config_path)
    if not doc.section_values(sso_session_section(session)):
        doc.set_section(
            sso_session_section(session),
            {
                "sso_start_url": target.start_url or "",
                "sso_region": target.sso_region or "",
                "sso_registration_scopes": REFRESH_SCOPE,
            },
        )
    section = profile_section(target.profile)
    values = {
        k: v
        for k, v in doc.section_values(section).items()
        if k not in ("sso_start_url", "sso_region")
    }
    doc.set_section(section, {"sso_session": session, **values})
    doc.write()


def scopes(ctx: DoctorContext) -> Finding | None:
    target = ctx.sso_target()
    if target is None or target.legacy or target.sso_session not in ctx.sso_sessions:
        return None
    where = f"[sso-session {target.sso_session}]"
    if not target.scopes:
        return warn(
            "scopes",
            f"{where} has no sso_registration_scopes: an `aws sso login` may register a client "
            "without a refresh token",
            fix=f"add `sso_registration_scopes = {REFRESH_SCOPE}` to {where}, then "
            f"`refreshable-sso login --profile {target.profile} --force`",
        )
    listed = [s.strip() for s in target.scopes.split(",")]
    if REFRESH_SCOPE not in listed:
        return fail(
            "scopes",
            f"{where} sso_registration_scopes lacks {REFRESH_SCOPE}: tokens get no refresh token",
            f"sso_registration_scopes = {target.scopes}",
            fix=f"sso_registration_scopes = {', '.join([*listed, REFRESH_SCOPE])}",
        )
    return ok("scopes", f"{where} registers with {target.scopes}")


def shadowed_credential_process(ctx: DoctorContext) -> Finding | None:
    section = ctx.section()
    if "credential_process" not in section:
        return None
    sso_keys = sorted(k for k in section if k.startswith("sso_"))
    if not sso_keys:
        return ok(
            "credential_process", "credential_process is the profile's only credential source"
        )
    return warn(
        "credential_process",
        "credential_process is shadowed: botocore and the AWS CLI use the sso_* keys of the "
        "same profile first, so the command never runs",
        f"[profile {ctx.profile}] has {', '.join(sso_keys)} beside credential_process",
        fix=f"remove {', '.join(sso_keys)} from [profile {ctx.profile}] (or drop credential_process)",
    )


def session_duration_seconds(ctx: DoctorContext) -> int | None:
    """The sign-in's ``sso_session_duration`` in seconds, when it is set and valid."""
    raw, _where = _duration_setting(ctx)
    seconds = _duration_seconds(raw) if raw is not None else None
    return seconds if seconds is not None and 900 <= seconds <= 90 * 86400 else None


def _duration_setting(ctx: DoctorContext) -> tuple[str | None, str]:
    """(the raw ``sso_session_duration``, the section it was read from), from either section."""
    target = ctx.sso_target()
    raw, where = None, ""
    for label, section in (
        (f"[profile {ctx.profile}]", ctx.section()),
        (
            f"[sso-session {target.sso_session}]" if target and target.sso_session else "",
            ctx.sso_sessions.get(target.sso_session or "", {}) if target else {},
        ),
    ):
        value = section.get(SESSION_DURATION_KEY)
        if value is not None and raw is None:
            raw, where = str(value), label
    return raw, where


def _duration_seconds(raw: str) -> int | None:
    match = _DURATION.match(raw)
    return None if match is None else int(match[1]) * _UNIT[match[2]]


def session_duration(ctx: DoctorContext) -> Finding | None:
    """The sign-in's ``sso_session_duration`` (ours), read defensively from either section."""
    raw, where = _duration_setting(ctx)
    if raw is None:
        return None
    seconds = _duration_seconds(raw)
    if seconds is None:
        return warn(
            "session duration",
            f"{where} {SESSION_DURATION_KEY} = {raw!r} is not a duration",
            fix=f"{SESSION_DURATION_KEY} = 28800   (seconds; or 8h, 90d)",
        )
    if not 900 <= seconds <= 90 * 86400:
        return warn(
            "session duration",
            f"{where} {SESSION_DURATION_KEY} = {raw} is outside IAM Identity Center's 15 minutes "
            "to 90 days",
            fix=f"{SESSION_DURATION_KEY} = 28800",
        )
    return ok("session duration", f"{where} {SESSION_DURATION_KEY} = {raw} ({seconds} s)")


def environment(ctx: DoctorContext) -> list[Finding]:
    env = ctx.environ
    findings: list[Finding] = []
    static = [name for name in _STATIC_KEYS if env.get(name)]
    if static:
        findings.append(
            warn(
                "environment",
                f"{', '.join(static)} set: programs that do not name a profile use these static "
                "keys instead of the profile",
                fix=f"unset {' '.join(static)}",
            )
        )
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        value = env.get(name)
        if value and value != ctx.profile:
            findings.append(
                warn(
                    "environment",
                    f"{name}={value} overrides the profile for programs that do not name one "
                    f"(checked: {ctx.profile})",
                    fix=f"export {name}={ctx.profile}   (or unset {name})",
                )
            )
    endpoints = sorted(f"{k}={v}" for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL"))
    if endpoints:
        findings.append(ok("environment", "endpoint overrides in effect", *endpoints))
    if not findings:
        findings.append(ok("environment", "no AWS_* variable overrides the profile"))
    return findings
