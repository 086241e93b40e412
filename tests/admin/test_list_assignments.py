"""refreshable_sso.admin.assignments.list_assignments against the emulator's admin APIs."""

from __future__ import annotations

import pytest

from refreshable_sso.admin.assignments import Assignment, list_assignments
from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import group_id, ou_id, user_id
from refreshable_sso.errors import AdminListingError, ConfigurationError
from refreshable_sso.session import SSORefreshableSession
from tests.admin.conftest import admin_session
from tests.admin.expected import expected, ou_accounts


def _rows(assignments: object) -> set[tuple[object, ...]]:
    return {tuple(a) for a in assignments}  # type: ignore[attr-defined]


def test_directory_has_ous_permission_sets_users_and_groups(org_emulator: Emulator) -> None:
    index = org_emulator.directory.admin
    assert len(index.org_units) >= 3
    assert len(index.permission_sets) == 6
    assert {a.principal_type for a in index.assignments} == {"USER", "GROUP"}


def test_every_assignment_with_names(admin: SSORefreshableSession, org_emulator: Emulator) -> None:
    got = list(list_assignments(admin, get_principal_names=True, get_permission_set_names=True))
    assert all(isinstance(a, Assignment) for a in got)
    assert len(got) == len(set(got))
    assert _rows(got) == expected(org_emulator, names=True)
    # account by account, in the organization's order
    order = [a.account_id for a in org_emulator.directory.accounts]
    seen = list(dict.fromkeys(a.target_id for a in got))
    assert seen == [x for x in order if x in set(seen)]


