"""What "the same client" means: equal calls share one entry, different ones never do."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from refreshable_sso.clients import ClientCache, config_key
from refreshable_sso.errors import ConfigurationError
from tests.clients.conftest import SESSION_REGION, CountingCreate, make_cache


def _same(
    cache: ClientCache, create: CountingCreate, calls: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    """Every spelling in ``calls`` returns the first one's client, built exactly once."""
    first_args, first_kwargs = calls[0]
    first = cache.client(create, SESSION_REGION, *first_args, **first_kwargs)
    for args, kwargs in calls[1:]:
        assert cache.client(create, SESSION_REGION, *args, **kwargs) is first, (args, kwargs)
    assert create.builds == 1
    assert cache.info().size == 1


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param(
            [
                (("s3",), {}),
                (("s3", "us-east-1"), {}),
                (("s3",), {"region_name": "us-east-1"}),
                ((), {"service_name": "s3"}),
                ((), {"service_name": "s3", "region_name": "us-east-1"}),
                (("s3", None), {}),  # None region = the session's region
                (("s3",), {"region_name": None, "use_ssl": True, "verify": None}),
                (("s3", "us-east-1", None, True, None, None), {}),
            ],
            id="defaults-and-session-region",
        ),
        pytest.param(
            [
                (("s3", "eu-west-1", None, False, False, "http://127.0.0.1:9"), {}),
                (
                    ("s3",),
                    {
                        "endpoint_url": "http://127.0.0.1:9",
                        "verify": False,
                        "use_ssl": False,
                        "region_name": "eu-west-1",
                    },
                ),
                (
                    ("s3", "eu-west-1"),
                    {"use_ssl": False, "verify": False, "endpoint_url": "http://127.0.0.1:9"},
                ),
            ],
            id="positional-and-keyword",
        ),
        pytest.param(
            [
                (("sts",), {"config": Config(connect_timeout=3, read_timeout=7)}),
                (("sts",), {"config": Config(read_timeout=7, connect_timeout=3)}),
                (
                    (
                        "sts",
                        None,
                        None,
                        True,
                        None,
                        None,
                        None,
                        None,
                        None,
                        Config(connect_timeout=3, read_timeout=7),
                    ),
                    {},
                ),
            ],
            id="equal-config-objects",
        ),
        pytest.param(
            [
                (
                    ("sts",),
                    {
                        "config": Config(
                            retries={"max_attempts": 4, "mode": "standard"},
                            s3={"addressing_style": "path"},
                        )
                    },
                ),
                (
                    ("sts",),
                    {
                        "config": Config(
                            s3={"addressing_style": "path"},
                            retries={"mode": "standard", "max_attempts": 4},
                        )
                    },
                ),
                # botocore's own spelling of the same budget (it rewrites max_attempts to this)
                (
                    ("sts",),
                    {
                        "config": Config(
                            retries={"mode": "standard", "total_max_attempts": 5},
                            s3={"addressing_style": "path"},
                        )
                    },
                ),
            ],
            id="nested-config-dicts",
        ),
    ],
)
def test_equivalent_spellings_share_one_client(
    create_client: CountingCreate, calls: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    _same(make_cache(), create_client, calls)


def test_config_still_matches_after_botocore_rewrote_it(create_client: CountingCreate) -> None:
    """botocore mutates a Config's retries dict when it builds a client from it."""
    cache = make_cache()
    config = Config(retries={"max_attempts": 2})
    first = cache.client(create_client, SESSION_REGION, "sts", config=config)
    assert "total_max_attempts" in config.retries  # the rewrite this test is about
    assert cache.client(create_client, SESSION_REGION, "sts", config=config) is first
    assert (
        cache.client(
            create_client, SESSION_REGION, "sts", config=Config(retries={"max_attempts": 2})
        )
        is first
    )
    assert create_client.builds == 1


@pytest.mark.parametrize(
    "other",
    [
        pytest.param((("sqs",), {}), id="service"),
        pytest.param((("sts", "eu-west-1"), {}), id="region"),
        pytest.param((("sts",), {"endpoint_url": "http://127.0.0.1:9"}), id="endpoint_url"),
        pytest.param((("sts",), {"use_ssl": False}), id="use_ssl"),
        pytest.param((("sts",), {"verify": False}), id="verify-false"),
        pytest.param((("sts",), {"verify": True}), id="verify-true-is-not-none"),
        pytest.param((("sts",), {"api_version": "2011-06-15"}), id="api_version"),
        pytest.param((("sts",), {"config": Config()}), id="empty-config-vs-none"),
        pytest.param((("sts",), {"config": Config(connect_timeout=4)}), id="config-option"),
        pytest.param(
            (("sts",), {"config": Config(retries={"mode": "adaptive"})}), id="nested-config-value"
        ),
    ],
)
def test_different_calls_get_different_clients(
    create_client: CountingCreate, other: tuple[tuple[Any, ...], dict[str, Any]]
) -> None:
    cache = make_cache()
    base = cache.client(create_client, SESSION_REGION, "sts")
    args, kwargs = other
    different = cache.client(create_client, SESSION_REGION, *args, **kwargs)
    assert different is not base
    assert create_client.builds == 2
    # and each is then a hit for its own spelling
    assert cache.client(create_client, SESSION_REGION, *args, **kwargs) is different
    assert cache.client(create_client, SESSION_REGION, "sts") is base
    assert cache.info().hits == 2


def test_differing_nested_config_values_are_distinct() -> None:
    a = Config(retries={"max_attempts": 3, "mode": "standard"})
    b = Config(retries={"max_attempts": 4, "mode": "standard"})
    c = Config(retries={"max_attempts": 3, "mode": "standard"}, proxies={"https": "http://p:1"})
    assert len({config_key(a), config_key(b), config_key(c)}) == 3
    assert config_key(a) == config_key(Config(retries={"mode": "standard", "max_attempts": 3}))


def test_session_region_is_part_of_the_key() -> None:
    """A None region means the session's region, whatever that is at call time."""
    cache = make_cache()
    east = CountingCreate(boto3.Session(region_name="us-east-1").client)
    west = CountingCreate(boto3.Session(region_name="us-west-2").client)
    east_client = cache.client(east, "us-east-1", "sts")
    west_client = cache.client(west, "us-west-2", "sts")
    assert east_client is not west_client
    assert (east_client.meta.region_name, west_client.meta.region_name) == (
        "us-east-1",
        "us-west-2",
    )
    assert cache.client(west, "us-west-2", "sts", region_name="us-west-2") is west_client
    assert cache.client(east, "us-west-2", "sts", region_name="us-east-1") is east_client


def test_clients_and_resources_are_separate_entries(
    create_client: CountingCreate, create_resource: CountingCreate
) -> None:
    cache = make_cache()
    client = cache.client(create_client, SESSION_REGION, "s3")
    resource = cache.resource(create_resource, SESSION_REGION, "s3")
    assert resource is not client
    assert (
        cache.resource(
            create_resource, SESSION_REGION, service_name="s3", region_name=SESSION_REGION
        )
        is resource
    )
    assert create_resource.builds == 1
    assert cache.info().size == 2


def test_explicit_credentials_are_never_cached(create_client: CountingCreate) -> None:
    cache = make_cache()
    cached = cache.client(create_client, SESSION_REGION, "sts")
    spellings: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("sts",), {"aws_access_key_id": "AKIDOTHER", "aws_secret_access_key": "other-secret"}),
        (("sts", None, None, True, None, None, "AKIDOTHER", "other-secret", "other-token"), {}),
        (("sts",), {"aws_session_token": "just-a-token"}),
    ]
    for args, kwargs in spellings:
        first = cache.client(create_client, SESSION_REGION, *args, **kwargs)
        again = cache.client(create_client, SESSION_REGION, *args, **kwargs)
        assert first is not again
        assert first is not cached
    assert create_client.builds == 1 + 2 * len(spellings)
    assert cache.info().size == 1


