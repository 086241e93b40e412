"""Checks on the shared caches: the token the profile reads, tokens under other keys, cached
role credentials, and who can read those files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from refreshable_sso import _clock
from refreshable_sso.doctor.context import DoctorContext, SSOTarget
from refreshable_sso.doctor.model import Finding, Repair, Status, fail, ok, warn
from refreshable_sso.storage.paths import role_credentials_cache_path, token_cache_path


def _now() -> datetime:
    return _clock.now()


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _left(when: datetime) -> str:
    seconds = int((when - _now()).total_seconds())
    if seconds < 0:
        return f"expired {-seconds // 60} min ago"
    return f"in {seconds // 60} min"


def _same_url(a: object, b: str | None) -> bool:
    return isinstance(a, str) and b is not None and a.rstrip("/#") == b.rstrip("/#")


def _login_command(target: SSOTarget) -> str:
    return f"refreshable-sso login --profile {target.profile}"


def expected_token_path(ctx: DoctorContext, target: SSOTarget) -> Path:
    return token_cache_path(target.start_url or "", target.sso_session, ctx.sso_cache)


def token(ctx: DoctorContext) -> list[Finding]:
    """The token file the profile reads: present, expiry, refresh token, registration expiry."""
    target = ctx.sso_target()
    if target is None or not target.start_url:
        return []
    path = expected_token_path(ctx, target)
    key = f"sha1({target.sso_session!r})" if target.sso_session else f"sha1({target.start_url!r})"
    data = _read_json(path)
    if target.token_storage == "keyring":  # noqa: S105 (a storage kind)
        # the file holds the short-lived export at most: the token itself is in the keyring
        from refreshable_sso.errors import RefreshableSSOError
        from refreshable_sso.storage.keyring import KeyringRecord

        try:
            data = KeyringRecord(path).read()
        except (RefreshableSSOError, ImportError) as exc:
            return [
                fail(
                    "token",
                    "the token is kept in the OS keyring, which cannot be read",
                    str(exc),
                    fix=getattr(exc, "fix", None),
                )
            ]
    if data is None or "accessToken" not in data:
        other = _other_key(ctx, target, path)
        if other is not None:
            return [other]
        what = "no token" if not path.exists() else "an unreadable token file"
        return [
            fail(
                "token",
                f"{what} where the profile reads it",
                f"{path} ({key})",
                fix=_login_command(target),
            )
        ]
    findings: list[Finding] = []
    expires = _parse_time(data.get("expiresAt"))
    registration = _parse_time(data.get("registrationExpiresAt"))
    refreshable = bool(
        data.get("refreshToken") and data.get("clientId") and data.get("clientSecret")
    )
    evidence = (
        f"{path} ({key})",
        f"expiresAt {data.get('expiresAt')} ({_left(expires) if expires else 'unreadable'})",
        f"refresh token: {'present' if data.get('refreshToken') else 'absent'}",
        f"registrationExpiresAt {data.get('registrationExpiresAt') or 'absent'}"
        + (f" ({_left(registration)})" if registration else ""),
    )
    now = _now()
    if registration is not None and registration <= now:
        findings.append(
            fail(
                "token",
                "the client registration has expired: the token can no longer be refreshed",
                *evidence,
                fix=f"{_login_command(target)} --force",
            )
        )
    elif expires is None or (expires <= now and not refreshable):
        findings.append(
            fail(
                "token",
                "the token has expired and cannot be refreshed",
                *evidence,
                fix=_login_command(target),
            )
        )
    elif not refreshable:
        findings.append(
            warn(
                "token",
                "the token has no refresh token: it stops working when it expires",
                *evidence,
                fix=f"{_login_command(target)} --force",
            )
        )
    else:
        state = "valid" if expires > now else "expired, refreshable"
        findings.append(ok("token", f"token {state}, refresh token present", *evidence))
    return findings


def _migrate_command(target: SSOTarget, to: str) -> str:
    who = (
        f"--sso-session {target.sso_session}"
        if target.sso_session
        else f"--profile {target.profile}"
    )
    return f"refreshable-sso storage migrate --to {to} {who}"


def secrets_location(ctx: DoctorContext) -> Finding | None:
    """Where the sign-in's long-lived secrets live (files or the OS keyring, and what the
    keyring mode exports), and a warning for a refresh token or client secret in plain text."""
    from refreshable_sso.storage.paths import registration_cache_path
    from refreshable_sso.tokens.registration import DEFAULT_SCOPES

    target = ctx.sso_target()
    if target is None or not target.start_url:
        return None
    storage = target.token_storage or "file"
    export = target.token_export or "short-lived"
    token_path = expected_token_path(ctx, target)
    scopes = [part.strip() for part in (target.scopes or "").split(",") if part.strip()]
    registration_path = registration_cache_path(
        target.start_url,
        target.sso_region or "",
        scopes or list(DEFAULT_SCOPES),
        target.sso_session,
        ctx.sso_cache,
    )
    plain: list[str] = []
    token_data = _read_json(token_path) or {}
    held = [k for k in ("refreshToken", "clientSecret") if token_data.get(k)]
    if held:
        plain.append(f"{token_path}: {', '.join(held)} in plain text")
    if (_read_json(registration_path) or {}).get("clientSecret"):
        plain.append(f"{registration_path}: clientSecret in plain text")
    where = (
        f"the OS keyring (export {export}: "
        + (
            "the access token alone in the AWS CLI's file)"
            if export == "short-lived"
            else "nothing on disk)"
        )
        if storage == "keyring"
        else "the AWS CLI's plain JSON files"
    )
    configured = f"refreshable_sso_token_storage = {storage}" + (
        f" ([sso-session {target.sso_session}])" if target.sso_session else " (the default)"
    )
    if plain and storage == "keyring":
        return warn(
            "token storage",
            "the keyring is configured, but the refresh token or client secret is still in "
            "plain text: anyone who can read your files can use this sign-in for up to 90 days",
            f"the long-lived tokens should live in {where}; {configured}",
            *plain,
            fix=_migrate_command(target, "keyring"),
        )
    if plain:
        # The AWS CLI's own format and our default: reported with its fix, but as OK, so that
        # a healthy `aws sso login` sign-in is not a warning.
        return Finding(
            "token storage",
            Status.OK,
            "the refresh token and client secret are in plain text (the AWS CLI's files): "
            "anyone who can read your files can use this sign-in for up to 90 days",
            (
                f"the long-lived tokens live in {where}; {configured}",
                *plain,
                f"to keep them in the OS keyring: {_migrate_command(target, 'keyring')}",
            ),
            fix=_migrate_command(target, "keyring"),
        )
    if not token_data and storage == "file":
        return None  # no token at all: the token check says so
    return ok("token storage", f"the long-lived tokens live in {where}", configured)


def _origin(ctx: DoctorContext, stem: str, target: SSOTarget) -> str:
    """Which login command writes a token under this file name."""
    if stem == hashlib.sha1((target.start_url or "").encode(), usedforsecurity=False).hexdigest():
        return (
            "a legacy login keyed by the start URL (`aws sso login` with a profile that has "
            f"sso_start_url inline, or `refreshable-sso login --start-url {target.start_url} "
            f"--sso-region {target.sso_region}`)"
        )
    for name in ctx.sso_sessions:
        if stem == hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest():
            return f"`aws sso login --sso-session {name}` (or refreshable-sso login --sso-session {name})"
    return "a login under an sso-session name this config file does not have"


def _other_key(ctx: DoctorContext, target: SSOTarget, expected: Path) -> Finding | None:
    """A token for the same start URL cached under another file name than the profile reads."""
    best: tuple[datetime, Path] | None = None
    for candidate in sorted(ctx.sso_cache.glob("*.json")) if ctx.sso_cache.is_dir() else []:
        if candidate == expected:
            continue
        data = _read_json(candidate)
        if (
            not data
            or "accessToken" not in data
            or not _same_url(data.get("startUrl"), target.start_url)
        ):
            continue
        when = _parse_time(data.get("expiresAt")) or datetime.min.replace(tzinfo=timezone.utc)
        if best is None or when > best[0]:
            best = (when, candidate)
    if best is None:
        return None
    found = best[1]
    reads = f"sha1({target.sso_session!r})" if target.sso_session else f"sha1({target.start_url!r})"
    return fail(
        "token",
        "the token is cached under another key than the profile reads: boto3 and the AWS CLI "
        "will not find it",
        f"profile reads {expected} ({reads})",
        f"token found at {found}, written by {_origin(ctx, found.stem, target)}",
        fix=f"mv {found} {expected}   (or {_login_command(target)})",
        repair=Repair(f"move {found.name} to {expected.name}", lambda: _move(found, expected)),
    )


def _move(source: Path, destination: Path) -> None:
    os.chmod(source, 0o600)
    os.replace(source, destination)


def role_credentials(ctx: DoctorContext) -> Finding | None:
    target = ctx.sso_target()
    if target is None or not target.account_id or not target.role_name:
        return None
    path = role_credentials_cache_path(
        target.account_id,
        target.role_name,
        sso_session_name=target.sso_session,
        start_url=None if target.sso_session else target.start_url,
        cache_dir=ctx.cli_cache,
    )
    data = _read_json(path)
    creds = data.get("Credentials") if data else None
    if not isinstance(creds, dict):
        return ok("role credentials", "none cached (fetched on first use)", str(path))
    expiry = _parse_time(creds.get("Expiration"))
    state = _left(expiry) if expiry else "expiry unreadable"
    return ok(
        "role credentials",
        f"cached for {target.account_id}/{target.role_name}, expiring {state}",
        str(path),
    )


def _chmod(paths: list[Path], mode: int) -> None:
    for path in paths:
        os.chmod(path, mode)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def file_modes(ctx: DoctorContext) -> list[Finding]:
    """Token, registration and credential files readable by others; group/world-open dirs."""
    findings: list[Finding] = []
    exposed: list[Path] = []
    for directory in (ctx.sso_cache, ctx.cli_cache):
        if directory.is_dir():
            exposed += [p for p in sorted(directory.glob("*.json")) if _mode(p) & 0o077]
    credentials_file = Path(
        os.path.expanduser(ctx.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")
    )
    if credentials_file.is_file() and _mode(credentials_file) & 0o077:
        exposed.append(credentials_file)
    if exposed:
        findings.append(
            fail(
                "file modes",
                f"{len(exposed)} file(s) with tokens or credentials are readable by other users",
                *(f"{p} mode {_mode(p):04o}" for p in exposed),
                fix="chmod 600 " + " ".join(str(p) for p in exposed),
                repair=Repair(
                    f"chmod 600 {len(exposed)} file(s)",
                    lambda: _chmod(exposed, 0o600),
                ),
            )
        )
    open_dirs = [
        d
        for d in (ctx.sso_cache, ctx.sso_cache.parent, ctx.cli_cache)
        if d.is_dir() and _mode(d) & 0o077
    ]
    if open_dirs:
        findings.append(
            warn(
                "file modes",
                "cache directories other users can list",
                *(f"{d} mode {_mode(d):04o}" for d in open_dirs),
                fix="chmod 700 " + " ".join(str(d) for d in open_dirs),
                repair=Repair(
                    f"chmod 700 {len(open_dirs)} directory(ies)",
                    lambda: _chmod(open_dirs, 0o700),
                ),
            )
        )
    if ctx.config_path.is_file() and _mode(ctx.config_path) & 0o022:
        findings.append(
            fail(
                "file modes",
                f"{ctx.config_path} is writable by other users: they could add a credential_process",
                f"mode {_mode(ctx.config_path):04o}",
                fix=f"chmod go-w {ctx.config_path}",
                repair=Repair(
                    f"chmod go-w {ctx.config_path}",
                    lambda: os.chmod(ctx.config_path, _mode(ctx.config_path) & ~0o022),
                ),
            )
        )
    if not findings:
        findings.append(
            ok("file modes", "token and credential files are private (0600, 0700 dirs)")
        )
    return findings


def sign_in_end(ctx: DoctorContext, duration: int | None) -> Finding | None:
    """When this sign-in ends, and whether a re-login would move that end.

    IAM Identity Center binds an approval to the browser's live portal session, so a re-login
    inside it keeps the end; only ``sso:Logout`` first (``login --new-session``, or a session's
    ``relogin_ahead``) starts a new session. The start is known from our own sign-in record.
    """
    from refreshable_sso.errors import CacheFileError
    from refreshable_sso.tokens.store import TokenCache

    target = ctx.sso_target()
    if target is None or not target.start_url:
        return None
    cache = TokenCache(target.start_url, target.sso_session, ctx.sso_cache)
    try:
        stored = cache.load()
    except CacheFileError:
        return None
    if stored is None:
        return None
    began = cache.signed_in_at(stored)
    new = f"refreshable-sso login --new-session {_login_args(target)}"
    if began is None:
        return ok(
            "sign-in end",
            "when this sign-in began is not known (the token came from another tool, e.g. "
            "`aws sso login`), so its end cannot be told; a re-login inside a live portal "
            "session would keep that end",
            f"to start a new session with its full duration: {new}",
        )
    if duration is None:
        return ok(
            "sign-in end",
            f"this sign-in began at {began.isoformat()}; set sso_session_duration (your "
            "administrator's setting, 8h by default) to know when it ends",
            f"a re-login inside it keeps its end; {new} starts a new session",
        )
    end = began + timedelta(seconds=duration)
    when = "ended" if end <= _now() else f"ends {_left(end)}"
    return ok(
        "sign-in end",
        f"this sign-in began at {began.isoformat()} and {when} ({end.isoformat()})",
        "a re-login inside this portal session joins it and keeps that end (IAM Identity "
        f"Center's rule); {new} ends it first (sso:Logout) and starts a new one",
    )


def _login_args(target: SSOTarget) -> str:
    return f"--sso-session {target.sso_session}" if target.sso_session else "--profile NAME"