def test_without_names_the_name_fields_are_none_but_account_names_come_free(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    got = _rows(list_assignments(admin))
    assert got == expected(org_emulator, names=False)


def test_principal_specifications(admin: SSORefreshableSession, org_emulator: Emulator) -> None:
    everything = expected(org_emulator, names=False)
    uid, gid = user_id("user01"), group_id("Group2")
    by_user = {r for r in everything if r[2] == uid}
    by_group = {r for r in everything if r[2] == gid}
    assert by_user
    assert by_group
    assert _rows(list_assignments(admin, principal=uid)) == by_user
    # aws-sso-lib 1.14 yields nothing for a (type, id) USER specification; we follow its docs
    assert _rows(list_assignments(admin, principal=("USER", uid))) == by_user
    assert _rows(list_assignments(admin, principal=("GROUP", gid))) == by_group
    assert _rows(list_assignments(admin, principal=("GROUP", uid))) == set()
    assert _rows(list_assignments(admin, principal=[("USER", uid), gid])) == by_user | by_group


def test_principal_filter_sees_names_when_asked(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    seen: list[tuple[str, str, str | None]] = []

    def only_groups(kind: str, ident: str, name: str | None) -> bool:
        seen.append((kind, ident, name))
        return kind == "GROUP" and name == "Group1"

    got = _rows(list_assignments(admin, principal_filter=only_groups, get_principal_names=True))
    want = expected(org_emulator, names=True, ps_names=False)
    assert got == {r for r in want if r[3] == "Group1" and r[1] == "GROUP"}
    assert all(name is not None for _, _, name in seen)
    unnamed: list[str | None] = []
    list(list_assignments(admin, principal_filter=lambda k, i, n: unnamed.append(n) or True))
    assert set(unnamed) == {None}


def test_permission_set_specifications_and_filter(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    index = org_emulator.directory.admin
    ro = index.permission_set_by_name["ReadOnlyAccess"]
    billing = index.permission_set_by_name["Billing"]
    everything = expected(org_emulator, names=True)
    want_ro = {(*r[:3], None, r[4], None, *r[6:]) for r in everything if r[5] == "ReadOnlyAccess"}
    assert _rows(list_assignments(admin, permission_set=ro.arn)) == want_ro
    ps_id = ro.arn.rsplit("/", 1)[-1]
    assert _rows(list_assignments(admin, permission_set=ps_id)) == want_ro
    both = _rows(
        list_assignments(admin, permission_set=[ro.arn, billing.arn], get_permission_set_names=True)
    )
    assert {r[5] for r in both} == {"ReadOnlyAccess", "Billing"}
    named = _rows(
        list_assignments(
            admin,
            permission_set_filter=lambda arn, name: name == "Billing",
            get_permission_set_names=True,
        )
    )
    assert named
    assert {r[5] for r in named} == {"Billing"}
    by_arn = _rows(
        list_assignments(admin, permission_set_filter=lambda arn, name: arn == billing.arn)
    )
    assert {r[4] for r in by_arn} == {billing.arn}


def test_account_targets_with_and_without_names(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    account = "200000000005"
    everything = expected(org_emulator, names=False, account_ids={account})
    plain = _rows(list_assignments(admin, target=account))
    assert plain == {(*r[:8], None) for r in everything}
    named = _rows(list_assignments(admin, target=("AWS_ACCOUNT", account), get_target_names=True))
    assert named == everything
    as_number = _rows(list_assignments(admin, target=int(account)))
    assert as_number == plain


@pytest.mark.parametrize("recursive", [False, True])
def test_ou_targets_flat_and_recursive(
    admin: SSORefreshableSession, org_emulator: Emulator, recursive: bool
) -> None:
    accounts = ou_accounts(org_emulator, "Engineering", recursive)
    got = _rows(list_assignments(admin, target=ou_id("Engineering"), ou_recursive=recursive))
    assert got == expected(org_emulator, names=False, account_ids=accounts)
    if recursive:
        assert accounts > ou_accounts(org_emulator, "Engineering", False)


def test_root_target_recursive_is_everything(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    got = _rows(list_assignments(admin, target=("AWS_OU", "r-emu1"), ou_recursive=True))
    assert got == expected(org_emulator, names=False)


def test_target_filter_applies_to_accounts_of_ou_targets(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    calls: list[tuple[str, str, str | None]] = []

    def even(kind: str, ident: str, name: str | None) -> bool:
        calls.append((kind, ident, name))
        return int(ident) % 2 == 0

    got = _rows(list_assignments(admin, target=ou_id("Platform"), target_filter=even))
    accounts = {a for a in ou_accounts(org_emulator, "Platform", False) if int(a) % 2 == 0}
    assert got == expected(org_emulator, names=False, account_ids=accounts)
    assert calls
    assert all(kind == "AWS_ACCOUNT" and name for kind, _, name in calls)
    everything = _rows(list_assignments(admin, target_filter=even))
    all_even = {a.account_id for a in org_emulator.directory.accounts if int(a.account_id) % 2 == 0}
    assert everything == expected(org_emulator, names=False, account_ids=all_even)


def test_throttling_is_survived(
    virtual_backoff: list[float], admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    org_emulator.faults.fail_next("ListAccountAssignments", n=4, status=429)
    org_emulator.faults.fail_next("ListAccounts", n=2, status=429)
    org_emulator.faults.fail_next("DescribeUser", n=1, status=429)
    got = _rows(list_assignments(admin, get_principal_names=True, get_permission_set_names=True))
    assert got == expected(org_emulator, names=True)
    assert org_emulator.errors("ListAccountAssignments") == {"ThrottlingException": 4}
    assert org_emulator.errors("ListAccounts") == {"TooManyRequestsException": 2}
    assert len(virtual_backoff) >= 7  # each 429 retried after a backoff


def test_a_role_that_is_not_administrative_is_refused(org_emulator: Emulator) -> None:
    reader = admin_session(org_emulator, role_name="ReadOnlyAccess")
    with pytest.raises(AdminListingError, match="AccessDeniedException") as info:
        list(list_assignments(reader))
    assert "not administrative" in str(info.value)


def test_bad_specifications_are_refused_before_any_call(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    org_emulator.reset_counters()
    with pytest.raises(ConfigurationError, match="target 'prod'"):
        list_assignments(admin, target="prod")
    with pytest.raises(ConfigurationError, match="USER or GROUP"):
        list_assignments(admin, principal=("ROLE", "x"))
    with pytest.raises(ConfigurationError, match="max_workers"):
        list_assignments(admin, max_workers=0)
    assert org_emulator.calls() == 0


def test_one_worker_gives_the_same_set(
    admin: SSORefreshableSession, org_emulator: Emulator
) -> None:
    got = _rows(list_assignments(admin, target=ou_id("Security"), max_workers=1))
    accounts = ou_accounts(org_emulator, "Security", False)
    assert got == expected(org_emulator, names=False, account_ids=accounts)
