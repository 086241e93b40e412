"""Faults of issue 9 in the token store: repair instead of quarantine, private folders,
no lock files of ours in the AWS CLI's folders, and the AWS CLI's file formats."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.tokens import SSOTokenProvider
from botocore.utils import JSONFileCache

from refreshable_sso import login
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import LoginRequiredError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.storage.paths import (
    private_dir,
    registration_cache_key,
    registration_cache_path,
    sso_cache_dir,
)
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.registration import DEFAULT_SCOPES
from tests.fork_server import ForkServer

from .helpers import SSO_SESSION, age_token, read_json
from .test_multiprocess import PRELOAD, run_together


def _provider(emu: Emulator) -> CachedTokenProvider:
    return CachedTokenProvider(
        emu.start_url, emu.region, sso_session_name=SSO_SESSION, oidc_endpoint_url=emu.url
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- 1. never lose a usable refresh grant ---------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [{"accessToken": None}, {"accessToken": "<missing>"}, {"expiresAt": 1767225600}],
    ids=["access-token-null", "access-token-missing", "expires-at-integer"],
)
def test_partly_invalid_token_file_is_repaired_by_one_refresh(
    sso_emulator: Emulator, damage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    emu = sso_emulator
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    data = read_json(path)
    for key, value in damage.items():
        if value == "<missing>":
            del data[key]
        else:
            data[key] = value
    path.write_text(json.dumps(data))
    caplog.set_level(logging.WARNING, logger="refreshable_sso")

    token = _provider(emu).get_token()

    assert emu.calls("CreateToken") == 1
    assert emu.calls("StartDeviceAuthorization") == 0
    assert not list(path.parent.glob("*.corrupt"))
    saved = read_json(path)
    assert SSOToken.from_cache_dict(saved).access_token == token.access_token  # whole again
    assert saved["refreshToken"] != data["refreshToken"]  # rotated and saved
    assert any("repairing it with a refresh" in r.getMessage() for r in caplog.records)


def test_token_file_without_a_refresh_grant_is_still_quarantined(sso_emulator: Emulator) -> None:
    path = sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    age_token(path, seconds_left=3600, accessToken=None, refreshToken=None)
    with pytest.raises(LoginRequiredError):
        _provider(sso_emulator).get_token()
    assert path.with_suffix(".corrupt").exists()


def test_garbage_registration_file_costs_no_login(sso_emulator: Emulator) -> None:
    emu = sso_emulator
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    age_token(path, seconds_left=60)  # the token will be refreshed: with its own grant
    registration = registration_cache_path(
        emu.start_url, emu.region, list(DEFAULT_SCOPES), SSO_SESSION
    )
    registration.write_bytes(b"\x00 not json {")
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name=SSO_SESSION,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        region_name=emu.region,
        login="auto",
        login_flow="device",
        endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
    )
    assert session.whoami()["Account"] == emu.default_account_id
    assert emu.calls("CreateToken") == 1
    assert emu.calls("RegisterClient") == 0
    assert emu.calls("StartDeviceAuthorization") == 0


# -- 2. private directories, always ---------------------------------------------------------


def _sign_in(emu: Emulator, **options: Any) -> None:
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        open_browser=False,
        prompt_callback=lambda *args, **kwargs: None,
        oidc_endpoint_url=emu.url,
        timeout=30,
        **options,
    )


def _fetch_role_credentials(emu: Emulator) -> None:
    session = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name=SSO_SESSION,
        account_id=emu.default_account_id,
        role_name=emu.default_role_name,
        endpoints={"sso": emu.url, "sso_oidc": emu.url, "sts": emu.url},
    )
    session.refresh_credentials()


def test_fresh_login_in_an_empty_home_creates_only_0700_directories(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    aws = isolated_aws_home / ".aws"
    assert not aws.exists()
    _sign_in(sso_emulator)
    _fetch_role_credentials(sso_emulator)
    directories = [aws, *(p for p in aws.rglob("*") if p.is_dir())]
    assert {str(d.relative_to(isolated_aws_home)) for d in directories} >= {
        ".aws",
        ".aws/sso",
        ".aws/sso/cache",
        ".aws/cli",
        ".aws/cli/cache",
    }
    assert {str(d): oct(_mode(d)) for d in directories} == {str(d): "0o700" for d in directories}


def test_existing_0755_aws_directory_is_left_alone(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    aws = isolated_aws_home / ".aws"
    aws.mkdir()
    aws.chmod(0o755)
    _sign_in(sso_emulator)
    assert _mode(aws) == 0o755
    assert _mode(aws / "sso") == 0o700
    assert _mode(aws / "sso" / "cache") == 0o700


def test_a_0644_token_file_warns_once_and_is_0600_after_our_next_write(
    sso_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    path = sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")
    _provider(sso_emulator).get_token()
    _provider(sso_emulator).get_token()  # another reader in this process: no second warning
    warnings = [
        r.getMessage() for r in caplog.records if "accessible to other users" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert f"chmod 600 {path}" in warnings[0]
    assert _mode(path) == 0o644  # reading never changes it
    age_token(path, seconds_left=60)
    path.chmod(0o644)
    _provider(sso_emulator).get_token()  # refreshes, so writes the file
    assert _mode(path) == 0o600


# -- our lock files live in our own private folder --------------------------------------------


def _our_files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".lock"))


def test_no_lock_files_of_ours_in_the_aws_cli_cache_folders(sso_emulator: Emulator) -> None:
    _sign_in(sso_emulator)
    _fetch_role_credentials(sso_emulator)
    sso_cache = sso_cache_dir()
    cli_cache = sso_cache.parent.parent / "cli" / "cache"
    assert list(cli_cache.glob("*.json")), "role credentials were cached"
    assert _our_files_in(sso_cache) == []
    assert _our_files_in(cli_cache) == []
    for cache in (sso_cache, cli_cache):
        ours = private_dir(cache)
        assert ours.parent == cache.parent  # beside the cache folder, not inside it
        assert _mode(ours) == 0o700
        assert _our_files_in(ours)  # the locks are here instead


@pytest.mark.multiprocess
def test_eight_processes_still_single_flight_with_the_private_lock_folder(
    sso_emulator_env: Emulator, tmp_path: Path, fork_server: Callable[..., ForkServer]
) -> None:
    emu = sso_emulator_env
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    age_token(path, seconds_left=60)
    results = run_together(emu, tmp_path / "rendezvous", fork_server(PRELOAD))
    assert all(r["ok"] for r in results), results
    assert emu.calls("CreateToken") == 1
    assert emu.errors("CreateToken") == {}
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # nothing else
    assert (private_dir(path.parent) / f"{path.name}.lock").exists()


# -- 6. the AWS CLI's file formats -----------------------------------------------------------


def test_token_keys_are_in_botocores_order(sso_emulator_env: Emulator) -> None:
    """botocore's own SSOTokenProvider refreshes a token and writes the file; ours must match."""
    emu = sso_emulator_env
    config = emu.start_url
    aws_config = Path(os.environ["AWS_CONFIG_FILE"])
    aws_config.parent.mkdir(parents=True, exist_ok=True)
    aws_config.write_text(
        f"[profile p]\nsso_session = {SSO_SESSION}\n\n"
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {config}\nsso_region = {emu.region}\n"
    )
    path = emu.seed_token_cache(sso_session_name=SSO_SESSION)
    age_token(path, seconds_left=60)  # inside botocore's refresh window
    core = botocore.session.Session(profile="p")
    provider = SSOTokenProvider(core, cache=JSONFileCache(str(sso_cache_dir())))
    provider.load_token().get_frozen_token()
    botocore_order = list(read_json(path))
    assert emu.calls("CreateToken") == 1, "botocore refreshed and wrote the file"

    token = SSOToken.from_cache_dict(read_json(path))
    assert list(token.to_cache_dict()) == botocore_order
    assert botocore_order == [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ]


