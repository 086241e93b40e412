"""AnyLoopLock: mutual exclusion across event loops in several threads, and cancellation."""

from __future__ import annotations

import asyncio
import threading

from refreshable_sso.aio._lock import AnyLoopLock


def test_tasks_of_four_loops_in_four_threads_take_turns() -> None:
    lock = AnyLoopLock()
    inside = [0]
    worst = [0]
    entered = [0]
    guard = threading.Lock()

    async def critical() -> None:
        async with lock:
            with guard:
                inside[0] += 1
                worst[0] = max(worst[0], inside[0])
                entered[0] += 1
            await asyncio.sleep(0.001)  # hold it across a suspension
            with guard:
                inside[0] -= 1

    async def loop_body() -> None:
        await asyncio.gather(*(critical() for _ in range(25)))

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(loop_body())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert entered[0] == 100
    assert worst[0] == 1  # never two holders at once, whichever loop they ran on
    assert not lock.locked()


def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = AnyLoopLock()

    async def main() -> None:
        await lock.acquire()
        waiter = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        lock.release()
        assert not lock.locked()
        # handed over and cancelled in the same turn: the lock passes on, nobody is stuck
        await lock.acquire()
        second = asyncio.create_task(lock.acquire())
        third = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0)
        lock.release()
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        await asyncio.wait_for(third, timeout=5)
        lock.release()
        assert not lock.locked()

    asyncio.run(main())
