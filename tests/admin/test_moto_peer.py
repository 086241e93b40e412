"""moto (server mode) as a second, independent sso-admin/organizations/identitystore.

Assignments are created there with plain boto3; our list_assignments must yield exactly them,
although moto 5 answers ListPermissionSetsProvisionedToAccount for every account alike and
ListAccountsForProvisionedPermissionSet with the caller's account only (we use neither), and
CreateAccountAssignment does not provision (we provision explicitly, as AWS users would).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from refreshable_sso.admin.assignments import list_assignments

pytestmark = pytest.mark.peer

N_ACCOUNTS = 52
PERMISSION_SETS = ("Admin", "ReadOnly", "PowerUser", "Billing", "Audit", "Network")


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def moto_org(moto_url: str) -> tuple[set[Row], dict[str, Any]]:
    """Built once per module (moto keeps its state in-process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", moto_url)
        return _build(_session())


@pytest.fixture
def moto_session(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return _session()


Row = tuple[str, str, str | None, str, str | None, str, str, str | None]


def _build(session: boto3.Session) -> tuple[set[Row], dict[str, Any]]:
    """An organization with OUs, users, groups and seeded assignments, created via boto3."""
    rng = random.Random(5)
    orgs = session.client("organizations")
    sso = session.client("sso-admin")
    store = session.client("identitystore")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    eng = orgs.create_organizational_unit(ParentId=root, Name="Engineering")["OrganizationalUnit"]
    plat = orgs.create_organizational_unit(ParentId=eng["Id"], Name="Platform")[
        "OrganizationalUnit"
    ]
    sec = orgs.create_organizational_unit(ParentId=root, Name="Security")["OrganizationalUnit"]
    accounts: dict[str, str] = {}
    for i in range(N_ACCOUNTS):
        status = orgs.create_account(Email=f"a{i}@example.com", AccountName=f"Acct{i:02d}")
        account_id = status["CreateAccountStatus"]["AccountId"]
        accounts[account_id] = f"Acct{i:02d}"
        parent = (root, eng["Id"], plat["Id"], sec["Id"])[i % 4]
        if parent != root:
            orgs.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
    instance = sso.list_instances()["Instances"][0]
    instance_arn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
    users = {
        store.create_user(
            IdentityStoreId=store_id,
            UserName=f"user{u}",
            DisplayName=f"User {u}",
            Name={"GivenName": "U", "FamilyName": str(u)},
        )["UserId"]: f"user{u}"
        for u in range(5)
    }
    groups = {
        store.create_group(IdentityStoreId=store_id, DisplayName=f"team{g}")["GroupId"]: f"team{g}"
        for g in range(3)
    }
    sets = {}
    for name in PERMISSION_SETS:
        arn = sso.create_permission_set(Name=name, InstanceArn=instance_arn)["PermissionSet"][
            "PermissionSetArn"
        ]
        sso.provision_permission_set(
            InstanceArn=instance_arn, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS"
        )
        sets[arn] = name
    made: set[Row] = set()
    for account_id, account_name in accounts.items():
        for arn, ps_name in sets.items():
            if rng.random() < 0.5:
                continue
            kind, pool = ("USER", users) if rng.random() < 0.5 else ("GROUP", groups)
            for pid in rng.sample(sorted(pool), k=rng.randint(1, 2)):
                sso.create_account_assignment(
                    InstanceArn=instance_arn,
                    TargetId=account_id,
                    TargetType="AWS_ACCOUNT",
                    PermissionSetArn=arn,
                    PrincipalType=kind,
                    PrincipalId=pid,
                )
                made.add(
                    (kind, pid, pool[pid], arn, ps_name, "AWS_ACCOUNT", account_id, account_name)
                )
    return made, {"instance_arn": instance_arn, "ou": eng["Id"], "accounts": accounts}


def test_our_listing_equals_what_was_created_in_moto(
    moto_session: boto3.Session, moto_org: tuple[set[Row], dict[str, Any]]
) -> None:
    made, info = moto_org
    assert len(info["accounts"]) >= 50
    assert len(made) > 100
    got = list(
        list_assignments(moto_session, get_principal_names=True, get_permission_set_names=True)
    )
    assert {a.instance_arn for a in got} == {info["instance_arn"]}
    assert {tuple(a)[1:] for a in got} == made
    plain = {tuple(a)[1:] for a in list_assignments(moto_session)}
    assert plain == {(r[0], r[1], None, r[3], None, *r[5:]) for r in made}


def test_ou_targets_against_moto(
    moto_session: boto3.Session, moto_org: tuple[set[Row], dict[str, Any]]
) -> None:
    made, info = moto_org
    flat = {a.target_id for a in list_assignments(moto_session, target=info["ou"])}
    deep = {
        a.target_id for a in list_assignments(moto_session, target=info["ou"], ou_recursive=True)
    }
    assert flat < deep
    orgs = moto_session.client("organizations")
    direct = {a["Id"] for a in orgs.list_accounts_for_parent(ParentId=info["ou"])["Accounts"]}
    assert flat == {r[6] for r in made if r[6] in direct}
