"""Our record of when a sign-in happened: written by our logins, carried across our refreshes,
never in the AWS CLI's token file, and unknown for a token someone else refreshed."""

from __future__ import annotations

import json
import time

from refreshable_sso import login
from refreshable_sso.emulator import Emulator
from refreshable_sso.storage.paths import private_dir, sign_in_record_path
from refreshable_sso.tokens.cached import CachedTokenProvider
from refreshable_sso.tokens.store import TokenCache

from .helpers import SSO_SESSION, read_json


def test_record_follows_our_refreshes_and_only_ours(sso_emulator: Emulator) -> None:
    emu = sso_emulator
    before = time.time()
    login(
        emu.start_url,
        emu.region,
        sso_session_name=SSO_SESSION,
        use_device_code=True,
        open_browser=False,
        prompt_callback=lambda *args, **kwargs: None,
        oidc_endpoint_url=emu.url,
        timeout=30,
    )
    cache = TokenCache(emu.start_url, SSO_SESSION)
    record = sign_in_record_path(cache.path)
    assert record.parent == private_dir(cache.path.parent)
    assert "signedInAt" not in read_json(cache.path)  # the CLI's format is unchanged
    signed_in = cache.signed_in_at(cache.load())
    assert signed_in is not None
    assert before - 1 <= signed_in.timestamp() <= time.time() + 1

    provider = CachedTokenProvider(
        emu.start_url, emu.region, sso_session_name=SSO_SESSION, oidc_endpoint_url=emu.url
    )
    provider.get_token(force_refresh=True)  # the refresh token rotates
    assert emu.calls("CreateToken") >= 2
    assert cache.signed_in_at(cache.load()) == signed_in  # carried over

    # Another program rotates the refresh token without us: the sign-in is no longer known.
    data = read_json(cache.path)
    data["refreshToken"] = "rotated-elsewhere"
    cache.path.write_text(json.dumps(data))
    assert cache.signed_in_at(cache.load()) is None


def test_seeded_token_has_no_record(sso_emulator: Emulator) -> None:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    cache = TokenCache(sso_emulator.start_url, SSO_SESSION)
    assert cache.signed_in_at(cache.load()) is None
