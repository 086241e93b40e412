"""The emulator's admin APIs with plain botocore clients, and the portal derived from the same
assignments."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from refreshable_sso import discovery
from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import INSTANCE_ARN, ROOT_ID, ou_id
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.session import SSORefreshableSession
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.simple import StaticTokenProvider
from tests.admin.conftest import admin_session


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_paginated_listings_match_the_directory(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    orgs = admin.client("organizations")
    ids = [
        a["Id"]
        for page in orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 3})
        for a in page["Accounts"]
    ]
    assert ids == [a.account_id for a in org_emulator.directory.accounts]
    sso = admin.client("sso-admin")
    arns = sso.list_permission_sets(InstanceArn=INSTANCE_ARN, MaxResults=2)
    assert len(arns["PermissionSets"]) == 2
    assert "NextToken" in arns
    described = sso.describe_permission_set(
        InstanceArn=INSTANCE_ARN, PermissionSetArn=arns["PermissionSets"][0]
    )["PermissionSet"]
    assert described["PermissionSetArn"] == arns["PermissionSets"][0]
    account = org_emulator.default_account_id
    provisioned = sso.list_permission_sets_provisioned_to_account(
        InstanceArn=INSTANCE_ARN, AccountId=account
    )["PermissionSets"]
    assert len(provisioned) == 6
    assert (
        account
        in sso.list_accounts_for_provisioned_permission_set(
            InstanceArn=INSTANCE_ARN, PermissionSetArn=provisioned[0]
        )["AccountIds"]
    )
    roots = orgs.list_roots()["Roots"]
    assert [r["Id"] for r in roots] == [ROOT_ID]
    ous = orgs.list_organizational_units_for_parent(ParentId=ROOT_ID)["OrganizationalUnits"]
    assert {o["Name"] for o in ous} == {"Engineering", "Security"}
    child = orgs.list_organizational_units_for_parent(ParentId=ou_id("Engineering"))
    assert [o["Name"] for o in child["OrganizationalUnits"]] == ["Platform"]
    assert (
        orgs.describe_organizational_unit(OrganizationalUnitId=ou_id("Platform"))[
            "OrganizationalUnit"
        ]["Name"]
        == "Platform"
    )


def test_modelled_errors(admin: SSORefreshableSession, org_emulator: Emulator) -> None:
    sso = admin.client("sso-admin")
    orgs = admin.client("organizations")
    store = admin.client("identitystore")
    with pytest.raises(sso.exceptions.ResourceNotFoundException):
        sso.describe_permission_set(
            InstanceArn=INSTANCE_ARN, PermissionSetArn=INSTANCE_ARN.replace("instance", "x")
        )
    with pytest.raises(sso.exceptions.ResourceNotFoundException):
        sso.list_account_assignments(
            InstanceArn=INSTANCE_ARN, AccountId="999999999999", PermissionSetArn=INSTANCE_ARN
        )
    with pytest.raises(orgs.exceptions.AccountNotFoundException):
        orgs.describe_account(AccountId="999999999999")
    with pytest.raises(orgs.exceptions.ParentNotFoundException):
        orgs.list_accounts_for_parent(ParentId="ou-emu1-00000000")
    store_id = sso.list_instances()["Instances"][0]["IdentityStoreId"]
    with pytest.raises(store.exceptions.ResourceNotFoundException) as info:
        store.describe_user(IdentityStoreId=store_id, UserId="nobody")
    assert info.value.response["ResourceType"] == "USER"
    org_emulator.faults.fail_next("ListInstances", status=429)
    once = admin.client("sso-admin", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(once.exceptions.ThrottlingException):
        once.list_instances()
    org_emulator.faults.fail_next("ListRoots", status=429)
    orgs_once = admin.client("organizations", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(orgs_once.exceptions.TooManyRequestsException):
        orgs_once.list_roots()


def test_unsigned_and_unknown_credentials_are_refused(org_emulator: Emulator) -> None:
    stranger = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wrong",
        region_name="us-east-1",
    )
    with pytest.raises(ClientError) as info:
        stranger.client("sso-admin").list_instances()
    assert _code(info) == "UnrecognizedClientException"


def test_non_admin_role_gets_access_denied(org_emulator: Emulator) -> None:
    reader = admin_session(org_emulator, role_name="ReadOnlyAccess")
    client = reader.client("identitystore")
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.describe_group(IdentityStoreId="d-90670ca11e", GroupId="x")


def test_portal_and_admin_views_agree_for_every_user(org_emulator: Emulator) -> None:
    """Each user's ListAccounts/ListAccountRoles equal the assignments, direct or via groups."""
    index = org_emulator.directory.admin
    groups_of = {
        u.user_name: {g.display_name for g in index.groups_of.get(u.user_name, [])}
        for u in index.users
    }
    for user in index.users:
        token = org_emulator.sign_in(user.user_name)
        provider = StaticTokenProvider(SSOToken.from_cache_dict(token))
        portal = {
            (r.account_id, r.role_name)
            for r in discovery.list_roles(
                provider, org_emulator.region, sso_endpoint_url=org_emulator.url
            )
        }
        admin_view = {
            (a.account_id, a.permission_set)
            for a in index.assignments
            if (a.principal_type == "USER" and a.principal == user.user_name)
            or (a.principal_type == "GROUP" and a.principal in groups_of[user.user_name])
        }
        assert portal == admin_view, user.user_name