def test_cache_false_builds_a_fresh_uncached_client(create_client: CountingCreate) -> None:
    cache = make_cache()
    cached = cache.client(create_client, SESSION_REGION, "sts")
    fresh = cache.client(create_client, SESSION_REGION, "sts", cache=False)
    assert fresh is not cached
    assert cache.client(create_client, SESSION_REGION, "sts", cache=False) is not fresh
    assert cache.client(create_client, SESSION_REGION, "sts", cache=True) is cached
    assert cache.info().size == 1
    assert all("cache" not in kwargs for _, kwargs in create_client.calls)  # never passed to boto3


def test_cache_flag_must_be_a_bool(create_client: CountingCreate) -> None:
    with pytest.raises(ConfigurationError, match="cache= must be True or False"):
        make_cache().client(create_client, SESSION_REGION, "sts", cache="no")
    assert create_client.builds == 0


def test_bad_arguments_get_boto3s_own_error(create_client: CountingCreate) -> None:
    cache = make_cache()
    with pytest.raises(TypeError, match="bogus"):
        cache.client(create_client, SESSION_REGION, "sts", bogus=1)
    with pytest.raises(TypeError, match="region_name"):
        cache.client(create_client, SESSION_REGION, "sts", "us-east-1", region_name="us-east-1")
    with pytest.raises(TypeError, match="service_name"):
        cache.client(create_client, SESSION_REGION)
    assert cache.info().size == 0


def test_invalid_cache_settings_name_every_problem() -> None:
    class Settings:
        eviction_policy = "FIFO"
        max_size = -1

    with pytest.raises(ConfigurationError) as caught:
        ClientCache(Settings())
    assert len(caught.value.problems) == 2
    assert "eviction_policy" in str(caught.value)
    assert "max_size" in str(caught.value)
