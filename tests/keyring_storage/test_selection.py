"""Choosing keyring storage, without a Secret Service: the sso-session keys, validation, what
plain boto3 makes of our key, and the clear error on a machine with no D-Bus session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from refreshable_sso.config import SSOConfig, validate
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.profiles.reader import load_sso_profile
from refreshable_sso.storage.keyring import KeyringRecord, TokenStorage
from refreshable_sso.tokens.login.device import DeviceCodeProvider
from refreshable_sso.tokens.login.options import LoginOptions
from refreshable_sso.tokens.login.signin import login

SSO_SESSION = "vault"


def _config(home: Path, emu: Emulator, lines: str) -> None:
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(
        f"[sso-session {SSO_SESSION}]\nsso_start_url = {emu.start_url}\n"
        f"sso_region = {emu.region}\nsso_registration_scopes = sso:account:access\n{lines}\n"
        f"[profile dev]\nsso_session = {SSO_SESSION}\n"
        f"sso_account_id = {emu.default_account_id}\nsso_role_name = {emu.default_role_name}\n"
        "region = eu-west-1\n"
    )


def test_the_sso_session_section_remembers_the_storage(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    _config(
        isolated_aws_home,
        sso_emulator,
        "refreshable_sso_token_storage = keyring\nrefreshable_sso_token_export = none\n",
    )
    profile = load_sso_profile("dev")
    assert (profile.token_storage, profile.token_export) == ("keyring", "none")
    sso = validate(SSOConfig, None, **profile.sso_fields())
    assert sso.storage() == TokenStorage("keyring", "none")
    _config(isolated_aws_home, sso_emulator, "")
    sso = validate(SSOConfig, None, **load_sso_profile("dev").sso_fields())
    assert sso.storage() == TokenStorage("file", "short-lived")
    assert not sso.storage().keyring


def test_a_wrong_storage_is_a_configuration_error_naming_the_choices(
    sso_emulator: Emulator,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate(
            SSOConfig,
            None,
            start_url=sso_emulator.start_url,
            sso_region=sso_emulator.region,
            account_id=sso_emulator.default_account_id,
            role_name=sso_emulator.default_role_name,
            token_storage="vault",
        )
    assert "token_storage" in str(caught.value)
    assert "keyring" in str(caught.value)
    with pytest.raises(ValueError, match="'file' or 'keyring'"):
        TokenStorage.of("vault")
    with pytest.raises(ValueError, match="'short-lived' or 'none'"):
        TokenStorage.of("keyring", "all")


def test_plain_boto3_ignores_our_key_in_the_sso_session_section(
    sso_emulator_env: Emulator, isolated_aws_home: Path
) -> None:
    emu = sso_emulator_env
    _config(isolated_aws_home, emu, "refreshable_sso_token_storage = keyring\n")
    emu.seed_token_cache(sso_session_name=SSO_SESSION)  # a token where botocore looks
    identity = boto3.Session(profile_name="dev").client("sts").get_caller_identity()
    assert identity["Account"] == emu.default_account_id


_NO_DBUS = textwrap.dedent(
    """
    import json
    from refreshable_sso.errors import KeyringUnavailableError
    from refreshable_sso.storage.keyring import TokenStorage
    from refreshable_sso.tokens.store import TokenCache

    cache = TokenCache("https://example.awsapps.com/start", "vault",
                       storage=TokenStorage("keyring"))
    try:
        cache.load()
        print(json.dumps({"error": None}))
    except KeyringUnavailableError as exc:
        print(json.dumps({"error": [exc.reason, str(exc)]}))
    """
)


def test_no_dbus_session_gives_the_clear_error_naming_the_fix(tmp_path: Path) -> None:
    """A headless server without D-Bus: our error, no plain-text file, no hang."""
    pytest.importorskip("keyring")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
    }
    env.update(HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path / "no-runtime"))
    done = subprocess.run(
        [sys.executable, "-c", _NO_DBUS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    reason, message = json.loads(done.stdout.strip().splitlines()[-1])["error"]
    assert reason == "missing"
    assert "dbus-run-session" in message
    assert "--storage file" in message
    assert not any(tmp_path.rglob("*.json"))


def test_login_options_carry_the_storage_to_the_providers(sso_emulator: Emulator) -> None:
    """``token_storage``/``token_export`` are ``LoginOptions`` fields (None: the defaults), and
    the provider built from them keeps its token and client registration in the keyring."""
    options = LoginOptions(token_storage="keyring", token_export="none")
    assert options.storage() == TokenStorage("keyring", "none")
    assert LoginOptions(token_storage=None, token_export=None).storage() == TokenStorage()
    with pytest.raises(ConfigurationError) as caught:
        LoginOptions(token_storage="vault")
    assert "token_storage" in str(caught.value)
    provider = DeviceCodeProvider(
        sso_emulator.start_url, sso_emulator.region, sso_session_name=SSO_SESSION, options=options
    )
    assert provider.options is options
    assert isinstance(provider.registrar.file, KeyringRecord)
    assert isinstance(provider.token_cache.file, KeyringRecord)
    assert provider.token_cache.export_file is not None  # "none": removed on every save
    with pytest.raises(ConfigurationError, match="token_storage"):
        login(
            sso_emulator.start_url,
            sso_emulator.region,
            sso_session_name=SSO_SESSION,
            token_storage="keyring",
            options=LoginOptions(),
        )


@pytest.mark.parametrize("front_door", ["sync", "async"])
def test_both_sessions_hand_the_storage_to_the_whole_login_chain(
    sso_emulator: Emulator, tmp_path: Path, front_door: str
) -> None:
    """The session core takes ``token_storage``/``token_export`` for both front doors, and the
    token reader, the login policy and the sign-in's options all keep to the keyring."""
    if front_door == "async":
        pytest.importorskip("aiobotocore")
        from refreshable_sso.aio import AioSSORefreshableSession as session_class
    else:
        from refreshable_sso.session import SSORefreshableSession as session_class
    session = session_class(
        start_url=sso_emulator.start_url,
        sso_region=sso_emulator.region,
        account_id=sso_emulator.default_account_id,
        role_name=sso_emulator.default_role_name,
        sso_session_name=SSO_SESSION,
        region_name="us-east-1",
        login="auto",
        login_flow="device",
        token_cache_dir=tmp_path,
        endpoints={"sso": sso_emulator.url, "sso_oidc": sso_emulator.url},
        defer_refresh=True,
        token_storage="keyring",
        token_export="none",
    )
    assert session.sso_config.storage() == TokenStorage("keyring", "none")
    policy = session._login_policy
    assert policy is not None
    interactive = policy.interactive
    assert isinstance(interactive, DeviceCodeProvider)
    assert interactive.options.storage() == TokenStorage("keyring", "none")
    assert interactive.token_cache is policy.token_cache
    assert isinstance(policy.token_cache.file, KeyringRecord)
    assert isinstance(interactive.registrar.file, KeyringRecord)
    with pytest.raises(ConfigurationError, match="token_export"):
        session_class(
            start_url=sso_emulator.start_url,
            sso_region=sso_emulator.region,
            account_id=sso_emulator.default_account_id,
            role_name=sso_emulator.default_role_name,
            token_storage="keyring",
            token_export="all",
        )
