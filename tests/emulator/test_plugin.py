"""The pytest fixtures the plugin ships (used by this suite and by users' own tests)."""

from __future__ import annotations

import os

import boto3

from refreshable_sso.emulator import Emulator
from refreshable_sso.pytest_plugin import EmulatorFactory


def test_sso_emulator_env_points_plain_clients_at_it(sso_emulator_env: Emulator) -> None:
    for name, value in sso_emulator_env.env().items():
        assert os.environ[name] == value
    token = sso_emulator_env.sign_in()["accessToken"]
    sso = boto3.client("sso", region_name=sso_emulator_env.region)  # no endpoint_url
    assert len(sso.list_accounts(accessToken=token)["accountList"]) == 3
    assert sso_emulator_env.calls("ListAccounts") == 1


def test_factory_starts_independent_emulators(sso_emulator_factory: EmulatorFactory) -> None:
    first = sso_emulator_factory(region="eu-west-1")
    second = sso_emulator_factory(auto_approve=True, start_url="https://acme.awsapps.com/start")
    assert first.url != second.url
    assert first.region == "eu-west-1"
    assert second.start_url == "https://acme.awsapps.com/start"
    assert first.running
    assert second.running


def test_sso_emulator_auto_approves(sso_emulator: Emulator) -> None:
    assert sso_emulator.settings.auto_approve is True
    assert sso_emulator.running
