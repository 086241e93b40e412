"""Helpers for the client-cache tests: a plain boto3 session to build real clients, and a
create callable that counts how often the cache really builds one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from refreshable_sso.clients import ClientCache
from refreshable_sso.config import CacheConfig

SESSION_REGION = "us-east-1"


class CountingCreate:
    """Wraps a real ``boto3.Session.client``/``resource`` and records every build."""

    def __init__(self, create: Callable[..., Any]) -> None:
        self._create = create
        self._lock = threading.Lock()
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls.append((args, kwargs))
        return self._create(*args, **kwargs)

    @property
    def builds(self) -> int:
        with self._lock:
            return len(self.calls)


@pytest.fixture
def base_session() -> boto3.Session:
    """A plain boto3 session with static (fake) keys: clients are built, never sent anywhere."""
    return boto3.Session(
        region_name=SESSION_REGION,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
    )


@pytest.fixture
def create_client(base_session: boto3.Session) -> CountingCreate:
    return CountingCreate(base_session.client)


@pytest.fixture
def create_resource(base_session: boto3.Session) -> CountingCreate:
    return CountingCreate(base_session.resource)


def make_cache(policy: str = "LRU", max_size: int = 64) -> ClientCache:
    return ClientCache(CacheConfig(eviction_policy=policy, max_size=max_size))  # type: ignore[arg-type]
