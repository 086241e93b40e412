"""from_profile follows role_arn + source_profile down to an SSO profile; loops are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ProfileError
from refreshable_sso.profiles.reader import load_profile_chain
from refreshable_sso.session import SSORefreshableSession

from .conftest import AUDIT, DEPLOY, MFA_ROLE, MFA_SERIAL, endpoints, write_config


def test_two_deep_chain(signed_in: Emulator, isolated_aws_home: Path) -> None:
    write_config(isolated_aws_home, signed_in)
    chain = load_profile_chain("audit")
    assert chain.sso.profile_name == "base"
    assert chain.region == "us-east-1"
    assert chain.hops == (
        {"role_arn": DEPLOY, "role_session_name": "deployer"},
        {"role_arn": AUDIT, "role_session_name": "auditor", "duration_seconds": 3600},
    )
    session = SSORefreshableSession.from_profile("audit", endpoints=endpoints(signed_in))
    assert session.whoami()["Arn"] == "arn:aws:sts::333333333333:assumed-role/Audit/auditor"
    assert session.region_name == "us-east-1"
    plain = SSORefreshableSession.from_profile("base", endpoints=endpoints(signed_in))
    assert plain.assume_role_config == ()
    assert plain.whoami()["is_sso_role"]


def test_served_credentials_name_the_account_of_the_last_hop(
    signed_in: Emulator, isolated_aws_home: Path
) -> None:
    """AccountId in credential_process / container answers is where the credentials act."""
    import json
    import urllib.request

    from refreshable_sso.cli._target import fresh_credentials
    from refreshable_sso.serving.container import ContainerCredentialServer

    write_config(isolated_aws_home, signed_in)
    audit = SSORefreshableSession.from_profile("audit", endpoints=endpoints(signed_in))
    base = SSORefreshableSession.from_profile("base", endpoints=endpoints(signed_in))
    assert (audit.credentials_account_id, base.credentials_account_id) == (
        "333333333333",
        "111111111111",
    )
    assert fresh_credentials(audit).credential_process()["AccountId"] == "333333333333"
    with ContainerCredentialServer(audit) as server:
        env = server.env()
        request = urllib.request.Request(  # noqa: S310 - the loopback URL the server gave
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            headers={"Authorization": env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = json.load(response)
    assert answer["AccountId"] == "333333333333"
    assert answer["AccessKeyId"] == audit.credentials.access_key


def test_mfa_serial_from_the_profile(signed_in: Emulator, isolated_aws_home: Path) -> None:
    write_config(
        isolated_aws_home,
        signed_in,
        f"\n[profile guarded]\nrole_arn = {MFA_ROLE}\nsource_profile = base\n"
        f"mfa_serial = {MFA_SERIAL}\n",
    )
    session = SSORefreshableSession.from_profile(
        "guarded", endpoints=endpoints(signed_in), mfa_token_provider=signed_in.mfa_code
    )
    assert session.whoami()["role_name"] == "MfaProtected"


@pytest.mark.parametrize(
    ("extra", "start", "cycle"),
    [
        ("[profile a]\nrole_arn = {d}\nsource_profile = a\n", "a", "a -> a"),
        (
            "[profile a]\nrole_arn = {d}\nsource_profile = b\n\n"
            "[profile b]\nrole_arn = {d}\nsource_profile = c\n\n"
            "[profile c]\nrole_arn = {d}\nsource_profile = b\n",
            "a",
            "b -> c -> b",
        ),
    ],
)
def test_loops_are_refused_naming_the_cycle(
    sso_emulator: Emulator, isolated_aws_home: Path, extra: str, start: str, cycle: str
) -> None:
    write_config(isolated_aws_home, sso_emulator, "\n" + extra.format(d=DEPLOY))
    with pytest.raises(ProfileError) as info:
        SSORefreshableSession.from_profile(start)
    assert cycle in str(info.value)
    assert f"source_profile cycle: {cycle}" in info.value.problems


def test_credential_source_and_broken_links_are_refused(
    sso_emulator: Emulator, isolated_aws_home: Path
) -> None:
    write_config(
        isolated_aws_home,
        sso_emulator,
        f"\n[profile ec2]\nrole_arn = {DEPLOY}\ncredential_source = Ec2InstanceMetadata\n"
        f"\n[profile orphan]\nrole_arn = {DEPLOY}\n"
        f"\n[profile dangling]\nrole_arn = {DEPLOY}\nsource_profile = nowhere\n"
        f"\n[profile badduration]\nrole_arn = {DEPLOY}\nsource_profile = base\n"
        "duration_seconds = an hour\n",
    )
    for name, words in (
        ("ec2", "credential_source 'Ec2InstanceMetadata'"),
        ("orphan", "no source_profile"),
        ("dangling", "source_profile 'nowhere', which does not exist"),
        ("badduration", "duration_seconds 'an hour'"),
    ):
        with pytest.raises(ProfileError) as info:
            SSORefreshableSession.from_profile(name)
        assert words in str(info.value), name
