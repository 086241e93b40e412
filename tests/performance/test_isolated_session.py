"""Our SSO, SSO-OIDC and STS clients come from one isolated botocore session per AWS_* environment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.credentials import Credentials

from refreshable_sso.aws import clients as _aws
from refreshable_sso.emulator import Emulator


def _botocore_session_now() -> Any:
    assert _aws._isolated is not None
    return _aws._isolated[1]


def test_clients_share_one_session_until_the_aws_environment_changes(
    signed_in: Emulator, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _aws.sso_client(signed_in.region)
    first = _botocore_session_now()
    _aws.oidc_client(signed_in.region)
    _aws.sso_client("eu-west-1")
    assert _botocore_session_now() is first
    # another config file (a test, a user switching AWS_CONFIG_FILE): a session that reads it
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    _aws.sso_client(signed_in.region)
    second = _botocore_session_now()
    assert second is not first
    assert second.get_config_variable("region") == "eu-west-1"
    assert second.get_credentials() is None  # it never resolves credentials


def test_concurrent_clients_keep_their_own_credentials_and_sso_stays_unsigned(
    signed_in: Emulator,
) -> None:
    role = signed_in.role_credentials()
    made: list[tuple[Credentials | None, Any]] = []
    barrier = threading.Barrier(16)

    def build(index: int) -> None:
        for _ in range(5):  # rounds: races between threads are rare under the GIL
            barrier.wait(5)
            if index % 2:
                own = Credentials(
                    role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"]
                )
                made.append(
                    (own, _aws.sts_client(signed_in.region, own, endpoint_url=signed_in.url))
                )
            else:
                made.append((None, _aws.sso_client(signed_in.region, endpoint_url=signed_in.url)))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(build, range(16)))  # re-raises the first error of any thread
    assert len(made) == 80
    for own, client in made:
        signer_credentials = client._request_signer._credentials
        assert signer_credentials is own  # the object itself for STS, None (unsigned) for SSO
    assert _botocore_session_now()._credentials is None  # nothing left on the shared session
    sts = next(client for own, client in made if own is not None)
    assert sts.get_caller_identity()["Account"] == signed_in.default_account_id
