"""The assignments a directory holds, computed from its data (not through any API)."""

from __future__ import annotations

from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import INSTANCE_ARN, ou_id

Row = tuple[str, str, str, str | None, str, str | None, str, str, str | None]


def expected(
    emu: Emulator,
    *,
    names: bool,
    account_ids: set[str] | None = None,
    ps_names: bool | None = None,
) -> set[Row]:
    """(aws-sso-lib Assignment fields) for every assignment, optionally in some accounts;
    ``names`` for principal and (unless ``ps_names`` says otherwise) permission set names."""
    ps_names = names if ps_names is None else ps_names
    index = emu.directory.admin
    accounts = {a.account_id: a.account_name for a in emu.directory.accounts}
    rows: set[Row] = set()
    for a in index.assignments:
        if account_ids is not None and a.account_id not in account_ids:
            continue
        ps = index.permission_set_by_name[a.permission_set]
        rows.add(
            (
                INSTANCE_ARN,
                a.principal_type,
                index.principal_id(a),
                a.principal if names else None,
                ps.arn,
                ps.name if ps_names else None,
                "AWS_ACCOUNT",
                a.account_id,
                accounts[a.account_id],
            )
        )
    return rows


def ou_accounts(emu: Emulator, ou_name: str, recursive: bool) -> set[str]:
    """Accounts directly in an OU, or in it and its descendants."""
    index = emu.directory.admin
    found = {a.account_id for a in index.accounts_in(ou_id(ou_name))}
    if recursive:
        for child in index.children(ou_id(ou_name)):
            found |= ou_accounts(emu, child.name, recursive=True)
    return found
