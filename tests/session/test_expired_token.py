"""A server's ExpiredToken / InvalidClientTokenId on a cached client: one refresh, no loop.

The local clock says the credentials are fine, the server says they are not (here: the
emulator's clock jumps past their expiry). The session's event hook forces one refresh,
bypassing the shared disk-cache entry that holds the same dead credentials, and botocore
re-sends the request signed with the new ones.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from refreshable_sso.emulator import Emulator
from tests.session.conftest import seed, session_for


@pytest.fixture
def emu(sso_emulator_factory: object) -> Emulator:
    started: Emulator = sso_emulator_factory(  # type: ignore[operator]
        auto_approve=True, role_credentials_ttl=60
    )
    seed(started)
    return started


def test_expired_token_on_a_cached_client_refreshes_exactly_once(emu: Emulator) -> None:
    session = session_for(emu, region_name=emu.region)
    sts = session.client("sts", endpoint_url=emu.url)
    sts.get_caller_identity()
    first_key = session.credentials.access_key
    assert emu.calls("GetRoleCredentials") == 1

    emu.clock.advance(61)  # the server now considers the credentials expired
    assert sts.get_caller_identity()["Account"] == emu.default_account_id

    assert emu.errors("GetCallerIdentity") == {"ExpiredToken": 1}
    assert emu.calls("GetRoleCredentials") == 2  # exactly one refresh, not the disk entry
    assert session.credentials.access_key != first_key
    assert sts.get_caller_identity()["Account"] == emu.default_account_id  # the call after
    assert emu.calls("GetRoleCredentials") == 2
    assert session.client("sts", endpoint_url=emu.url) is sts  # a cached client all along


def test_a_rejection_that_persists_is_refreshed_once_and_reaches_the_caller(
    emu: Emulator,
) -> None:
    session = session_for(emu, region_name=emu.region)
    sts = session.client("sts", endpoint_url=emu.url)
    sts.get_caller_identity()
    emu.faults.fail_next("GetCallerIdentity", n=2, status=403, code="InvalidClientTokenId")

    with pytest.raises(ClientError) as info:
        sts.get_caller_identity()

    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert emu.calls("GetCallerIdentity") == 3  # the first call, the failing one, one re-send
    assert emu.calls("GetRoleCredentials") == 2  # one refresh for that generation
    assert sts.get_caller_identity()  # the fault is gone: the new credentials work


def test_other_errors_are_left_to_botocore(emu: Emulator) -> None:
    session = session_for(emu, region_name=emu.region)
    sts = session.client("sts", endpoint_url=emu.url)
    sts.get_caller_identity()
    emu.faults.fail_next("GetCallerIdentity", n=1, status=403, code="AccessDenied")
    with pytest.raises(ClientError):
        sts.get_caller_identity()
    assert emu.calls("GetRoleCredentials") == 1


def test_whoami_survives_credentials_the_server_calls_expired(emu: Emulator) -> None:
    """whoami() signs on a client of its own: it carries the same hook as the cached ones."""
    session = session_for(emu, region_name=emu.region)
    session.whoami()
    emu.clock.advance(61)
    assert session.whoami()["Account"] == emu.default_account_id
    assert emu.errors("GetCallerIdentity") == {"ExpiredToken": 1}
    assert emu.calls("GetRoleCredentials") == 2
