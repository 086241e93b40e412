"""A hung SSO endpoint with default HTTP settings: a bounded wait, and a message that states it."""

from __future__ import annotations

import re
import time

import pytest

from refreshable_sso.aws.clients import DEFAULT_HTTP
from refreshable_sso.config import HttpConfig
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import CredentialRefreshError
from tests.session.conftest import session_for

HANG = 120.0  # far longer than any timeout: the endpoint never answers in time
STATED_WAIT = re.compile(
    r"no answer after (\d+(?:\.\d+)?) s \((\d+) attempt\(s\) x (\d+(?:\.\d+)?) s"
)


def test_defaults_bound_a_hung_endpoint_to_about_20_seconds() -> None:
    assert DEFAULT_HTTP.max_attempts * DEFAULT_HTTP.read_timeout <= 15
    assert DEFAULT_HTTP.max_attempts * DEFAULT_HTTP.connect_timeout <= 15
    assert HttpConfig().to_settings() == DEFAULT_HTTP


@pytest.mark.soak
@pytest.mark.timing  # compares a measured wait with the stated one: runs alone
def test_hung_sso_endpoint_fails_within_25_s_and_says_how_long(signed_in: Emulator) -> None:
    signed_in.faults.set("GetRoleCredentials", latency=HANG)
    session = session_for(signed_in, cache_credentials=False)
    started = time.monotonic()
    with pytest.raises(CredentialRefreshError) as caught:
        session.get_credentials().get_frozen_credentials()
    waited = time.monotonic() - started
    signed_in.faults.clear()
    message = str(caught.value)
    match = STATED_WAIT.search(message)
    assert match, message
    stated, attempts, per_try = float(match[1]), int(match[2]), float(match[3])
    assert waited < 25, f"waited {waited:.1f} s: {message}"
    assert abs(stated - waited) <= 2, f"stated {stated} s, measured {waited:.1f} s"
    assert (attempts, per_try) == (DEFAULT_HTTP.max_attempts, DEFAULT_HTTP.read_timeout)
    assert stated >= attempts * per_try - 0.5  # every attempt really waited its timeout
    assert signed_in.calls("GetRoleCredentials") == attempts
    session.close()
