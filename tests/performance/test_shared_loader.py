"""Sessions share one botocore data loader per process; a caller's own botocore session is kept."""

from __future__ import annotations

import botocore.session

from refreshable_sso.aws import loader as shared_loader
from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from tests.session.conftest import session_for


def test_ten_for_role_siblings_share_one_loader(signed_in: Emulator) -> None:
    parent = session_for(signed_in)
    accounts = signed_in.directory.accounts
    siblings = [
        parent.for_role(accounts[i % len(accounts)].account_id, parent.sso_config.role_name)
        for i in range(10)
    ]
    loader = shared_loader.data_loader(parent)
    assert all(shared_loader.data_loader(s) is loader for s in siblings)
    assert loader is shared_loader.shared_loader()  # the process-wide one
    # ... and separate botocore sessions, so each keeps its own credentials
    assert len({id(s._session) for s in [parent, *siblings]}) == 11
    # boto3 appends its data folder on every session: the shared list does not grow
    assert loader.search_paths.count(shared_loader.BOTO3_DATA_PATH) == 1
    # the shared loader really serves them: a parsed model is the same object
    sts = siblings[0].client("sts", endpoint_url=signed_in.url)
    assert sts.get_caller_identity()["Account"] == accounts[0].account_id
    assert siblings[3].client("sts").meta.service_model.service_name == "sts"
    assert loader.load_service_model("sts", "service-2") is loader.load_service_model(
        "sts", "service-2"
    )


def test_independent_sessions_share_the_loader(signed_in: Emulator) -> None:
    first, second = session_for(signed_in), session_for(signed_in)
    assert shared_loader.data_loader(first) is shared_loader.data_loader(second)


def test_a_callers_botocore_session_is_kept_and_works(signed_in: Emulator) -> None:
    own = botocore.session.Session()
    own_loader = own.get_component("data_loader")
    session = session_for(signed_in, botocore_session=own)
    assert session._session is own
    assert shared_loader.data_loader(session) is own_loader
    assert own_loader is not shared_loader.shared_loader()
    assert session.client("sts", endpoint_url=signed_in.url).get_caller_identity()["Account"]
    assert own.get_credentials() is session.get_credentials()  # our credentials sit on it
    # siblings of such a session use the caller's loader, each on a botocore session of its own
    sibling = session.for_role(signed_in.directory.accounts[1].account_id, "ReadOnlyAccess")
    assert shared_loader.data_loader(sibling) is own_loader
    assert sibling._session is not own


def test_a_custom_data_path_gets_its_own_shared_loader(
    signed_in: Emulator, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    first, second = session_for(signed_in), session_for(signed_in)
    loader = shared_loader.data_loader(first)
    assert loader is shared_loader.data_loader(second)
    assert loader is not shared_loader.shared_loader()
    assert str(tmp_path) in loader.search_paths


def test_from_profile_sessions_share_it_too(signed_in: Emulator, isolated_aws_home) -> None:  # type: ignore[no-untyped-def]
    config = isolated_aws_home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[profile p]\nsso_session = corp\nsso_account_id = {signed_in.default_account_id}\n"
        f"sso_role_name = {signed_in.default_role_name}\nregion = eu-west-1\n\n"
        f"[sso-session corp]\nsso_start_url = {signed_in.start_url}\n"
        f"sso_region = {signed_in.region}\n"
    )
    session = SSORefreshableSession.from_profile("p")
    assert shared_loader.data_loader(session) is shared_loader.shared_loader()
    assert session.profile_name == "p"
