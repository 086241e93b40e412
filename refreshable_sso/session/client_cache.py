"""Bounded LRU/LFU caches of boto3 clients and resources, one per session.

Creating a boto3 client costs milliseconds and megabytes, so long-running programs want to
reuse them; but a cache hit must cost about a dictionary lookup, equal calls must share one
entry, and the cache must stay bounded and safe under threads. Eviction order is cachetools'
(``LRUCache`` / ``LFUCache``); this module only decides *what is the same client* (the key) and
*who builds it* (one thread per key, never under the lock hits take).

What is never cached: calls that pass explicit credentials (``aws_access_key_id``,
``aws_secret_access_key``, ``aws_session_token``) -- a cached client always signs with the
session's refreshable credentials, and no secret is ever kept in a key, label or ``repr``.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import boto3
from botocore.config import Config
from cachetools import Cache, LFUCache, LRUCache

from refreshable_sso.aws import _botocore
from refreshable_sso.errors import ConfigurationError

logger = logging.getLogger("refreshable_sso.clients")  # the name it always had

EVICTION_POLICIES: tuple[str, ...] = ("LRU", "LFU")

# Parameters of boto3.Session.client/resource that carry secrets: such calls are never cached.
_SECRET_PARAMETERS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token"})


class CacheSettings(Protocol):
    """What the cache needs from ``config.CacheConfig`` (any object with these two attributes)."""

    @property
    def eviction_policy(self) -> str: ...

    @property
    def max_size(self) -> int: ...


class CacheInfo(NamedTuple):
    """Counters of one cache: ``misses`` counts calls that created a new client or resource
    (including uncached ones), ``evictions`` entries dropped to stay within ``max_size``."""

    hits: int
    misses: int
    evictions: int
    size: int
    max_size: int
    policy: str


@dataclass(frozen=True)
class _Signature:
    """Where each argument of ``boto3.Session.client``/``resource`` sits, computed once at import
    so binding positional and keyword spellings costs no ``inspect`` call per hit."""

    names: tuple[str, ...]
    index: Mapping[str, int]
    defaults: tuple[Any, ...]
    secret_positions: tuple[int, ...]
    config_position: int
    account_position: int | None

    @classmethod
    def of(cls, method: Callable[..., Any]) -> _Signature:
        params = [p for p in inspect.signature(method).parameters.values() if p.name != "self"]
        names = tuple(p.name for p in params)
        expected = (
            "service_name",
            "region_name",
            "api_version",
            "use_ssl",
            "verify",
            "endpoint_url",
        )
        if names[: len(expected)] != expected or "config" not in names:
            raise RuntimeError(  # pragma: no cover - only if boto3 changes its public signature
                f"boto3.Session.{method.__name__} has an unexpected signature {names}; "
                "refreshable_sso.clients needs updating"
            )
        return cls(
            names=names,
            index={name: i for i, name in enumerate(names)},
            defaults=tuple(
                _REQUIRED if p.default is inspect.Parameter.empty else p.default for p in params
            ),
            secret_positions=tuple(i for i, n in enumerate(names) if n in _SECRET_PARAMETERS),
            config_position=names.index("config"),
            account_position=names.index("aws_account_id") if "aws_account_id" in names else None,
        )


class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


_FAILED: Any = object()  # what waiters see when the build they waited for raised

# Hits are recorded in a buffer and handed to cachetools in batches of about this many (or at
# the next miss, eviction or info()), by whichever thread finds the lock free.
_APPLY_HITS_AT = 256

_CLIENT = _Signature.of(boto3.Session.client)
_RESOURCE = _Signature.of(boto3.Session.resource)


_ATOMS = (str, int, float, bool, type(None))


def _freeze(value: Any) -> Any:
    """A hashable, order-insensitive stand-in for nested option values (retries, s3, proxies)."""
    if isinstance(value, _ATOMS):
        return value
    if isinstance(value, Mapping):
        return ("mapping", frozenset((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v) for v in value)
    return value


def _options(config: Config) -> dict[str, Any]:
    """The options a caller set on ``config``, with retries spelled the way botocore settles them.

    botocore records the options a caller actually set in ``_user_provided_options`` (those are
    what override the config file and environment when a client is made); if a future botocore
    drops that attribute we fall back to every public option's current value. botocore rewrites
    ``retries={"max_attempts": n}`` to ``{"total_max_attempts": n + 1}``; both spell one key.
    """
    options = _botocore.user_provided_options(config)
    if options is None:
        options = {name: getattr(config, name, None) for name in Config.OPTION_DEFAULTS}
    retries = options.get("retries")
    if isinstance(retries, Mapping) and "max_attempts" in retries:
        retries = dict(retries)
        attempts = retries.pop("max_attempts")
        if "total_max_attempts" not in retries and isinstance(attempts, int):
            retries["total_max_attempts"] = attempts + 1
        options = {**options, "retries": retries}
    return options


# Keys of Config objects already seen, by identity (weakly held). botocore mutates a Config's
# retries dict in place when it builds a client from it, so a Config's key is taken the first
# time we see it: like botocore, we treat a Config as immutable once it has been used.
_seen_configs: weakref.WeakKeyDictionary[Config, Hashable] = weakref.WeakKeyDictionary()
_seen_configs_lock = threading.Lock()


def config_key(config: Config) -> Hashable:
    """Equal options give equal keys, whatever Config object or argument order carried them."""
    try:
        return _seen_configs[config]
    except (KeyError, TypeError):
        pass
    key: Hashable = ("Config", _freeze(_options(config)))
    try:
        with _seen_configs_lock:
            _seen_configs[config] = key
    except TypeError:  # pragma: no cover - a Config subclass that cannot be weakly referenced
        pass
    return key


def _make_key(
    kind: str,
    sig: _Signature,
    session_region: str | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, ...] | None:
    """The cache key of one call, or None when the call must not (or cannot) be cached."""
    if not kwargs and len(args) == 1 and type(args[0]) is str:  # client("s3"): the hot path
        return (kind, args[0], session_region, *_DEFAULT_TAILS[kind])
    # Any other spelling: remember its bound key by the call's literal arguments, so a repeated
    # call with keywords or a Config (hashed by identity) skips the binding.
    try:
        spelling = (kind, session_region, args, tuple(kwargs.items()))
        remembered = _bound_keys.get(spelling)
    except TypeError:  # an unhashable argument value: bind every time
        return _bound_key(kind, sig, session_region, args, kwargs)
    if remembered is not None:
        return remembered
    key = _bound_key(kind, sig, session_region, args, kwargs)
    if key is not None:  # uncacheable calls (explicit credentials) are never remembered
        if len(_bound_keys) >= _BOUND_KEYS_MAX:
            _bound_keys.clear()  # a bound, not a cache policy: re-binding is cheap
        _bound_keys[spelling] = key
    return key


# Bound keys by literal call arguments (see _make_key); plain dict get/set are atomic under the
# GIL, and a racing clear() only costs a re-bind.
_BOUND_KEYS_MAX = 1024
_bound_keys: dict[Hashable, tuple[Any, ...]] = {}


def _bound_key(
    kind: str,
    sig: _Signature,
    session_region: str | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, ...] | None:
    nargs = len(args)
    if nargs > len(sig.names):
        return None  # boto3 will raise its own TypeError
    values = list(sig.defaults)
    values[:nargs] = args
    index = sig.index
    for name, value in kwargs.items():
        position = index.get(name)
        if position is None or position < nargs:
            return None  # unknown or duplicate argument: let boto3 say so
        values[position] = value
    if values[0] is _REQUIRED:
        return None
    for position in sig.secret_positions:
        if values[position] is not None:
            return None  # explicit credentials: never cached, never kept
    config = values[sig.config_position]
    if config is not None:
        if not isinstance(config, Config):
            return None
        config = config_key(config)
    region = values[1] if values[1] is not None else session_region
    account = values[sig.account_position] if sig.account_position is not None else None
    key = (kind, values[0], region, values[2], values[3], values[4], values[5], account, config)
    try:
        hash(key)
    except TypeError:
        logger.debug("not caching a %s: an argument value is unhashable", kind)
        return None
    return key


def _default_tail(kind: str, sig: _Signature) -> tuple[Any, ...]:
    key = _bound_key(kind, sig, None, ("service",), {"region_name": None})
    if key is None:  # pragma: no cover - only if boto3 changes its defaults
        raise RuntimeError(
            f"cannot key boto3.Session.{kind}; refreshable_sso.clients needs updating"
        )
    return key[3:]


# What the full binding gives after (kind, service, region) for a bare service name, so the hot
# path's key is the same one every other spelling of that call produces.
_DEFAULT_TAILS = {
    "client": _default_tail("client", _CLIENT),
    "resource": _default_tail("resource", _RESOURCE),
}
_CLIENT_TAIL = _DEFAULT_TAILS["client"]


def _bare_key(key: Hashable) -> tuple[str, str | None] | None:
    """``(service, region)`` when ``key`` is what ``client(service)`` gives, else None."""
    if (
        isinstance(key, tuple)
        and len(key) == 3 + len(_CLIENT_TAIL)
        and key[0] == "client"
        and key[3:] == _CLIENT_TAIL
    ):
        return key[1], key[2]
    return None


def _close(value: Any) -> None:
    """Release a dropped client's (or resource's client's) HTTP connection pool.

    botocore's ``close()`` only clears the urllib3 pool manager: a thread still holding the
    client can keep using it (new connections are opened on demand).
    """
    client = getattr(getattr(value, "meta", None), "client", value)
    close = getattr(client, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # closing is best effort; never let it break a cache operation
            logger.debug("closing an evicted client failed", exc_info=True)


@dataclass(frozen=True)
class _Settings:
    eviction_policy: str
    max_size: int


def _check_settings(settings: CacheSettings) -> tuple[str, int]:
    problems = []
    policy = getattr(settings, "eviction_policy", None)
    size = getattr(settings, "max_size", None)
    if not isinstance(policy, str) or policy not in EVICTION_POLICIES:
        problems.append(
            f"eviction_policy must be one of {', '.join(EVICTION_POLICIES)}, got {policy!r}"
        )
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        problems.append(f"max_size must be an integer >= 0 (0 disables caching), got {size!r}")
    if problems or not isinstance(policy, str) or not isinstance(size, int):
        raise ConfigurationError("Invalid client cache settings: " + "; ".join(problems), problems)
    return policy, size


def client_key(
    session_region: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...] | None:
    """The cache key of ``client(*args, **kwargs)``, or None when that call is never cached.

    The one rule of "the same client" that both this cache and the asyncio session's
    (``aio.clients``) follow.
    """
    return _make_key("client", _CLIENT, session_region, args, kwargs)


def check_settings(settings: CacheSettings) -> tuple[str, int]:
    """``(eviction_policy, max_size)`` of cache settings, or a ``ConfigurationError``."""
    return _check_settings(settings)


class ClientCache:
    """A bounded, thread-safe cache of clients and resources for one session.

    ``client(create, session_region, *args, **kwargs)`` returns the cached client for these
    arguments or calls ``create(*args, **kwargs)`` once to make it. Two threads missing the same
    key wait for one build, and no lock is held while a client is being built. ``max_size``
    bounds clients and resources together; ``0`` disables caching. A call may pass
    ``cache=False`` to get a fresh, uncached client.

    A hit takes no lock: it reads ``_ready`` (a plain dict mirroring the cachetools cache,
    written only under the lock; ``_bare`` holds the ``client("s3")`` entries under a short
    ``(service, region)`` key, since hashing and comparing the full key costs more than the
    rest of a hit) and appends its full key to ``_touched``, a thread-safe deque. The
    lock holder later replays those hits into cachetools in order (``_apply_hits``), before any
    eviction and before counters are read, so LRU recency, LFU frequencies and the hit count
    are what they would be had every hit gone through cachetools itself. (A read buffer, as in
    Caffeine: the eviction policy stays cachetools'.)
    """

    def __init__(self, config: CacheSettings) -> None:
        self._policy, self._max_size = _check_settings(config)
        self._entries: Cache[Hashable, Any] | None = (
            None
            if self._max_size == 0
            else (LRUCache if self._policy == "LRU" else LFUCache)(self._max_size)
        )
        self._lock = threading.Lock()  # guards _entries, _building and the counters; held briefly
        self._ready: dict[Hashable, Any] = {}  # what _entries holds, for lock-free hits
        # client("s3") entries of _ready: (service, session region) -> (full key, client)
        self._bare: dict[tuple[str, str | None], tuple[Hashable, Any]] = {}
        self._touched: deque[Hashable] = deque()  # keys hit since cachetools last heard of them
        self._building: dict[Hashable, Future[Any]] = {}
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    def client(
        self, create: Callable[..., Any], session_region: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        """The cached client for ``create(*args, **kwargs)`` (boto3.Session.client arguments)."""
        if kwargs and ("eviction_policy" in kwargs or "max_size" in kwargs):
            kwargs = self._per_call_settings("client", kwargs)
        if not kwargs and len(args) == 1 and type(args[0]) is str:
            # client("s3"): a lock-free hit, or the key of _make_key's hot path
            value = self.hit(args[0], session_region)
            if value is not None:
                return value
            key: Hashable | None = ("client", args[0], session_region, *_CLIENT_TAIL)
            return self._get(key, create, args, kwargs)
        if "cache" in kwargs:
            return self._maybe_uncached(create, "client", _CLIENT, session_region, args, kwargs)
        key = _make_key("client", _CLIENT, session_region, args, kwargs)
        return self._get(key, create, args, kwargs)

    def resource(
        self, create: Callable[..., Any], session_region: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        """The cached resource for ``create(*args, **kwargs)`` (boto3.Session.resource arguments)."""
        if kwargs and ("eviction_policy" in kwargs or "max_size" in kwargs):
            kwargs = self._per_call_settings("resource", kwargs)
        if "cache" in kwargs:
            return self._maybe_uncached(create, "resource", _RESOURCE, session_region, args, kwargs)
        key = _make_key("resource", _RESOURCE, session_region, args, kwargs)
        return self._get(key, create, args, kwargs)

    def hit(self, service_name: str, session_region: str | None) -> Any:
        """The cached ``client(service_name)`` for the session's region, or None; takes no lock.

        A session calls this first for the commonest spelling, so such a hit costs a dict
        lookup and a deque append.
        """
        found = self._bare.get((service_name, session_region))
        if found is None:
            return None
        touched = self._touched  # _record_hit, inlined: this is the hottest path there is
        touched.append(found[0])
        if len(touched) >= _APPLY_HITS_AT:
            self._apply_hits_if_free()
        return found[1]

    def _record_hit(self, key: Hashable) -> None:
        touched = self._touched
        touched.append(key)
        if len(touched) >= _APPLY_HITS_AT:
            self._apply_hits_if_free()

    def _apply_hits_if_free(self) -> None:
        """Replay the buffer now unless another thread holds the lock (it will, later)."""
        if self._lock.acquire(blocking=False):
            try:
                self._apply_hits()
            finally:
                self._lock.release()

    def _apply_hits(self) -> None:
        """Replay buffered hits into cachetools and the hit counter (caller holds the lock)."""
        touched = self._touched
        count = len(touched)  # hits appended meanwhile wait for the next replay
        if not count:
            return
        keys = [touched.popleft() for _ in range(count)]
        self._hits += count
        entries = self._entries
        if entries is None:
            return
        if self._policy == "LRU":  # only each key's last hit matters to recency, in order
            keys = list(dict.fromkeys(reversed(keys)))[::-1]
        for key in keys:
            entries.get(key)  # cachetools updates recency / frequency (keys evicted since: none)

    def _per_call_settings(self, kind: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """boto3-refresh-session's per-call ``eviction_policy``/``max_size``, taken off ``kwargs``.

        They apply when they match this cache, or on the first call before anything was
        cached (then the cache is made with them); otherwise ConfigurationError: the cache
        is the session's, shared by every caller, and is never silently rebuilt. ``None``
        means "no preference" (boto3-refresh-session's None, unbounded, is not offered).
        """
        kwargs = dict(kwargs)
        policy = kwargs.pop("eviction_policy", None)
        size = kwargs.pop("max_size", None)
        if policy is not None or size is not None:
            wanted = _check_settings(
                _Settings(
                    self._policy if policy is None else policy,
                    self._max_size if size is None else size,
                )
            )
            with self._lock:
                if wanted != (self._policy, self._max_size):
                    self._reconfigure(kind, wanted, policy, size)
        return kwargs

    def _reconfigure(
        self, kind: str, wanted: tuple[str, int], policy: object, size: object
    ) -> None:
        """Make the cache with ``wanted`` settings if it was never used (caller holds the lock)."""
        self._apply_hits()
        used = (
            self._hits or self._misses or self._building or (self._entries and len(self._entries))
        )
        if used:
            given = ", ".join(
                f"{n}={v!r}"
                for n, v in (("eviction_policy", policy), ("max_size", size))
                if v is not None
            )
            problem = (
                f"{kind}({given}): this session's client cache is already {self._policy} with "
                f"max_size={self._max_size} and in use ({self._hits + self._misses} calls); "
                "changing it now would rebuild a cache every caller of the session shares. "
                "Pass these settings on the first call only, the same ones every time, or to "
                "the session (SSORefreshableSession(eviction_policy=..., max_size=...))"
            )
            raise ConfigurationError(problem, [problem])
        self._policy, self._max_size = wanted
        self._entries = (
            None
            if self._max_size == 0
            else (LRUCache if self._policy == "LRU" else LFUCache)(self._max_size)
        )

    def info(self) -> CacheInfo:
        """Hits, misses, evictions, current size, bound and policy (no keys: nothing secret)."""
        with self._lock:
            self._apply_hits()
            size = len(self._entries) if self._entries is not None else 0
            return CacheInfo(
                self._hits, self._misses, self._evictions, size, self._max_size, self._policy
            )

    def clear(self) -> None:
        """Drop every cached entry (closing their connection pools) and reset the counters."""
        with self._lock:
            dropped = list(self._entries.values()) if self._entries is not None else []
            if self._entries is not None:
                self._entries.clear()
            self._ready.clear()
            self._bare.clear()
            self._touched.clear()
            self._hits = self._misses = self._evictions = 0
        for value in dropped:
            _close(value)

    def __repr__(self) -> str:
        info = self.info()
        return (
            f"ClientCache(policy={info.policy!r}, max_size={info.max_size}, size={info.size}, "
            f"hits={info.hits}, misses={info.misses}, evictions={info.evictions})"
        )

    def _maybe_uncached(
        self,
        create: Callable[..., Any],
        kind: str,
        sig: _Signature,
        session_region: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        kwargs = dict(kwargs)
        use_cache = kwargs.pop("cache")
        if not isinstance(use_cache, bool):
            raise ConfigurationError(
                f"cache= must be True or False, got {use_cache!r}",
                [f"cache: expected a bool, got {type(use_cache).__name__}"],
            )
        key = _make_key(kind, sig, session_region, args, kwargs) if use_cache else None
        return self._get(key, create, args, kwargs)

    def _get(
        self,
        key: Hashable | None,
        create: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        entries = self._entries
        if key is None or entries is None:
            value = create(*args, **kwargs)
            with self._lock:
                self._misses += 1
            return value
        value = self._ready.get(key)
        if value is not None:
            self._record_hit(key)
            return value
        while True:
            with self._lock:
                self._apply_hits()
                try:
                    value = entries[key]  # cachetools updates recency / frequency here
                except KeyError:
                    pending = self._building.get(key)
                    if pending is None:
                        pending = self._building[key] = Future()
                        break  # this thread builds it
                else:
                    self._hits += 1
                    return value
            # Another thread is building this very key: wait for it, outside the lock.
            built = pending.result()
            if built is not _FAILED:
                with self._lock:
                    self._hits += 1
                return built
            # Its build failed: loop, and either find it cached or build it ourselves.
        return self._build(key, pending, create, args, kwargs)

    def _forget(self, key: Hashable) -> None:
        """Drop an evicted key from the lock-free views (caller holds the lock)."""
        self._ready.pop(key, None)
        bare = _bare_key(key)
        if bare is not None:
            self._bare.pop(bare, None)

    def _build(
        self,
        key: Hashable,
        pending: Future[Any],
        create: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        entries = self._entries
        assert entries is not None
        try:
            value = create(*args, **kwargs)
        except BaseException:
            with self._lock:
                del self._building[key]
            pending.set_result(_FAILED)
            raise
        evicted: list[Any] = []
        with self._lock:
            self._misses += 1
            self._apply_hits()  # recency and frequencies up to date before choosing a victim
            while len(entries) >= self._max_size:
                old_key, old = entries.popitem()  # cachetools chooses the LRU/LFU victim
                self._forget(old_key)
                evicted.append(old)
            entries[key] = value
            self._ready[key] = value
            bare = _bare_key(key)
            if bare is not None:
                self._bare[bare] = (key, value)
            self._evictions += len(evicted)
            del self._building[key]
        pending.set_result(value)
        for old in evicted:
            _close(old)
        return value
