"""Bounded: LRU and LFU evict in their order, max_size=0 caches nothing, dropped clients are closed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from refreshable_sso.clients import CacheInfo
from refreshable_sso.emulator import Emulator
from tests.clients.conftest import SESSION_REGION, CountingCreate, make_cache


def test_lru_evicts_the_least_recently_used(create_client: CountingCreate) -> None:
    cache = make_cache("LRU", max_size=3)
    sts = cache.client(create_client, SESSION_REGION, "sts")
    sqs = cache.client(create_client, SESSION_REGION, "sqs")
    sns = cache.client(create_client, SESSION_REGION, "sns")
    assert cache.client(create_client, SESSION_REGION, "sts") is sts  # sts is now the most recent
    cache.client(create_client, SESSION_REGION, "s3")  # evicts sqs, the least recently used
    assert create_client.builds == 4
    assert cache.client(create_client, SESSION_REGION, "sts") is sts
    assert cache.client(create_client, SESSION_REGION, "sns") is sns
    assert create_client.builds == 4
    assert cache.client(create_client, SESSION_REGION, "sqs") is not sqs  # rebuilt: it was evicted
    assert create_client.builds == 5
    assert cache.info() == CacheInfo(
        hits=3, misses=5, evictions=2, size=3, max_size=3, policy="LRU"
    )


def test_lfu_evicts_the_least_frequently_used(create_client: CountingCreate) -> None:
    cache = make_cache("LFU", max_size=3)
    for _ in range(3):
        cache.client(create_client, SESSION_REGION, "sts")  # used 3 times
    cache.client(create_client, SESSION_REGION, "sqs")  # used once (the newest, still evicted)
    for _ in range(2):
        cache.client(create_client, SESSION_REGION, "sns")  # used twice
    cache.client(create_client, SESSION_REGION, "s3")  # evicts sqs: fewest uses
    assert create_client.builds == 4
    for service in ("sts", "sns", "s3"):
        cache.client(create_client, SESSION_REGION, service)
    assert create_client.builds == 4
    cache.client(
        create_client, SESSION_REGION, "sqs"
    )  # was evicted: rebuilt, evicts s3 (2 uses, oldest of the least)
    assert create_client.builds == 5
    cache.client(create_client, SESSION_REGION, "sns")
    cache.client(create_client, SESSION_REGION, "sts")
    assert create_client.builds == 5
    info = cache.info()
    assert (info.evictions, info.size, info.policy) == (2, 3, "LFU")


def test_lru_and_lfu_disagree_on_the_victim(create_client: CountingCreate) -> None:
    """The same access pattern evicts different entries under the two policies."""
    victims = {}
    for policy in ("LRU", "LFU"):
        cache = make_cache(policy, max_size=2)
        for service in ("sts", "sts", "sts", "sqs"):
            cache.client(create_client, SESSION_REGION, service)
        cache.client(create_client, SESSION_REGION, "sns")  # one of sts / sqs must go
        before = create_client.builds
        cache.client(create_client, SESSION_REGION, "sts")
        victims[policy] = "sts" if create_client.builds > before else "sqs"
    assert victims == {"LRU": "sts", "LFU": "sqs"}


@pytest.mark.parametrize("policy", ["LRU", "LFU"])
def test_max_size_zero_caches_nothing_and_never_raises(
    policy: str, create_client: CountingCreate
) -> None:
    cache = make_cache(policy, max_size=0)
    first = cache.client(create_client, SESSION_REGION, "sts")
    second = cache.client(create_client, SESSION_REGION, "sts")
    assert first is not second
    assert first.get_caller_identity is not None  # a working client, not an error
    assert cache.info() == CacheInfo(
        hits=0, misses=2, evictions=0, size=0, max_size=0, policy=policy
    )
    cache.clear()


def test_size_stays_bounded_under_many_distinct_clients(create_client: CountingCreate) -> None:
    cache = make_cache("LRU", max_size=4)
    for i in range(12):
        cache.client(
            create_client, SESSION_REGION, "sts", endpoint_url=f"http://127.0.0.1:{9000 + i}"
        )
    info = cache.info()
    assert (info.size, info.misses, info.evictions) == (4, 12, 8)


def test_clear_empties_and_resets(
    create_client: CountingCreate, create_resource: CountingCreate
) -> None:
    cache = make_cache()
    client = cache.client(create_client, SESSION_REGION, "sts")
    cache.resource(create_resource, SESSION_REGION, "s3")
    cache.client(create_client, SESSION_REGION, "sts")
    cache.clear()
    assert cache.info() == CacheInfo(0, 0, 0, 0, 64, "LRU")
    assert cache.client(create_client, SESSION_REGION, "sts") is not client


def _pools(client: Any) -> int:
    return len(client._endpoint.http_session._manager.pools)


def test_evicted_clients_are_closed_but_keep_working(sso_emulator: Emulator) -> None:
    """Eviction releases the connection pool; a thread still holding the client can go on."""
    creds = sso_emulator.role_credentials()
    base = boto3.Session(
        region_name=SESSION_REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    create = CountingCreate(base.client)
    cache = make_cache("LRU", max_size=1)
    sts = cache.client(create, SESSION_REGION, "sts", endpoint_url=sso_emulator.url)
    assert sts.get_caller_identity()["Account"] == sso_emulator.default_account_id
    assert _pools(sts) == 1
    cache.client(create, SESSION_REGION, "sqs")  # evicts sts
    assert cache.info().evictions == 1
    assert _pools(sts) == 0  # closed
    assert sts.get_caller_identity()["Account"] == sso_emulator.default_account_id  # still usable
    cache.clear()


def test_evicted_resources_close_their_client(
    sso_emulator: Emulator, create_resource: CountingCreate
) -> None:
    cache = make_cache("LRU", max_size=1)
    iam = cache.resource(create_resource, SESSION_REGION, "iam", endpoint_url=sso_emulator.url)
    with pytest.raises(ClientError):  # the emulator serves no IAM; the call still opens a pool
        iam.meta.client.list_roles()
    assert _pools(iam.meta.client) == 1
    cache.resource(create_resource, SESSION_REGION, "s3")  # evicts the IAM resource
    assert _pools(iam.meta.client) == 0
