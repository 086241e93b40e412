"""TokenCache: the AWS CLI token file, read and written the way botocore does."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.utils import JSONFileCache, SSOTokenLoader
from pydantic import SecretStr

from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.paths import sso_cache_dir
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.store import TokenCache

START_URL = "https://d-1234567890.awsapps.com/start"


def make_token(**changes: object) -> SSOToken:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    values: dict[str, object] = {
        "access_token": SecretStr("access-token-value"),
        "expires_at": now + timedelta(hours=1),
        "start_url": START_URL,
        "region": "eu-west-1",
        "refresh_token": SecretStr("refresh-token-value"),
        "client_id": "client-id",
        "client_secret": SecretStr("client-secret-value"),
        "registration_expires_at": now + timedelta(days=90),
    }
    values.update(changes)
    return SSOToken(**values)  # type: ignore[arg-type]


def test_save_then_load_round_trips_in_aws_cli_format(isolated_aws_home: Path) -> None:
    cache = TokenCache(START_URL, "corp")
    token = make_token()

    cache.save(token)

    assert cache.path.parent == sso_cache_dir()
    assert cache.path.parent.is_relative_to(isolated_aws_home)
    assert cache.load() == token
    raw = json.loads(cache.path.read_text())
    assert raw["accessToken"] == "access-token-value"
    assert raw["expiresAt"].endswith("Z")
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.path.parent).st_mode) == 0o700


def test_plain_botocore_reads_the_token_we_wrote(tmp_path: Path) -> None:
    cache = TokenCache(START_URL, "corp", cache_dir=tmp_path)
    cache.save(make_token())

    loaded = SSOTokenLoader(cache=JSONFileCache(str(tmp_path)))(START_URL, session_name="corp")

    assert loaded["accessToken"] == "access-token-value"
    assert loaded["refreshToken"] == "refresh-token-value"
    assert loaded["clientSecret"] == "client-secret-value"


def test_we_read_the_token_the_emulator_wrote_like_aws_sso_login(
    sso_emulator: Emulator, tmp_path: Path
) -> None:
    path = sso_emulator.seed_token_cache(tmp_path, sso_session_name="corp")
    cache = TokenCache(sso_emulator.start_url, "corp", cache_dir=tmp_path)
    assert cache.path == path
    token = cache.load()
    assert token is not None
    assert token.can_refresh()
    assert token.access_token.get_secret_value() == json.loads(path.read_text())["accessToken"]


def test_unknown_keys_survive_a_save_and_known_keys_follow_the_token(tmp_path: Path) -> None:
    cache = TokenCache(START_URL, cache_dir=tmp_path)
    cache.save(make_token())
    data = json.loads(cache.path.read_text())
    data["somethingNew"] = {"from": "a newer CLI"}
    cache.path.write_text(json.dumps(data))

    cache.save(make_token(refresh_token=None, client_secret=None))

    saved = json.loads(cache.path.read_text())
    assert saved["somethingNew"] == {"from": "a newer CLI"}
    assert "refreshToken" not in saved  # a key we own follows the token being saved
    assert "clientSecret" not in saved


@pytest.mark.parametrize(
    "content",
    [
        {"accessToken": "x"},
        {"accessToken": "x", "expiresAt": "not a date"},
        {"accessToken": ["x"], "expiresAt": "2030-01-01T00:00:00Z"},
        {"accessToken": "", "expiresAt": "2030-01-01T00:00:00Z"},
    ],
    ids=["no-expiry", "bad-date", "token-not-string", "empty-token"],
)
def test_wrong_shaped_token_is_moved_aside(tmp_path: Path, content: dict[str, object]) -> None:
    cache = TokenCache(START_URL, cache_dir=tmp_path)
    cache.path.write_text(json.dumps(content))

    assert cache.load() is None

    assert json.loads(cache.path.with_suffix(".corrupt").read_text()) == content
    assert not cache.path.exists()


def test_delete_and_repr(tmp_path: Path) -> None:
    cache = TokenCache(START_URL, "corp", cache_dir=tmp_path)
    assert cache.delete() is False
    cache.save(make_token())
    assert "corp" in repr(cache)
    assert "value" not in repr(cache)
    assert cache.delete() is True
    assert cache.load() is None
