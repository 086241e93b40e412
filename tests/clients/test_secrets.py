"""No secret passed to client()/resource() ends up in a key, repr, info or log line."""

from __future__ import annotations

import logging

import pytest

from refreshable_sso import clients
from refreshable_sso.clients import ClientCache
from tests.clients.conftest import SESSION_REGION, CountingCreate, make_cache

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
ACCESS_KEY = "AKIAEXAMPLEACCESSKEY"


def _everything_visible(cache: ClientCache) -> str:
    keys = list(cache._entries.keys()) if cache._entries is not None else []
    # the module-level memo of bound keys by call spelling must not keep secrets either
    spellings = list(clients._bound_keys.items())
    return "\n".join([repr(cache), str(cache), repr(cache.info()), repr(keys), repr(spellings)])


@pytest.mark.parametrize("policy", ["LRU", "LFU"])
def test_secrets_never_reach_keys_reprs_info_or_logs(
    policy: str,
    create_client: CountingCreate,
    create_resource: CountingCreate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="refreshable_sso")
    cache = make_cache(policy, max_size=4)
    cache.client(create_client, SESSION_REGION, "sts")
    cache.client(
        create_client,
        SESSION_REGION,
        "sts",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    )
    cache.client(
        create_client,
        SESSION_REGION,
        "s3",
        None,
        None,
        True,
        None,
        None,
        ACCESS_KEY,
        SECRET_KEY,
        SESSION_TOKEN,
    )
    cache.resource(
        create_resource,
        SESSION_REGION,
        "s3",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    )
    visible = _everything_visible(cache) + "\n" + caplog.text
    for secret in (SECRET_KEY, SESSION_TOKEN, ACCESS_KEY):
        assert secret not in visible
    assert cache.info().size == 1  # only the call without explicit credentials was kept
    assert "ClientCache(policy=" in repr(cache)
