"""The constructor takes options as objects: ``storage=`` and ``login_options=`` among them.

The session's constructor names whose sign-in and which role, the region, three shortcuts and
the configuration objects; every other setting is a field of an object. These tests show the
two objects this structure added carry what the flat keywords carried (and more: a sign-in's
prompt, browser and timeout settings reach the session's own sign-in), that a flat keyword of
earlier releases still works and wins over the same field in an object, and that a wrong
value is a ``ConfigurationError`` naming it. Real sessions against the emulator over HTTP.
"""

from __future__ import annotations

import os
import pickle
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from refreshable_sso import LoginOptions, StorageConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from tests.session.conftest import session_for


def _files_under(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, files in os.walk(root)
        for name in files
    )


def test_a_storage_object_keeps_the_sign_in_in_its_mappings(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    tokens: dict[str, Any] = {}
    credentials: dict[str, Any] = {}
    storage = StorageConfig(token_cache=tokens, credential_cache=credentials)
    assert storage.token_cache is tokens  # the caller's object, never a copy
    assert "token_cache=" not in repr(storage)  # it holds tokens
    assert "credential_cache=" not in repr(storage)
    session = session_for(sso_emulator, login="auto", login_flow="device", storage=storage)
    assert session.storage_config.token_cache is tokens
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    session.close()
    assert len(credentials) == 1
    assert any("accessToken" in value for value in tokens.values())
    assert _files_under(isolated_aws_home / ".aws") == []


def test_a_storage_dict_and_a_flat_keyword_over_it(signed_in: Emulator, tmp_path: Path) -> None:
    object_dir, flat_dir = tmp_path / "object", tmp_path / "flat"
    session = session_for(
        signed_in,
        storage={"credential_cache_dir": str(object_dir), "cache_credentials": True},
        credential_cache_dir=flat_dir,  # the flat keyword of earlier releases wins
    )
    assert session.storage_config.credential_cache_dir == flat_dir
    assert session.whoami()["Account"] == signed_in.default_account_id
    assert len(list(flat_dir.glob("*.json"))) == 1
    assert not object_dir.exists()
    # cache_credentials=False in the object: nothing shared
    private = session_for(
        signed_in, storage=StorageConfig(credential_cache_dir=object_dir, cache_credentials=False)
    )
    assert private.whoami()["Account"] == signed_in.default_account_id
    assert not object_dir.exists()


def test_login_options_reach_the_sessions_own_sign_in(sso_emulator: Emulator) -> None:
    """A prompt callback (and the flow) given once, in the object, are what the session's
    sign-in uses; what the session owns (scopes, endpoints, where the token goes) it sets."""
    prompts: list[tuple[str, str]] = []

    def prompt(uri: str, code: str, uri_complete: str, expires_at: datetime) -> None:
        prompts.append((uri, code))

    options = LoginOptions(flow="device", prompt_callback=prompt, timeout=30)
    session = session_for(sso_emulator, login="auto", login_options=options)
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    assert sso_emulator.calls("StartDeviceAuthorization") == 1
    assert len(prompts) == 1
    assert prompts[0][0].startswith(sso_emulator.url)
    # the token went where the session reads it: a plain 'never' session now works too
    assert session_for(sso_emulator).whoami()["Account"] == sso_emulator.default_account_id


def test_the_flat_login_flow_wins_over_the_objects_flow(sso_emulator: Emulator) -> None:
    session = session_for(
        sso_emulator,
        login="auto",
        login_options={"flow": "pkce", "timeout": 30},
        login_flow="device",
    )
    assert session.whoami()["Account"] == sso_emulator.default_account_id
    assert sso_emulator.calls("StartDeviceAuthorization") == 1


def test_wrong_objects_are_configuration_errors_naming_the_field(sso_emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="token_cache: expected a dict"):
        session_for(sso_emulator, storage={"token_cache": 5})
    with pytest.raises(ConfigurationError, match="token_dir"):
        session_for(sso_emulator, storage={"token_dir": "/tmp"})
    with pytest.raises(ConfigurationError, match="login_options: expected a LoginOptions"):
        session_for(sso_emulator, login_options=5)
    with pytest.raises(ConfigurationError, match="timeout"):
        session_for(sso_emulator, login_options={"timeout": -1})


def test_login_options_travel_with_a_pickled_auto_session(sso_emulator: Emulator) -> None:
    options = LoginOptions(flow="device", timeout=42)
    session = session_for(sso_emulator, login="auto", login_options=options)
    rebuilt = pickle.loads(pickle.dumps(session))  # noqa: S301 - our own pickle
    assert rebuilt._login_options == options
    # a callback that cannot travel is named, not silently dropped
    unpicklable = session_for(
        sso_emulator, login="auto", login_options={"notifier": lambda text: None}
    )
    with pytest.raises(pickle.PicklingError, match="login_options"):
        pickle.dumps(unpicklable)
