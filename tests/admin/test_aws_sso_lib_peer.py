"""aws-sso-lib, unmodified, runs its own list_assignments against the emulator: same set as ours.

aws-sso-lib is light (boto3 and aws-error-utils) and installs beside our boto3 pin, but its
sequential enumeration of a 60-account organization takes tens of seconds per run on a shared
machine, so these comparisons are peer tests (tox env ``peers``), not core-suite tests.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from refreshable_sso.admin.assignments import list_assignments
from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import ou_id
from tests.admin.conftest import admin_session
from tests.admin.expected import expected, ou_accounts

pytestmark = pytest.mark.peer


def _aws_sso_lib() -> Any:
    # imported here, not at module level: the core suite collects this file without the peer
    return importlib.import_module("aws_sso_lib")


@pytest.fixture
def big_admin(big_org_emulator: Emulator) -> object:
    return admin_session(big_org_emulator)


def _both(
    session: object, **options: object
) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    theirs = {tuple(a) for a in _aws_sso_lib().list_assignments(session, **options)}
    ours = {tuple(a) for a in list_assignments(session, **options)}  # type: ignore[arg-type]
    return theirs, ours


def test_every_assignment_with_and_without_names(
    big_admin: object, big_org_emulator: Emulator
) -> None:
    assert len(big_org_emulator.directory.accounts) >= 50
    assert len(big_org_emulator.directory.admin.permission_sets) == 6
    theirs, ours = _both(big_admin)
    assert theirs == ours == expected(big_org_emulator, names=False)
    names = {"get_principal_names": True, "get_permission_set_names": True}
    theirs, ours = _both(big_admin, **names)
    assert theirs == ours == expected(big_org_emulator, names=True)


@pytest.mark.parametrize("recursive", [False, True])
def test_ou_target_flat_and_recursive(
    big_admin: object, big_org_emulator: Emulator, recursive: bool
) -> None:
    theirs, ours = _both(
        big_admin, target=ou_id("Engineering"), ou_recursive=recursive, get_principal_names=True
    )
    accounts = ou_accounts(big_org_emulator, "Engineering", recursive)
    assert (
        theirs
        == ours
        == expected(big_org_emulator, names=True, ps_names=False, account_ids=accounts)
    )
    if recursive:
        assert accounts > ou_accounts(big_org_emulator, "Engineering", False)


def test_explicit_account_targets_with_names(big_admin: object) -> None:
    targets = ["200000000003", "200000000010"]
    theirs, ours = _both(big_admin, target=targets, get_target_names=True)
    assert theirs == ours
    assert {row[8] for row in ours} == {"Account 0003", "Account 0010"}


def test_dict_caches_are_shared_with_aws_sso_lib(
    sso_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dict filled by our compat.login serves aws-sso-lib, and the reverse."""
    from refreshable_sso import compat

    for name, value in sso_emulator.env().items():
        monkeypatch.setenv(name, value)
    sso_cache: dict[str, object] = {}
    compat.login(
        sso_emulator.start_url,
        sso_emulator.region,
        message=False,
        user_auth_handler=lambda **kw: None,  # auto-approving emulator
        sso_cache=sso_cache,
    )
    credential_cache: dict[str, object] = {}
    theirs = _aws_sso_lib().get_boto3_session(
        sso_emulator.start_url,
        sso_emulator.region,
        sso_emulator.default_account_id,
        sso_emulator.default_role_name,
        region="us-east-1",
        sso_cache=sso_cache,
        credential_cache=credential_cache,
    )
    their_key = theirs.get_credentials().get_frozen_credentials().access_key
    assert len(credential_cache) == 1
    ours = compat.get_boto3_session(
        sso_emulator.start_url,
        sso_emulator.region,
        sso_emulator.default_account_id,
        sso_emulator.default_role_name,
        region="us-east-1",
        sso_cache=sso_cache,
        credential_cache=credential_cache,
    )
    assert ours.refreshable_credentials().access_key == their_key
    assert sso_emulator.calls("GetRoleCredentials") == 1
