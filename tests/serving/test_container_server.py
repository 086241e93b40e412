"""ContainerCredentialServer over real HTTP, read by botocore's own container provider."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.utils
import pytest

from refreshable_sso import ContainerCredentialServer, SSORefreshableSession
from refreshable_sso.emulator import Emulator
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.serving.container import MIN_TOKEN_LENGTH, is_loopback
from tests.serving.conftest import ACCOUNT, OTHER_ROLE, ROLE, EmuFactory

CONCURRENT = 64
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (bound on purpose, to see the warning)


def get(url: str, token: str | None, method: str = "GET") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method=method)  # noqa: S310 (http to loopback)
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def session(emu: Emulator) -> Iterator[SSORefreshableSession]:
    with SSORefreshableSession.from_profile("dev") as s:
        yield s


@pytest.fixture
def server(session: SSORefreshableSession) -> Iterator[ContainerCredentialServer]:
    with session.serve_container_credentials() as running:
        yield running


#: The waits botocore's container fetcher asked for between its attempts, in this process.
FETCHER_WAITS: list[float] = []


def container_provider(env: dict[str, str]) -> botocore.credentials.ContainerProvider:
    """botocore's own container provider, its 1 s pause between attempts not slept: the fetcher
    takes ``sleep`` as a constructor argument (every attempt is still made, over HTTP)."""
    fetcher = botocore.utils.ContainerMetadataFetcher(sleep=FETCHER_WAITS.append)
    return botocore.credentials.ContainerProvider(environ=env, fetcher=fetcher)


def test_botocore_container_provider_gets_credentials_that_work(
    server: ContainerCredentialServer, session: SSORefreshableSession
) -> None:
    env = server.env()
    assert set(env) == {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    credentials = container_provider(env).load()
    assert credentials.method == "container-role"
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key == session.credentials.access_key
    sts = boto3.Session(
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
        region_name="us-east-1",
    ).client("sts")
    assert sts.get_caller_identity()["Account"] == ACCOUNT


def test_answer_shape_and_at_least_the_advisory_window(
    server: ContainerCredentialServer, session: SSORefreshableSession
) -> None:
    status, body = get(server.url, server.token)
    assert status == 200
    assert {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} <= set(body)
    expiry = datetime.fromisoformat(body["Expiration"].replace("Z", "+00:00"))
    left = (expiry - datetime.now(timezone.utc)).total_seconds()
    assert left > session.refresh_config.advisory_timeout


def test_missing_or_wrong_token_gets_no_credentials(server: ContainerCredentialServer) -> None:
    status, body = get(server.url, None)
    assert status == 401
    assert "AccessKeyId" not in body
    status, body = get(server.url, "x" * 43)
    assert status == 403
    assert "AccessKeyId" not in body
    status, body = get(server.url, server.token[:-1])
    assert status == 403
    # botocore surfaces the refusal as an error, never as credentials.
    env = {**server.env(), "AWS_CONTAINER_AUTHORIZATION_TOKEN": "y" * 43}
    waits = len(FETCHER_WAITS)
    with pytest.raises(botocore.exceptions.CredentialRetrievalError):
        container_provider(env).load()
    assert len(FETCHER_WAITS) > waits  # botocore tried again before it gave up


def test_methods_and_paths(server: ContainerCredentialServer) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert get(server.url, server.token, method)[0] == 405
    base = server.url.rsplit("/", 1)[0]
    assert get(base + "/other", server.token)[0] == 404
    assert get(base + "/", server.token)[0] == 404
    assert get(server.url + "?x=1", server.token)[0] == 200


def test_sixty_four_concurrent_requests_all_answered(
    server: ContainerCredentialServer, emu: Emulator
) -> None:
    barrier = threading.Barrier(CONCURRENT)

    def one(_: int) -> tuple[int, str]:
        barrier.wait(timeout=60)
        status, body = get(server.url, server.token)
        return status, body.get("AccessKeyId", "")

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(one, range(CONCURRENT)))
    assert [status for status, _ in results] == [200] * CONCURRENT
    assert len({key for _, key in results}) == 1
    assert emu.calls("GetRoleCredentials") == 1
    assert server.stats() == {200: CONCURRENT}


def test_failing_refresh_is_a_json_5xx_that_botocore_raises(
    serving_emu_factory: EmuFactory,
) -> None:
    emu = serving_emu_factory()
    emu.faults.fail_next("GetRoleCredentials", n=50, status=500)
    with (
        SSORefreshableSession.from_profile("dev", http={"max_attempts": 1}) as session,
        session.serve_container_credentials() as server,
    ):
        status, body = get(server.url, server.token)
        assert 500 <= status <= 599
        assert body["Code"] == "CredentialRefreshFailed"
        assert "AccessKeyId" not in body
        with pytest.raises(botocore.exceptions.CredentialRetrievalError):
            container_provider(server.env()).load()


def test_signed_out_is_a_5xx_naming_the_login(serving_emu_factory: EmuFactory) -> None:
    serving_emu_factory(sign_in=False)
    with (
        SSORefreshableSession.from_profile("dev") as session,
        session.serve_container_credentials() as server,
    ):
        status, body = get(server.url, server.token)
    assert status == 503
    assert body["Code"] == "LoginRequired"
    assert "refreshable-sso login --profile dev" in body["Message"]


def test_a_mapping_serves_each_role_at_its_own_path(emu: Emulator) -> None:
    dev = SSORefreshableSession.from_profile("dev")
    admin = dev.for_role(ACCOUNT, OTHER_ROLE)
    with ContainerCredentialServer({"dev": dev, "dev admin": admin}) as server:
        urls = server.urls
        assert set(urls) == {"dev", "dev admin"}
        assert urls["dev admin"].endswith("/dev%20admin")
        keys = {}
        for name in urls:
            status, body = get(urls[name], server.token)
            assert status == 200
            keys[name] = body["AccessKeyId"]
        assert keys["dev"] == dev.credentials.access_key
        assert keys["dev admin"] == admin.credentials.access_key
        assert keys["dev"] != keys["dev admin"]
        assert server.env("dev admin")["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == urls["dev admin"]
        with pytest.raises(ConfigurationError):
            server.env("nope")
    assert emu.calls("GetRoleCredentials") == 2


def test_loopback_by_default_other_addresses_only_explicitly_with_a_warning(
    session: SSORefreshableSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="refreshable_sso")
    with session.serve_container_credentials() as server:
        assert server.address[0] == "127.0.0.1"
    assert not caplog.records
    with session.serve_container_credentials(host=ALL_INTERFACES) as server:
        assert server.address[0] == ALL_INTERFACES
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "not a loopback address" in warnings[0].getMessage()


def test_token_is_random_long_and_never_in_logs_or_repr(
    session: SSORefreshableSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        session.serve_container_credentials() as first,
        session.serve_container_credentials() as second,
    ):
        assert first.token != second.token
        assert len(first.token) >= 43  # 32 random bytes, base64url
        get(first.url, first.token)
        get(first.url, "z" * 40)
        get(first.url, None, "POST")
        shown = repr(first) + str(first)
    assert first.token not in shown
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert first.token not in logged
    assert session.credentials.secret_key not in logged
    assert "GET /credentials" in logged  # requests are logged, just not their headers


def test_bad_arguments_are_named(session: SSORefreshableSession) -> None:
    with pytest.raises(ConfigurationError, match="token"):
        ContainerCredentialServer(session, token="short")
    with pytest.raises(ConfigurationError, match="line breaks"):
        ContainerCredentialServer(session, token="a" * MIN_TOKEN_LENGTH + "\n")
    with pytest.raises(ConfigurationError, match="port"):
        ContainerCredentialServer(session, port=70000)
    with pytest.raises(ConfigurationError, match="empty"):
        ContainerCredentialServer({})
    given = "t" * MIN_TOKEN_LENGTH
    with ContainerCredentialServer(session, token=given) as server:
        assert get(server.url, given)[0] == 200
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        (ALL_INTERFACES, False),
        ("10.0.0.1", False),
        ("169.254.170.2", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- RoleArn: which role a path serves ----------------------------------------------------------

DEPLOY = "arn:aws:iam::222222222222:role/Deploy"
AUDIT = "arn:aws:iam::333333333333:role/Audit"
STAGING = "222222222222"


def caller_arn(body: dict[str, Any]) -> str:
    """Who the served credentials are, asked of STS with exactly those credentials."""
    sts = boto3.Session(
        aws_access_key_id=body["AccessKeyId"],
        aws_secret_access_key=body["SecretAccessKey"],
        aws_session_token=body["Token"],
        region_name="us-east-1",
    ).client("sts")
    return str(sts.get_caller_identity()["Arn"])


def test_role_arn_is_the_iam_role_of_the_permission_set(
    server: ContainerCredentialServer, session: SSORefreshableSession, emu: Emulator
) -> None:
    status, body = get(server.url, server.token)
    assert status == 200
    assert body["RoleArn"] == emu.sso_role_arn(ACCOUNT, ROLE)
    assert body["RoleArn"].startswith(
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{ROLE}_"
    )
    assert body["AccountId"] == ACCOUNT
    # The role STS says the credentials act as is the one named.
    iam_role_name = body["RoleArn"].rsplit("/", 1)[1]
    assert caller_arn(body).startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{iam_role_name}/")
    # botocore's own provider still reads the answer.
    loaded = container_provider(server.env()).load().get_frozen_credentials()
    assert loaded.access_key == body["AccessKeyId"]


def test_role_arn_costs_one_caller_identity_per_set_of_credentials(
    server: ContainerCredentialServer, session: SSORefreshableSession, emu: Emulator
) -> None:
    emu.reset_counters()
    barrier = threading.Barrier(16)

    def one(_: int) -> str:
        barrier.wait(timeout=60)
        return str(get(server.url, server.token)[1]["RoleArn"])

    with ThreadPoolExecutor(16) as pool:
        arns = set(pool.map(one, range(16)))
    assert arns == {emu.sso_role_arn(ACCOUNT, ROLE)}
    assert emu.calls("GetCallerIdentity") == 1
    for _ in range(3):
        get(server.url, server.token)
    assert emu.calls("GetCallerIdentity") == 1
    # New credentials: asked again, once (an assignment made anew has a new suffix).
    session.refresh_credentials()
    for _ in range(3):
        assert get(server.url, server.token)[1]["RoleArn"] == emu.sso_role_arn(ACCOUNT, ROLE)
    assert emu.calls("GetCallerIdentity") == 2


def test_role_arn_reuses_the_identity_whoami_learned(emu: Emulator) -> None:
    with SSORefreshableSession.from_profile("dev") as session:
        assert session.whoami()["role_name"] == ROLE
        assert emu.calls("GetCallerIdentity") == 1
        with session.serve_container_credentials() as server:
            body = get(server.url, server.token)[1]
    assert body["RoleArn"] == emu.sso_role_arn(ACCOUNT, ROLE)
    assert emu.calls("GetCallerIdentity") == 1


def test_without_sts_the_credentials_are_served_without_role_arn_and_sts_is_asked_once(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.faults.fail_next("GetCallerIdentity", n=50, status=500)
    caplog.set_level(logging.WARNING, logger="refreshable_sso")
    with (
        SSORefreshableSession.from_profile("dev", http={"max_attempts": 1}) as session,
        session.serve_container_credentials() as server,
    ):
        for _ in range(3):
            status, body = get(server.url, server.token)
            assert status == 200
            assert "RoleArn" not in body
            assert body["AccessKeyId"] == session.credentials.access_key
        assert emu.calls("GetCallerIdentity") == 1  # not once per request
        assert container_provider(server.env()).load().get_frozen_credentials().access_key
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("RoleArn is left out" in message for message in warnings)
    assert session.credentials.secret_key not in "\n".join(warnings)


def test_role_arn_on_every_path_of_a_multi_role_server(emu: Emulator) -> None:
    dev = SSORefreshableSession.from_profile("dev")
    sessions = {
        "dev": dev,
        "dev-admin": dev.for_role(ACCOUNT, OTHER_ROLE),
        "staging": dev.for_role(STAGING, ROLE),
        "deploy": dev.for_role(ACCOUNT, OTHER_ROLE).assume_role(DEPLOY),
    }
    expected = {
        "dev": emu.sso_role_arn(ACCOUNT, ROLE),
        "dev-admin": emu.sso_role_arn(ACCOUNT, OTHER_ROLE),
        "staging": emu.sso_role_arn(STAGING, ROLE),
        "deploy": DEPLOY,
    }
    assert len(set(expected.values())) == 4
    with ContainerCredentialServer(sessions) as server:
        for name, url in server.urls.items():
            status, body = get(url, server.token)
            assert status == 200, body
            assert body["RoleArn"] == expected[name], name
            assert body["AccountId"] == expected[name].split(":")[4], name
            role = expected[name].rsplit("/", 1)[1]
            assert f":assumed-role/{role}/" in caller_arn(body), name
            loaded = container_provider(server.env(name)).load().get_frozen_credentials()
            assert loaded.access_key == body["AccessKeyId"]


def test_role_arn_of_a_chain_is_the_last_hop(emu: Emulator) -> None:
    admin = SSORefreshableSession.from_profile("dev-admin")
    chain = admin.assume_role(DEPLOY).assume_role(AUDIT)
    emu.reset_counters()
    with chain.serve_container_credentials() as server:
        status, body = get(server.url, server.token)
        assert status == 200, body
        assert body["RoleArn"] == AUDIT
        assert body["AccountId"] == "333333333333"
        assert emu.calls("GetCallerIdentity") == 0  # the chain's config names the role
        assert caller_arn(body).startswith("arn:aws:sts::333333333333:assumed-role/Audit/")
        loaded = container_provider(server.env()).load().get_frozen_credentials()
        assert loaded.access_key == body["AccessKeyId"]
