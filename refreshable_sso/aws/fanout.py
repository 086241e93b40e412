"""Bounded, ordered fan-out: one mechanism for every listing that calls an API per item.

Items are submitted to a thread pool while at most ``window_per_worker * max_workers`` are in
flight, and results leave in submission order, so a consumer can start on the first results
while later ones are fetched, a slow item never lets the pool run unboundedly ahead, and an
exception surfaces where its item would have been. Backoff is not done here: the clients the
work functions use retry throttles (botocore ``standard`` mode).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Items in flight per worker: results leave in order, so a slow item must not starve the pool
# while later ones wait behind it.
WINDOW_PER_WORKER = 16


def ordered_fan_out(
    work: Callable[[T], list[R]],
    items: Iterable[T],
    max_workers: int,
    *,
    thread_name_prefix: str,
    window_per_worker: int = WINDOW_PER_WORKER,
) -> Iterator[R]:
    """``work(item)`` for every item on up to ``max_workers`` threads; results in item order."""
    if max_workers == 1:
        for item in items:
            yield from work(item)
        return
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
    in_flight: deque[Future[list[R]]] = deque()
    try:
        for item in items:
            in_flight.append(pool.submit(work, item))
            while len(in_flight) >= window_per_worker * max_workers:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
