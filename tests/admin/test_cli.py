"""`refreshable-sso assignments` against the emulator's admin APIs.

The command's ``main`` runs in this process (:func:`tests.cli.helpers.cli_here`, isolated as a
new process would be): the subject is what it prints and its exit status, not a process.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess

from refreshable_sso.emulator import Emulator
from refreshable_sso.emulator.assignments import ou_id, user_id
from tests.admin.conftest import SSO_SESSION
from tests.admin.expected import expected, ou_accounts
from tests.cli.helpers import cli_here


def _run(emu: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    ran = cli_here("assignments", *args, env=emu.env())
    return subprocess.CompletedProcess(
        ["refreshable-sso", "assignments", *args], ran.returncode, ran.stdout, ran.stderr
    )


def _admin_role(emu: Emulator, role: str = "AdministratorAccess") -> list[str]:
    return [
        "--start-url",
        emu.start_url,
        "--sso-region",
        emu.region,
        "--sso-session",
        SSO_SESSION,
        "--account-id",
        emu.default_account_id,
        "--role-name",
        role,
    ]


def test_json_with_names_is_every_assignment(org_emulator: Emulator) -> None:
    result = _run(org_emulator, *_admin_role(org_emulator), "--names", "--json")
    assert result.returncode == 0, result.stderr
    rows = {tuple(row.values()) for row in json.loads(result.stdout)}
    assert rows == expected(org_emulator, names=True)


def test_csv_with_filters(org_emulator: Emulator) -> None:
    uid = user_id("user01")
    result = _run(
        org_emulator,
        *_admin_role(org_emulator),
        "--target",
        ou_id("Engineering"),
        "--ou-recursive",
        "--principal",
        f"USER:{uid}",
        "--csv",
    )
    assert result.returncode == 0, result.stderr
    reader = list(csv.reader(io.StringIO(result.stdout)))
    assert reader[0][:3] == ["instance_arn", "principal_type", "principal_id"]
    got = {tuple(v or None for v in row) for row in reader[1:]}
    accounts = ou_accounts(org_emulator, "Engineering", recursive=True)
    want = {r for r in expected(org_emulator, names=False, account_ids=accounts) if r[2] == uid}
    assert got == want


def test_rows_and_clear_errors(org_emulator: Emulator) -> None:
    result = _run(org_emulator, *_admin_role(org_emulator), "--target", "200000000001")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert all("200000000001" in line for line in result.stdout.splitlines())
    denied = _run(org_emulator, *_admin_role(org_emulator, "ReadOnlyAccess"))
    assert denied.returncode == 1
    assert "AccessDeniedException" in denied.stderr
    assert "Traceback" not in denied.stderr
    missing = _run(org_emulator, "--start-url", org_emulator.start_url, "--sso-region", "us-east-1")
    assert missing.returncode == 1
    assert "--account-id and --role-name required" in missing.stderr
