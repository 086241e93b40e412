"""64 concurrent clients (threads) and several client processes against one emulator."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.config import Config

from refreshable_sso.emulator import Emulator
from tests.fork_server import ForkServer

from .helpers import DEVICE_GRANT, client, sts_for

CLIENTS = 64


def _one_user(emu: Emulator, oidc: Any, sso: Any, barrier: threading.Barrier, i: int) -> str:
    barrier.wait(timeout=30)
    reg = oidc.register_client(
        clientName=f"c{i}", clientType="public", scopes=["sso:account:access"]
    )
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    base = {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}
    token = oidc.create_token(**base, grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"])
    token = oidc.create_token(**base, grantType="refresh_token", refreshToken=token["refreshToken"])
    account = ("111111111111", "222222222222", "333333333333")[i % 3]
    assert len(sso.list_accounts(accessToken=token["accessToken"])["accountList"]) == 3
    creds = sso.get_role_credentials(
        accessToken=token["accessToken"], accountId=account, roleName="ReadOnlyAccess"
    )["roleCredentials"]
    ident = sts_for(emu, creds).get_caller_identity()
    assert ident["Account"] == account
    return str(creds["accessKeyId"])


def test_64_concurrent_clients(sso_emulator: Emulator) -> None:
    config = Config(max_pool_connections=CLIENTS, retries={"mode": "standard"})
    oidc = client(sso_emulator, "sso-oidc", config=config)
    sso = client(sso_emulator, "sso", config=config)
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [
            pool.submit(_one_user, sso_emulator, oidc, sso, barrier, i) for i in range(CLIENTS)
        ]
        keys = [f.result(timeout=120) for f in futures]
    assert len(set(keys)) == CLIENTS
    for op in ("RegisterClient", "StartDeviceAuthorization", "ListAccounts", "GetRoleCredentials"):
        assert sso_emulator.calls(op) == CLIENTS, op
    assert sso_emulator.calls("CreateToken") == 2 * CLIENTS
    assert sso_emulator.calls("GetCallerIdentity") == CLIENTS
    assert sso_emulator.stats()["errors"] == {}


_CHILD = """
import sys, boto3
url, token = sys.argv[1], sys.argv[2]
sso = boto3.client("sso", region_name="us-east-1", endpoint_url=url)
for _ in range(10):
    sso.get_role_credentials(accessToken=token, accountId="111111111111", roleName="ReadOnlyAccess")
print("ok")
"""


def test_client_processes(sso_emulator: Emulator, fork_server: Callable[..., ForkServer]) -> None:
    token = sso_emulator.sign_in()["accessToken"]
    server = fork_server(["boto3"])  # real client processes, forked after boto3's import
    procs = [
        server.popen([sys.executable, "-c", _CHILD, sso_emulator.url, token]) for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    assert sso_emulator.calls("GetRoleCredentials") == 40


def test_a_refresh_token_is_redeemed_exactly_once_under_a_race(sso_emulator: Emulator) -> None:
    token = sso_emulator.sign_in()
    oidc = client(
        sso_emulator,
        "sso-oidc",
        config=Config(max_pool_connections=CLIENTS, retries={"total_max_attempts": 1}),
    )
    barrier = threading.Barrier(CLIENTS)

    def redeem(_: int) -> str:
        barrier.wait(timeout=30)
        try:
            oidc.create_token(
                clientId=token["clientId"],
                clientSecret=token["clientSecret"],
                grantType="refresh_token",
                refreshToken=token["refreshToken"],
            )
        except oidc.exceptions.InvalidGrantException:
            return "InvalidGrant"
        return "ok"

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(redeem, range(CLIENTS)))
    assert outcomes.count("ok") == 1
    assert outcomes.count("InvalidGrant") == CLIENTS - 1
