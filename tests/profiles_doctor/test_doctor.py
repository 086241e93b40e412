"""`refreshable-sso doctor`: each cause set up on its own, found, with the right fix;
`--fix` repairs the fixable ones so that `whoami` then works."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso.doctor.context import DoctorContext
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.files import JsonCacheFile
from refreshable_sso.storage.paths import token_cache_path

from .conftest import SSO_SESSION, Runner

PROFILE = "staging"


def _config(
    emu: Emulator, *, profile_extra: str = "", session_extra: str = "", scopes: bool = True
) -> str:
    scope_line = "sso_registration_scopes = sso:account:access\n" if scopes else ""
    return (
        "# my config\n\n"
        f"[profile {PROFILE}]\nsso_session = {SSO_SESSION}\nsso_account_id = 222222222222\n"
        f"sso_role_name = ReadOnlyAccess\nregion = eu-west-1\n{profile_extra}\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\nsso_region = {emu.region}\n"
        f"{scope_line}{session_extra}"
    )


def _doctor(run_cli: Runner, *extra: str, profile: str = PROFILE) -> tuple[int, dict[str, Any]]:
    result = run_cli("doctor", "--profile", profile, "--json", *extra)
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out)


def _find(report: dict[str, Any], check: str, status: str | None = None) -> list[dict[str, Any]]:
    return [
        f
        for f in report["findings"]
        if f["check"] == check and (status is None or f["status"] == status)
    ]


def _statuses(report: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["status"], []).append(f["check"])
    return out


def _seed(emu: Emulator, path: Path, **changes: Any) -> Path:
    token = {**emu.sign_in(), **changes}
    cache = JsonCacheFile(path)
    with cache.lock():
        cache.write(token)
    return path


def _whoami(run_cli: Runner, profile: str = PROFILE) -> Any:
    return run_cli("whoami", "--profile", profile, "--json")


def test_healthy_profile_is_all_ok(signed_in: Emulator, run_cli: Runner, config_path: Path) -> None:
    config_path.write_text(_config(signed_in))
    code, report = _doctor(run_cli)
    assert code == 0, report
    assert "FAIL" not in _statuses(report), report
    assert "WARN" not in _statuses(report), report
    assert _find(report, "profile", "OK")[0]["summary"].startswith("'staging' is an sso-session")
    assert "refresh token present" in _find(report, "token", "OK")[0]["summary"]
    endpoints = _find(report, "endpoint", "OK")
    assert {f["summary"].split()[0] for f in endpoints} >= {"sso", "sso-oidc", "sts"}
    overrides = _find(report, "environment", "OK")[0]
    assert f"AWS_ENDPOINT_URL_SSO={signed_in.url}" in overrides["evidence"]
    assert _find(report, "clock", "OK")
    assert _find(report, "role credentials", "OK")[0]["summary"].startswith("none cached")

    # text output and the alias
    text = run_cli("check", "--profile", PROFILE)
    assert text.code == 0
    assert "[ OK ] token:" in text.out
    assert "0 FAIL" in text.out

    assert _whoami(run_cli).code == 0
    _, after = _doctor(run_cli)
    assert (
        "cached for 222222222222/ReadOnlyAccess" in _find(after, "role credentials")[0]["summary"]
    )


def test_legacy_profile_fails_and_fix_migrates_it(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    emu.seed_token_cache()  # a legacy login: keyed by the start URL
    legacy = (
        "# keep me\n[profile old]\n"
        f"sso_start_url = {emu.start_url}\nsso_region = {emu.region}\n"
        "sso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = us-east-1\n"
    )
    config_path.write_text(legacy)
    code, report = _doctor(run_cli, profile="old")
    assert code == 1
    finding = _find(report, "profile", "FAIL")[0]
    assert "legacy" in finding["summary"]
    assert "sso_session = d-90670ca11e" in finding["fix"]
    assert finding["auto_fixable"]

    fixed = run_cli("doctor", "--profile", "old", "--fix")
    assert fixed.code == 0, fixed.out
    assert "migrate [profile old] to [sso-session d-90670ca11e]" in fixed.out
    text = config_path.read_text()
    assert text.startswith("# keep me\n[profile old]\n")
    assert "sso_session = d-90670ca11e" in text
    assert "[sso-session d-90670ca11e]" in text
    assert "sso_registration_scopes = sso:account:access" in text
    assert (config_path.parent / "config.bak").read_text() == legacy
    assert _whoami(run_cli, "old").code == 0


def test_missing_scopes_warns_with_the_config_line(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(signed_in, scopes=False))
    code, report = _doctor(run_cli)
    assert code == 0
    finding = _find(report, "scopes", "WARN")[0]
    assert "sso_registration_scopes = sso:account:access" in finding["fix"]


def test_scopes_without_refresh_scope_fail(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(
        _config(signed_in, scopes=False, session_extra="sso_registration_scopes = openid\n")
    )
    code, report = _doctor(run_cli)
    assert code == 1
    assert _find(report, "scopes", "FAIL")[0]["fix"] == (
        "sso_registration_scopes = openid, sso:account:access"
    )


def test_token_under_the_start_url_key_is_found_and_moved(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    found = emu.seed_token_cache()  # `aws sso login` with a legacy profile put it here
    config_path.write_text(_config(emu))
    assert _whoami(run_cli).code == 1  # the profile does not find it
    code, report = _doctor(run_cli)
    assert code == 1
    finding = _find(report, "token", "FAIL")[0]
    expected = token_cache_path(emu.start_url, SSO_SESSION)
    assert f"profile reads {expected}" in finding["evidence"][0]
    assert str(found) in finding["evidence"][1]
    assert "legacy login keyed by the start URL" in finding["evidence"][1]
    assert finding["fix"].startswith(f"mv {found} {expected}")

    fixed = run_cli("doctor", "--profile", PROFILE, "--fix")
    assert fixed.code == 0, fixed.out
    assert f"move {found.name} to {expected.name}" in fixed.out
    assert expected.exists()
    assert not found.exists()
    assert _whoami(run_cli).code == 0


def test_token_under_another_sso_session_names_that_login(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    emu.seed_token_cache(sso_session_name="other")
    config_path.write_text(
        _config(emu)
        + f"\n[sso-session other]\nsso_start_url = {emu.start_url}\nsso_region = {emu.region}\n"
    )
    _, report = _doctor(run_cli)
    finding = _find(report, "token", "FAIL")[0]
    assert "`aws sso login --sso-session other`" in finding["evidence"][1]
    assert hashlib.sha1(b"other", usedforsecurity=False).hexdigest() in finding["evidence"][1]


def test_no_token_fails_with_the_login_command(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(point_at(sso_emulator)))
    code, report = _doctor(run_cli)
    assert code == 1
    assert _find(report, "token", "FAIL")[0]["fix"] == f"refreshable-sso login --profile {PROFILE}"


def test_expired_registration_fails(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    config_path.write_text(_config(emu))
    _seed(
        emu,
        token_cache_path(emu.start_url, SSO_SESSION),
        registrationExpiresAt="2020-01-01T00:00:00Z",
    )
    code, report = _doctor(run_cli)
    assert code == 1
    finding = _find(report, "token", "FAIL")[0]
    assert "registration has expired" in finding["summary"]
    assert finding["fix"] == f"refreshable-sso login --profile {PROFILE} --force"


def test_expired_unrefreshable_token_fails(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    config_path.write_text(_config(emu))
    path = _seed(
        emu, token_cache_path(emu.start_url, SSO_SESSION), expiresAt="2020-01-01T00:00:00Z"
    )
    data = json.loads(path.read_text())
    for key in ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt"):
        data.pop(key)
    path.write_text(json.dumps(data))
    code, report = _doctor(run_cli)
    assert code == 1
    assert "expired and cannot be refreshed" in _find(report, "token", "FAIL")[0]["summary"]
    assert "secret" not in json.dumps(report).lower().replace("clientsecret", "")


def test_shadowed_credential_process_warns(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(
        _config(
            signed_in,
            profile_extra="credential_process = refreshable-sso credential-process --profile x\n",
        )
    )
    _, report = _doctor(run_cli)
    finding = _find(report, "credential_process", "WARN")[0]
    assert "shadowed" in finding["summary"]
    assert "sso_account_id, sso_role_name, sso_session" in finding["fix"]


def test_clock_skew_beyond_the_credentials_lifetime_fails(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(signed_in))
    signed_in.clock.advance(600)
    _, report = _doctor(run_cli)
    assert _find(report, "clock", "WARN")
    signed_in.clock.advance(2 * 3600)
    code, report = _doctor(run_cli)
    assert code == 1
    finding = _find(report, "clock", "FAIL")[0]
    assert "exceeds the role credentials' lifetime" in finding["summary"]
    assert "timedatectl set-ntp true" in finding["fix"]


def test_readable_cache_files_fail_and_fix_chmods(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(signed_in))
    token = token_cache_path(signed_in.start_url, SSO_SESSION)
    os.chmod(token, 0o644)
    os.chmod(token.parent, 0o755)  # noqa: S103 - the problem under test
    code, report = _doctor(run_cli)
    assert code == 1
    finding = _find(report, "file modes", "FAIL")[0]
    assert f"{token} mode 0644" in finding["evidence"]
    assert finding["fix"] == f"chmod 600 {token}"
    assert _find(report, "file modes", "WARN")[0]["fix"].startswith(f"chmod 700 {token.parent}")

    fixed = run_cli("doctor", "--profile", PROFILE, "--fix")
    assert fixed.code == 0, fixed.out
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert _whoami(run_cli).code == 0


def test_environment_overrides_are_reported(
    signed_in: Emulator, run_cli: Runner, config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path.write_text(_config(signed_in))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-shown")
    monkeypatch.setenv("AWS_PROFILE", "someone-else")
    result = run_cli("doctor", "--profile", PROFILE, "--json")
    assert "not-shown" not in result.out
    assert "not-shown" not in repr(DoctorContext.load(PROFILE))
    report = json.loads(result.out)
    assert result.code == 0  # reported, not failures
    warned = _find(report, "environment", "WARN")
    assert warned[0]["fix"] == "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"
    assert warned[1]["fix"].startswith(f"export AWS_PROFILE={PROFILE}")


def test_unreachable_endpoint_fails(
    signed_in: Emulator, run_cli: Runner, config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path.write_text(_config(signed_in))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    code, report = _doctor(run_cli)
    assert code == 1
    finding = _find(report, "endpoint", "FAIL")[0]
    assert finding["summary"].startswith("sts unreachable")
    assert "AWS_ENDPOINT_URL_STS" in finding["fix"]
    offline_code, offline = _doctor(run_cli, "--offline")
    assert offline_code == 0
    assert not _find(offline, "endpoint")


def test_config_file_missing_or_broken(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    code, report = _doctor(run_cli)
    assert code == 1
    assert "no AWS config file" in _find(report, "config", "FAIL")[0]["summary"]
    config_path.write_text("[profile staging\nnot ini")
    code, report = _doctor(run_cli)
    assert code == 1
    assert "cannot be parsed" in _find(report, "config", "FAIL")[0]["summary"]
    config_path.write_text(_config(signed_in))
    code, report = _doctor(run_cli, profile="nope")
    assert code == 1
    assert "profiles there: staging" in _find(report, "profile", "FAIL")[0]["evidence"]


def test_session_duration_is_reported(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(signed_in, session_extra="sso_session_duration = 12h\n"))
    _, report = _doctor(run_cli)
    assert _find(report, "session duration", "OK")[0]["summary"] == (
        f"[sso-session {SSO_SESSION}] sso_session_duration = 12h (43200 s)"
    )
    config_path.write_text(_config(signed_in, session_extra="sso_session_duration = soon\n"))
    _, report = _doctor(run_cli)
    assert _find(report, "session duration", "WARN")


def test_role_chain_resolves_to_its_sso_root(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(
        _config(signed_in)
        + "\n[profile deploy]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\n"
        f"source_profile = {PROFILE}\n"
    )
    code, report = _doctor(run_cli, profile="deploy")
    assert code == 0, report
    finding = _find(report, "profile", "OK")[0]
    assert "role chain" in finding["summary"]
    assert f"SSO profile '{PROFILE}'" in finding["summary"]
    assert finding["evidence"] == [f"chain: deploy -> {PROFILE}"]
    assert _find(report, "token", "OK")


def test_our_credential_process_profile_is_checked_like_its_sign_in(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    emu = point_at(sso_emulator)
    emu.seed_token_cache()  # under the start URL: the command's sso-session will not find it
    config_path.write_text(
        _config(emu) + "\n[profile cp]\ncredential_process = refreshable-sso credential-process "
        f"--sso-session {SSO_SESSION} --sso-region {emu.region} --account-id 111111111111 "
        "--role-name AdministratorAccess\n"
    )
    code, report = _doctor(run_cli, profile="cp")
    assert code == 1
    summary = _find(report, "profile", "OK")[0]["summary"]
    assert "our command, for account 111111111111, role AdministratorAccess" in summary
    assert "another key" in _find(report, "token", "FAIL")[0]["summary"]
    fixed = run_cli("doctor", "--profile", "cp", "--fix")
    assert fixed.code == 0, fixed.out
    assert token_cache_path(emu.start_url, SSO_SESSION).exists()


def test_a_plaintext_refresh_token_is_reported_with_the_migrate_command(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(_config(signed_in))
    _, report = _doctor(run_cli, "--offline")
    finding = _find(report, "token storage")[0]
    assert "plain text" in finding["summary"]
    assert any("refreshToken" in line and "plain text" in line for line in finding["evidence"])
    assert any("the AWS CLI's plain JSON files" in line for line in finding["evidence"])
    assert (
        finding["fix"]
        == f"refreshable-sso storage migrate --to keyring --sso-session {SSO_SESSION}"
    )


def test_plaintext_copies_under_keyring_storage_warn_with_the_fix(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(
        _config(signed_in, session_extra="refreshable_sso_token_storage = keyring\n")
    )
    _, report = _doctor(run_cli, "--offline")
    finding = _find(report, "token storage", "WARN")[0]
    assert "still in plain text" in finding["summary"]
    assert any("the OS keyring (export short-lived" in line for line in finding["evidence"])
    assert (
        finding["fix"]
        == f"refreshable-sso storage migrate --to keyring --sso-session {SSO_SESSION}"
    )
    result = run_cli("doctor", "--profile", PROFILE, "--offline")
    assert "fix: refreshable-sso storage migrate --to keyring" in result.out