def test_legacy_registration_file_name_is_the_aws_cli_v2_formula() -> None:
    """AWS CLI v2 ``SSOTokenFetcher._registration_cache_key`` (awscli/botocore/utils.py):
    sha1 of the sorted JSON of tool, startUrl, region, scopes and session_name; a legacy login
    (``do_sso_login`` in awscli/customizations/sso/utils.py) passes no scopes. No AWS CLI v2 is
    installable from PyPI, so the formula is restated here from its source."""
    start_url, region = "https://d-1234567890.awsapps.com/start", "eu-west-1"

    def cli(scopes: list[str] | None, session_name: str | None) -> str:
        args = {
            "tool": "botocore",
            "startUrl": start_url,
            "region": region,
            "scopes": scopes,
            "session_name": session_name,
        }
        return hashlib.sha1(
            json.dumps(args, sort_keys=True).encode(), usedforsecurity=False
        ).hexdigest()

    assert registration_cache_key(start_url, region, list(DEFAULT_SCOPES), None) == cli(None, None)
    assert registration_cache_key(start_url, region, ["sso:account:access"], "corp") == cli(
        ["sso:account:access"], "corp"
    )


def test_login_required_names_the_real_sso_region(sso_emulator: Emulator) -> None:
    provider = CachedTokenProvider(sso_emulator.start_url, "eu-central-1")
    with pytest.raises(LoginRequiredError) as info:
        provider.get_token()
    assert "--sso-region eu-central-1" in str(info.value)
    assert "REGION`" not in str(info.value)
