"""Peers: plain boto3 on the same role_arn/source_profile profile, the AWS CLI's assume-role cache,
and boto3-refresh-session's method="sts" on top of our credentials, all against the emulator."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from boto3_refresh_session import RefreshableSession
from botocore.credentials import CredentialProvider, CredentialResolver
from botocore.utils import JSONFileCache

from refreshable_sso.config import AssumeRoleConfig
from refreshable_sso.credentials.chain import assume_role_kwargs, cache_path
from refreshable_sso.emulator import Emulator
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.storage.paths import cli_cache_dir

from .conftest import AUDIT, DEPLOY, chained, endpoints, write_config

AUDIT_ARN = "arn:aws:sts::333333333333:assumed-role/Audit/auditor"


def _plain_boto3(emu: Emulator, shared_cache: bool) -> boto3.Session:
    session = boto3.Session(profile_name="audit")
    if shared_cache:  # what the AWS CLI does: assume-role results in ~/.aws/cli/cache
        resolver = session._session.get_component("credential_provider")
        resolver.get_provider("assume-role").cache = JSONFileCache(str(cli_cache_dir()))
    return session


def test_plain_boto3_profile_reaches_the_same_identity(
    signed_in: Emulator, isolated_aws_home: Path, monkeypatch: Any
) -> None:
    write_config(isolated_aws_home, signed_in)
    for name, value in signed_in.env().items():
        monkeypatch.setenv(name, value)
    theirs = _plain_boto3(signed_in, shared_cache=False).client("sts").get_caller_identity()
    ours = SSORefreshableSession.from_profile("audit").whoami()
    assert theirs["Arn"] == ours["Arn"] == AUDIT_ARN
    assert theirs["UserId"] == ours["UserId"]


def test_boto3_reuses_the_assume_role_cache_entry_we_wrote(
    signed_in: Emulator, isolated_aws_home: Path, monkeypatch: Any
) -> None:
    write_config(isolated_aws_home, signed_in)
    for name, value in signed_in.env().items():
        monkeypatch.setenv(name, value)
    ours = SSORefreshableSession.from_profile("audit")
    ours_key = ours.refreshable_credentials().access_key
    # the file name botocore computes for the profile's arguments
    hop = AssumeRoleConfig(role_arn=AUDIT, role_session_name="auditor", duration_seconds=3600)
    assert cache_path(assume_role_kwargs(hop)).is_file()
    assert signed_in.calls("AssumeRole") == 2
    theirs = _plain_boto3(signed_in, shared_cache=True)
    assert theirs.get_credentials().get_frozen_credentials().access_key == ours_key
    assert theirs.client("sts").get_caller_identity()["Arn"] == AUDIT_ARN
    assert signed_in.calls("AssumeRole") == 2  # boto3 made none of its own


def test_we_reuse_the_entries_boto3_wrote(
    signed_in: Emulator, isolated_aws_home: Path, monkeypatch: Any
) -> None:
    write_config(isolated_aws_home, signed_in)
    for name, value in signed_in.env().items():
        monkeypatch.setenv(name, value)
    theirs = _plain_boto3(signed_in, shared_cache=True)
    their_key = theirs.get_credentials().get_frozen_credentials().access_key
    assert signed_in.calls("AssumeRole") == 2
    ours = SSORefreshableSession.from_profile("audit")
    assert ours.refreshable_credentials().access_key == their_key
    assert ours.whoami()["Arn"] == AUDIT_ARN
    assert signed_in.calls("AssumeRole") == 2
    assert ours.role_chain is not None
    assert [f.call_count for f in ours.role_chain.fetchers] == [0, 0]
    shutil.rmtree(cli_cache_dir())


class _OurCredentials(CredentialProvider):
    """Hands a botocore session our refreshable credentials object (refreshing and all)."""

    METHOD = "refreshable-sso"

    def __init__(self, session: SSORefreshableSession) -> None:
        self._session = session

    def load(self) -> Any:
        return self._session.get_credentials()


@pytest.mark.soak  # boto3-refresh-session refreshes on its own real clock: 3 x 2.2 s of waiting
def test_boto3_refresh_session_sts_on_top_of_ours(sso_emulator_factory: Any) -> None:
    emu: Emulator = sso_emulator_factory(auto_approve=True, assumed_role_ttl=4)
    emu.seed_token_cache(sso_session_name="corp")
    ours = SSORefreshableSession(
        start_url=emu.start_url,
        sso_region=emu.region,
        sso_session_name="corp",
        account_id="111111111111",
        role_name="AdministratorAccess",
        region_name="us-east-1",
        endpoints=endpoints(emu),
    )
    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([_OurCredentials(ours)]))
    brs = RefreshableSession(
        method="sts",
        assume_role_kwargs={"RoleArn": DEPLOY, "RoleSessionName": "brs"},
        sts_client_kwargs={"endpoint_url": emu.url},
        botocore_session=core,
        region_name="us-east-1",
        advisory_timeout=2,
        mandatory_timeout=1,
    )
    # not brs.client("sts", endpoint_url=...): brs caches that one, its source-signed STS client
    sts = brs.client("sts", endpoint_url=emu.url, region_name="us-east-1")
    keys = set()
    for _ in range(3):
        assert sts.get_caller_identity()["Arn"] == (
            "arn:aws:sts::222222222222:assumed-role/Deploy/brs"
        )
        keys.add(brs.get_credentials().get_frozen_credentials().access_key)
        time.sleep(2.2)  # real time moves the 4 s credentials into the advisory window
    assert len(keys) >= 2  # brs refreshed through our credentials
    assert emu.calls("GetRoleCredentials") == 1
    # and our own session is untouched by brs
    assert ours.whoami()["is_sso_role"]


def test_chained_credentials_in_plain_boto3_clients(signed_in: Emulator) -> None:
    session = chained(signed_in, [{"role_arn": DEPLOY}])
    frozen = session.get_credentials().get_frozen_credentials()
    plain = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=signed_in.url,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    assert plain.get_caller_identity()["Account"] == "222222222222"
