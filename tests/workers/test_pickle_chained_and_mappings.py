"""Pickling keeps role-chain hops and refuses dict-like caches (their secrets would be copied)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from tests.assume.conftest import AUDIT, DEPLOY, SSO_SESSION, chained, endpoints


def test_a_chained_session_pickles_its_hops_and_rebuilds_the_same_identity(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    session = chained(sso_emulator, [{"role_arn": DEPLOY}, {"role_arn": AUDIT}])
    arn = session.whoami()["Arn"]
    credentials = session.credentials
    data = pickle.dumps(session)
    for secret in (credentials.access_key, credentials.secret_key, credentials.token):
        assert secret.encode() not in data
    clone = pickle.loads(data)  # noqa: S301 - our own bytes
    assert [hop.role_arn for hop in clone.assume_role_config] == [DEPLOY, AUDIT]
    assert clone.whoami()["Arn"] == arn
    assert ":assumed-role/Audit/" in arn


@pytest.mark.parametrize("argument", ["token_cache", "credential_cache"])
def test_a_session_on_a_dict_cache_refuses_to_pickle_and_names_it(
    sso_emulator: Emulator, isolated_aws_home: Path, argument: str
) -> None:
    sso_emulator.seed_token_cache(sso_session_name=SSO_SESSION)
    session = SSORefreshableSession(
        start_url=sso_emulator.start_url,
        sso_region=sso_emulator.region,
        sso_session_name=SSO_SESSION,
        account_id="111111111111",
        role_name="ReadOnlyAccess",
        endpoints=endpoints(sso_emulator),
        **{argument: {}},
    )
    with pytest.raises(pickle.PicklingError, match=argument):
        pickle.dumps(session)
