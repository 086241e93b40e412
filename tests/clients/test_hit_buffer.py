"""Lock-free hits: buffered hits reach cachetools in order, so eviction and counts are exact.

A hit reads a plain dict and appends its key to a buffer; the buffer is replayed into the
cachetools cache in batches (and before every miss, eviction and ``info()``). These tests run
long access sequences, well past one batch, against a reference cachetools cache that sees
every access directly, and require the same victims, builds and counters.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from cachetools import Cache, LFUCache, LRUCache

from refreshable_sso.clients import _APPLY_HITS_AT, ClientCache
from tests.clients.conftest import SESSION_REGION, CountingCreate, make_cache

SERVICES = [f"svc{i}" for i in range(9)]


def _counting() -> CountingCreate:
    """Counts builds of stand-in clients: a fresh object each, so identity shows the build."""
    return CountingCreate(lambda *args, **kwargs: object())


def _reference(policy: str, max_size: int) -> Cache[str, object]:
    return LRUCache(max_size) if policy == "LRU" else LFUCache(max_size)


@pytest.mark.parametrize("policy", ["LRU", "LFU"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_sequences_evict_exactly_as_cachetools_would(policy: str, seed: int) -> None:
    rng = random.Random(seed)
    cache: ClientCache = make_cache(policy, max_size=5)
    reference = _reference(policy, 5)
    create = _counting()
    expected_builds = expected_hits = 0
    # Bursts of hits on a few keys (longer than one replay batch), then a spread of misses.
    for _ in range(40):
        hot = rng.sample(SERVICES, 3)
        burst = rng.randrange(_APPLY_HITS_AT // 2, _APPLY_HITS_AT * 3)
        sequence = [rng.choice(hot) for _ in range(burst)] + rng.sample(SERVICES, 4)
        for service in sequence:
            got = cache.client(create, SESSION_REGION, service)
            if service in reference:  # a hit: the very client built for it, nothing built
                assert got is reference[service]  # cachetools records the use here too
                expected_hits += 1
            else:
                while len(reference) >= 5:
                    reference.popitem()
                expected_builds += 1
                reference[service] = got
            assert create.builds == expected_builds
    info = cache.info()
    assert (info.hits, info.misses) == (expected_hits, expected_builds)
    assert info.evictions == expected_builds - 5
    assert sorted(key[1] for key in cache._entries or ()) == sorted(reference)


def test_hits_from_many_threads_are_all_counted() -> None:
    cache: ClientCache = make_cache("LRU", max_size=4)
    create = _counting()
    for service in SERVICES[:4]:
        cache.client(create, SESSION_REGION, service)
    per_thread = 5 * _APPLY_HITS_AT + 17
    wrong: list[Any] = []

    def worker(index: int) -> None:
        service = SERVICES[index % 4]
        expected = cache.client(create, SESSION_REGION, service)
        for _ in range(per_thread - 1):
            if cache.client(create, SESSION_REGION, service) is not expected:
                wrong.append(service)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert wrong == []
    info = cache.info()
    assert (info.hits, info.misses, info.evictions, info.size) == (8 * per_thread, 4, 0, 4)
    assert create.builds == 4


def test_a_hit_never_returns_an_entry_after_clear() -> None:
    cache: ClientCache = make_cache("LRU", max_size=4)
    create = _counting()
    first = cache.client(create, SESSION_REGION, "sts")
    for _ in range(_APPLY_HITS_AT + 1):
        assert cache.client(create, SESSION_REGION, "sts") is first
    cache.clear()
    assert cache.info().hits == 0
    assert cache.client(create, SESSION_REGION, "sts") is not first
    assert cache.info().misses == 1