def test_default_directory_keeps_alices_view_and_adds_bob(sso_emulator: Emulator) -> None:
    index = sso_emulator.directory.admin
    alice = {a.account_id: index.roles_for("alice", a.account_id) for a in index.accounts}
    assert alice == {
        "111111111111": ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"),
        "222222222222": ("AdministratorAccess", "ReadOnlyAccess"),
        "333333333333": ("AdministratorAccess", "ReadOnlyAccess"),
    }
    assert index.roles_for("bob", "333333333333") == ("ReadOnlyAccess",)
    assert [ps.name for ps in index.permission_sets if ps.administrative] == ["AdministratorAccess"]


def test_old_directory_files_load_and_round_trip(tmp_path: Path) -> None:
    old = {
        "users": [{"user_name": "carol"}, {"user_name": "dan"}],
        "accounts": [
            {
                "account_id": "123456789012",
                "account_name": "Solo",
                "roles": ["Admin", "AdministratorAccess"],
            }
        ],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    directory = Directory.from_json_file(path)
    index = directory.admin
    assert index.roles_for("dan", "123456789012") == ("Admin", "AdministratorAccess")
    assert len(index.assignments) == 4  # every user, every role
    assert [p.name for p in index.permission_sets if p.administrative] == ["AdministratorAccess"]
    assert Directory.from_dict(directory.to_dict()) == directory
    assert "assignments" not in directory.to_dict()
    full = Directory.default()
    assert Directory.from_dict(json.loads(json.dumps(full.to_dict()))) == full


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"groups": [{"display_name": "g", "members": ["zed"]}]}, "unknown user 'zed'"),
        (
            {
                "assignments": [
                    {
                        "account_id": "123456789012",
                        "permission_set": "Nope",
                        "principal_type": "USER",
                        "principal": "carol",
                    }
                ]
            },
            "not among the account's roles",
        ),
        (
            {
                "assignments": [
                    {
                        "account_id": "123456789012",
                        "permission_set": "R",
                        "principal_type": "ROLE",
                        "principal": "carol",
                    }
                ]
            },
            "USER or GROUP",
        ),
        (
            {"organizational_units": [{"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}]},
            "own ancestor",
        ),
        (
            {"organizational_units": [{"name": "a", "accounts": ["999999999999"]}]},
            "unknown account",
        ),
    ],
)
def test_bad_organizations_are_refused_with_the_reason(
    change: dict[str, object], message: str
) -> None:
    data = {
        "users": [{"user_name": "carol"}],
        "accounts": [{"account_id": "123456789012", "account_name": "Solo", "roles": ["R"]}],
        **change,
    }
    with pytest.raises(ConfigurationError, match=message):
        Directory.from_dict(data)
