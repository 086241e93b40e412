"""A bounded LRU/LFU cache of aiobotocore clients: the sync cache's keys, per event loop.

What counts as the same client is the sync cache's rule (``refreshable_sso.clients``: the same
key function, so equal calls share one entry and calls with explicit credentials are never
cached). Two things differ because the clients are async:

* an aiobotocore client belongs to the event loop it was made on (its aiohttp session does),
  so the loop is part of the key: each loop gets its own client;
* making and closing a client are awaited: tasks missing the same key wait for one build, and
  a dropped client is closed on its own loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import Cache, LFUCache, LRUCache

from refreshable_sso.session.client_cache import (
    CacheInfo,
    CacheSettings,
    check_settings,
    client_key,
)

logger = logging.getLogger(__name__)


class _Entry:
    __slots__ = ("client", "context", "loop")

    def __init__(self, context: Any, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.context = context
        self.client = client
        self.loop = loop


async def _close(entry: _Entry) -> None:
    """Close a dropped client on its own loop (best effort: never break a cache operation)."""
    try:
        current = asyncio.get_running_loop()
        if entry.loop is current:
            await entry.context.__aexit__(None, None, None)
        elif not entry.loop.is_closed() and entry.loop.is_running():
            done = asyncio.run_coroutine_threadsafe(
                entry.context.__aexit__(None, None, None), entry.loop
            )
            await asyncio.wrap_future(done)
    except Exception:
        logger.debug("closing a dropped aiobotocore client failed", exc_info=True)


class AioClientCache:
    """``await cache.client(create_client, region, *args, **kwargs)``: one client per key and loop."""

    def __init__(self, config: CacheSettings) -> None:
        self._policy, self._max_size = check_settings(config)
        self._entries: Cache[Hashable, _Entry] | None = (
            None
            if self._max_size == 0
            else (LRUCache if self._policy == "LRU" else LFUCache)(self._max_size)
        )
        self._lock = threading.Lock()  # loops in several threads share the cache
        self._building: dict[Hashable, asyncio.Future[Any]] = {}
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    async def client(
        self, create: Callable[..., Any], session_region: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        use_cache = kwargs.pop("cache", True)
        if not isinstance(use_cache, bool):
            from refreshable_sso.errors import ConfigurationError

            raise ConfigurationError(
                f"cache= must be True or False, got {use_cache!r}",
                [f"cache: expected a bool, got {type(use_cache).__name__}"],
            )
        loop = asyncio.get_running_loop()
        key = client_key(session_region, args, kwargs) if use_cache else None
        if key is None or self._entries is None:
            entry = await self._make(create, loop, args, kwargs)
            with self._lock:
                self._misses += 1
            return entry.client  # not cached: the caller owns it (await client.close())
        key = (id(loop), key)
        while True:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found.loop is loop:
                    self._hits += 1
                    return found.client
                pending = self._building.get(key)
                if pending is None:
                    self._building[key] = loop.create_future()
                    break
            await asyncio.shield(pending)  # another task builds this key: wait for it
        return await self._build(key, create, loop, args, kwargs)

    async def _make(
        self,
        create: Callable[..., Any],
        loop: asyncio.AbstractEventLoop,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _Entry:
        context = create(*args, **kwargs)
        client = await context.__aenter__()
        return _Entry(context, client, loop)

    async def _build(
        self,
        key: Hashable,
        create: Callable[..., Any],
        loop: asyncio.AbstractEventLoop,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        assert self._entries is not None
        try:
            entry = await self._make(create, loop, args, kwargs)
        except BaseException:
            with self._lock:
                self._building.pop(key).set_result(None)
            raise
        evicted: list[_Entry] = []
        with self._lock:
            self._misses += 1
            while len(self._entries) >= self._max_size:
                evicted.append(self._entries.popitem()[1])
            self._entries[key] = entry
            self._evictions += len(evicted)
            self._building.pop(key).set_result(None)
        for old in evicted:
            await _close(old)
        return entry.client

    def info(self) -> CacheInfo:
        """Hits, misses, evictions, size, bound and policy (the sync cache's ``CacheInfo``)."""
        with self._lock:
            size = len(self._entries) if self._entries is not None else 0
            return CacheInfo(
                self._hits, self._misses, self._evictions, size, self._max_size, self._policy
            )

    async def clear(self) -> None:
        """Close and drop the calling loop's cached clients (and those of closed loops).

        Clients of other running loops stay: tasks there may be using them right now (a Dask
        worker runs several tasks, each with its own loop, on one unpickled session).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            dropped: list[_Entry] = []
            if self._entries is not None:
                for key, entry in list(self._entries.items()):
                    if entry.loop is loop or entry.loop.is_closed():
                        dropped.append(self._entries.pop(key))
        for entry in dropped:
            await _close(entry)

    def __repr__(self) -> str:
        info = self.info()
        return (
            f"AioClientCache(policy={info.policy!r}, max_size={info.max_size}, size={info.size}, "
            f"hits={info.hits}, misses={info.misses}, evictions={info.evictions})"
        )


__all__ = ["AioClientCache"]
