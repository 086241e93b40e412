"""Thread safety with real threads: one build per key, hits never wait for another key's build."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from refreshable_sso.clients import ClientCache
from tests.clients.conftest import SESSION_REGION, CountingCreate, make_cache

GUARD = 30.0  # seconds: "must not hang" guard, not a speed assertion


class BlockingCreate:
    """Builds real clients, but the build of ``service`` waits until ``release`` is set."""

    def __init__(self, inner: CountingCreate, service: str) -> None:
        self.inner = inner
        self.service = service
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if (args[0] if args else kwargs.get("service_name")) == self.service:
            self.entered.set()
            assert self.release.wait(GUARD), "the blocked build was never released"
        return self.inner(*args, **kwargs)


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD)
    assert not any(thread.is_alive() for thread in threads)


def test_threads_missing_the_same_key_build_it_once(create_client: CountingCreate) -> None:
    cache = make_cache()
    blocking = BlockingCreate(create_client, "sts")
    n = 8
    barrier = threading.Barrier(n + 1)
    results: list[Any] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(GUARD)
        client = cache.client(blocking, SESSION_REGION, "sts")
        with lock:
            results.append(client)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    barrier.wait(GUARD)  # all workers are about to call client() now
    assert blocking.entered.wait(GUARD)
    # Give the other workers time to reach the cache and find the build in progress;
    # if they did not wait for it, they would build their own clients (and the count below fails).
    threading.Event().wait(0.3)
    blocking.release.set()
    for thread in threads:
        thread.join(GUARD)
    assert not any(thread.is_alive() for thread in threads)
    assert create_client.builds == 1
    assert len(results) == n
    assert all(client is results[0] for client in results)
    info = cache.info()
    assert (info.misses, info.hits, info.size) == (1, n - 1, 1)


def test_a_hit_is_not_blocked_by_a_slow_miss_on_another_key(create_client: CountingCreate) -> None:
    cache = make_cache()
    blocking = BlockingCreate(create_client, "sqs")
    sts = cache.client(blocking, SESSION_REGION, "sts")  # key B, cached
    slow = threading.Thread(target=cache.client, args=(blocking, SESSION_REGION, "sqs"))
    slow.start()
    try:
        assert blocking.entered.wait(GUARD)  # key A is being built and is stuck
        hit: list[Any] = []
        other_miss: list[Any] = []
        fast = threading.Thread(
            target=lambda: hit.append(cache.client(blocking, SESSION_REGION, "sts"))
        )
        miss = threading.Thread(
            target=lambda: other_miss.append(cache.client(blocking, SESSION_REGION, "sns"))
        )
        _run([fast, miss])
        assert hit == [sts]  # the hit completed while A's build was still blocked
        assert len(other_miss) == 1  # and so did a miss on a third key
        assert not blocking.release.is_set()
        assert slow.is_alive()
        assert cache.info().size == 2  # A is not in the cache yet
    finally:
        blocking.release.set()
        slow.join(GUARD)
    assert cache.info().size == 3


def test_a_failed_build_is_not_cached_and_waiters_retry() -> None:
    cache = make_cache()
    attempts: list[int] = []
    entered = threading.Event()
    release = threading.Event()

    def flaky(*args: Any, **kwargs: Any) -> object:
        attempts.append(1)
        if len(attempts) == 1:
            entered.set()
            release.wait(GUARD)
            raise RuntimeError("first build fails")
        return object()

    errors: list[BaseException] = []
    values: list[object] = []

    def first() -> None:
        try:
            cache.client(flaky, SESSION_REGION, "sts")
        except RuntimeError as exc:
            errors.append(exc)

    t1 = threading.Thread(target=first)
    t1.start()
    assert entered.wait(GUARD)
    t2 = threading.Thread(target=lambda: values.append(cache.client(flaky, SESSION_REGION, "sts")))
    t2.start()
    threading.Event().wait(0.2)  # let t2 find the build in progress and wait for it
    release.set()
    t1.join(GUARD)
    t2.join(GUARD)
    assert len(errors) == 1
    assert len(values) == 1
    assert len(attempts) == 2  # the waiter built it after the first build failed
    assert cache.client(flaky, SESSION_REGION, "sts") is values[0]


@pytest.mark.parametrize("policy", ["LRU", "LFU"])
def test_many_threads_mixed_keys_stay_consistent(policy: str) -> None:
    """16 threads over 12 keys with room for 5: every answer is the right object, counts add up."""
    cache: ClientCache = make_cache(policy, max_size=5)
    builds: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def create(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
        with lock:
            builds.append(args)
        return ("client", args[0], kwargs.get("region_name"))

    wrong: list[Any] = []
    calls_per_thread = 400

    def worker(seed: int) -> None:
        for i in range(calls_per_thread):
            service = f"svc{(seed * 7 + i * 5) % 12}"
            region = "eu-west-1" if i % 3 == 0 else None
            got = cache.client(create, SESSION_REGION, service, region_name=region)
            if got != ("client", service, region):
                wrong.append(got)
            assert cache.info().size <= 5

    _run([threading.Thread(target=worker, args=(seed,)) for seed in range(16)])
    info = cache.info()
    assert wrong == []
    assert info.hits + info.misses == 16 * calls_per_thread
    assert info.misses == len(builds)
    assert info.size == 5
    assert info.evictions == info.misses - info.size
