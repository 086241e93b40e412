"""`refreshable-sso configure populate` against a 60-account emulator directory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from botocore.configloader import load_config

from refreshable_sso.emulator import Emulator
from refreshable_sso.populate import GENERATED_KEY, normalise_profile_name

from .conftest import HAND_WRITTEN, N_ACCOUNTS, SSO_SESSION, Runner, directory

REMOVED = {3, 17, 29, 41, 58}


def _populate(run_cli: Runner, emu: Emulator, *extra: str) -> Any:
    return run_cli(
        "configure",
        "populate",
        "--sso-session",
        SSO_SESSION,
        "--start-url",
        emu.start_url,
        "--sso-region",
        emu.region,
        "--region",
        "eu-central-1",
        *extra,
    )


def _generated_tail(text: str) -> str:
    assert text.startswith(HAND_WRITTEN), "the hand-written part changed"
    return text[len(HAND_WRITTEN) :]


def _sections(text: str) -> list[str]:
    return re.findall(r"^\[([^\]]+)\]", text, flags=re.MULTILINE)


def test_populate_then_prune_keeps_hand_written_bytes(
    sso_emulator_factory: Any, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(HAND_WRITTEN)
    emu = point_at(sso_emulator_factory(directory=directory(N_ACCOUNTS)))
    emu.seed_token_cache(sso_session_name=SSO_SESSION)

    first = _populate(run_cli, emu)
    assert first.code == 0, first.err
    text = config_path.read_text()
    tail = _generated_tail(text)
    sections = _sections(tail)
    assert sections[0] == f"sso-session {SSO_SESSION}"
    profiles = [s for s in sections if s.startswith("profile ")]
    assert len(profiles) == N_ACCOUNTS * 2
    assert "profile Team-000.AdministratorAccess" in profiles
    assert (config_path.parent / "config.bak").read_text() == HAND_WRITTEN
    assert "120 added" in first.out

    # botocore reads every generated profile as a complete sso-session profile
    loaded = load_config(str(config_path))
    prof = loaded["profiles"]["Team-059.ReadOnlyAccess"]
    assert prof["sso_session"] == SSO_SESSION
    assert prof["sso_account_id"] == "100000000059"
    assert prof["sso_role_name"] == "ReadOnlyAccess"
    assert prof["region"] == "eu-central-1"
    assert prof[GENERATED_KEY] == SSO_SESSION
    assert loaded["sso_sessions"][SSO_SESSION]["sso_start_url"] == emu.start_url

    # idempotent: a second run changes nothing at all (not even the backup)
    again = _populate(run_cli, emu)
    assert again.code == 0, again.err
    assert "nothing to change" in again.out
    assert config_path.read_text() == text

    # five accounts go away; --prune removes exactly their ten profiles and nothing else
    emu.stop()
    smaller = point_at(sso_emulator_factory(directory=directory(N_ACCOUNTS, skip=REMOVED)))
    smaller.seed_token_cache(sso_session_name=SSO_SESSION)
    pruned = _populate(run_cli, smaller, "--prune")
    assert pruned.code == 0, pruned.err
    assert "10 removed" in pruned.out
    after = config_path.read_text()
    remaining = [s for s in _sections(_generated_tail(after)) if s.startswith("profile ")]
    gone = {
        f"profile Team-{i:03d}.{r}"
        for i in REMOVED
        for r in ("AdministratorAccess", "ReadOnlyAccess")
    }
    assert set(remaining) == set(profiles) - gone
    # the remaining generated text is the first run's text with the removed sections cut out
    expected = text
    for section in gone:
        expected = re.sub(
            rf"^\[{re.escape(section)}\]\n(?:[^\[\n].*\n)*\n", "", expected, flags=re.MULTILINE
        )
    assert after == expected
    assert (config_path.parent / "config.bak").read_text() == text


def test_prune_never_touches_hand_written_or_other_sessions(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    other = "[profile Production.Gone]\nsso_session = other\nrefreshable_sso_generated = other\n"
    config_path.write_text(HAND_WRITTEN + "\n" + other)
    result = _populate(run_cli, signed_in, "--prune")
    assert result.code == 0, result.err
    text = config_path.read_text()
    assert text.startswith(HAND_WRITTEN + "\n" + other)
    assert "0 removed" in result.out


def test_name_collision_with_hand_written_profile_is_refused(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    mine = "# mine\n[profile Staging.ReadOnlyAccess]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = ReadOnlyAccess\n"
    config_path.write_text(mine)
    refused = _populate(run_cli, signed_in)
    assert refused.code != 0
    assert "Staging.ReadOnlyAccess" in refused.err
    assert "--force" in refused.err
    assert "Traceback" not in refused.err
    assert config_path.read_text() == mine  # nothing written at all
    assert not (config_path.parent / "config.bak").exists()

    forced = _populate(run_cli, signed_in, "--force")
    assert forced.code == 0, forced.err
    assert "overwrote hand-written profile Staging.ReadOnlyAccess" in forced.out
    prof = load_config(str(config_path))["profiles"]["Staging.ReadOnlyAccess"]
    assert prof[GENERATED_KEY] == SSO_SESSION
    assert prof["region"] == "eu-central-1"


def test_dry_run_prints_a_diff_and_writes_nothing(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    config_path.write_text(HAND_WRITTEN)
    result = _populate(run_cli, signed_in, "--dry-run")
    assert result.code == 0, result.err
    assert "+[profile Development.AdministratorAccess]" in result.out
    assert "+sso_account_id = 111111111111" in result.out
    assert "nothing written" in result.out
    assert config_path.read_text() == HAND_WRITTEN


def test_credential_process_profiles_have_no_sso_keys(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    result = _populate(
        run_cli, signed_in, "--credential-process", "--profile-name", "{account_id}-{role_name}"
    )
    assert result.code == 0, result.err
    prof = load_config(str(config_path))["profiles"]["111111111111-PowerUserAccess"]
    assert not [k for k in prof if k.startswith("sso_")]
    assert prof["credential_process"] == (
        f"refreshable-sso credential-process --sso-session {SSO_SESSION} --sso-region "
        f"{signed_in.region} --account-id 111111111111 --role-name PowerUserAccess"
    )


def test_template_fields_and_normalised_names(
    signed_in: Emulator, run_cli: Runner, config_path: Path
) -> None:
    result = _populate(
        run_cli, signed_in, "--profile-name", "{session} {account_name}/{role_name} [{region}]"
    )
    assert result.code == 0, result.err
    names = load_config(str(config_path))["profiles"]
    assert "corp-Development-AdministratorAccess-eu-central-1" in names
    assert normalise_profile_name("  a  b//c.  ") == "a-b-c"

    bad = _populate(run_cli, signed_in, "--profile-name", "{acount}.{role_name}")
    assert bad.code != 0
    assert "'acount'" in bad.err
    assert "{account_name}" in bad.err

    clash = _populate(run_cli, signed_in, "--profile-name", "{account_name}", "--dry-run")
    assert clash.code != 0
    assert "Development" in clash.err
    assert "{role_name}" in clash.err


def test_missing_sign_in_is_a_clear_error(signed_in: Emulator, run_cli: Runner) -> None:
    result = run_cli("configure", "populate", "--sso-session", "nowhere")
    assert result.code != 0
    assert "--start-url" in result.err
    assert "nowhere" in result.err
    assert "Traceback" not in result.err


def test_no_cached_token_names_the_login_and_writes_nothing(
    sso_emulator: Emulator, point_at: Any, run_cli: Runner, config_path: Path
) -> None:
    point_at(sso_emulator)
    config_path.write_text(HAND_WRITTEN)
    result = _populate(run_cli, sso_emulator)
    assert result.code == 1
    assert "login" in result.err
    assert SSO_SESSION in result.err
    assert "Traceback" not in result.err
    assert config_path.read_text() == HAND_WRITTEN
