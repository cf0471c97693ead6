"""A small async cache: Redis when `BRAIN_REDIS_URL` is set, an in-process store otherwise."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from redis.asyncio import Redis


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl_seconds: int) -> int: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Same interface as Redis, for one process (embedded mode and tests)."""

    def __init__(self, max_items: int = 100_000) -> None:
        self._data: dict[str, tuple[float, bytes]] = {}
        self._counters: dict[str, tuple[float, int]] = {}
        self._max_items = max_items
        self._lock = asyncio.Lock()

    def _evict(self) -> None:
        now = time.monotonic()
        for store in (self._data, self._counters):
            if len(store) >= self._max_items:
                expired = [k for k, (exp, _) in store.items() if exp <= now]
                for k in expired:
                    store.pop(k, None)
                while len(store) >= self._max_items:
                    store.pop(next(iter(store)))

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._evict()
        self._data[key] = (time.monotonic() + ttl_seconds, value)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._counters.pop(key, None)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        async with self._lock:
            now = time.monotonic()
            expires, count = self._counters.get(key, (now + ttl_seconds, 0))
            if expires <= now:
                expires, count = now + ttl_seconds, 0
            if key not in self._counters:
                self._evict()
            self._counters[key] = (expires, count + 1)
            return count + 1

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()
        self._counters.clear()


class RedisCache:
    def __init__(self, url: str, prefix: str = "brain:") -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=max(ttl_seconds, 1))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        full = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, max(ttl_seconds, 1), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


# What a request reads on every call (its credential, its membership, its plan) and what only
# changes by an explicit invalidation (`delete`): worth a short in-process copy.
LOCAL_PREFIXES = ("apikey:", "session:", "member-ctx:", "plan-state:")


class TieredCache:
    """Redis, with a short-lived in-process copy of the hot per-request keys.

    Every request resolves its credential and plan from the cache: two or three Redis round
    trips that cost more CPU than the lookup is worth. Keys under `LOCAL_PREFIXES` are also
    kept in this process for `local_seconds`; `delete` evicts both copies, so a change made
    through this process is seen at once, and one made through another process (a revoked
    key, a changed plan) within `local_seconds`. Everything else goes straight to Redis.
    """

    def __init__(self, remote: Cache, local_seconds: float, max_items: int = 10_000) -> None:
        self._remote = remote
        self._local_seconds = local_seconds
        self._local: dict[str, tuple[float, bytes]] = {}
        self._max_items = max_items

    def _cacheable(self, key: str) -> bool:
        return key.startswith(LOCAL_PREFIXES)

    def _remember(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if len(self._local) >= self._max_items:
            now = time.monotonic()
            for k in [k for k, (exp, _) in self._local.items() if exp <= now]:
                del self._local[k]
            while len(self._local) >= self._max_items:
                self._local.pop(next(iter(self._local)))
        self._local[key] = (time.monotonic() + min(self._local_seconds, ttl_seconds), value)

    async def get(self, key: str) -> bytes | None:
        if not self._cacheable(key):
            return await self._remote.get(key)
        item = self._local.get(key)
        if item is not None:
            if item[0] > time.monotonic():
                return item[1]
            del self._local[key]
        value = await self._remote.get(key)
        if value is not None:
            self._remember(key, value, self._local_seconds)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._remote.set(key, value, ttl_seconds)
        if self._cacheable(key):
            self._remember(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        self._local.pop(key, None)
        await self._remote.delete(key)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        return await self._remote.incr(key, ttl_seconds)

    async def ping(self) -> bool:
        return await self._remote.ping()

    async def close(self) -> None:
        self._local.clear()
        await self._remote.close()


def create_cache(
    redis_url: str | None, prefix: str = "brain:", *, local_seconds: float = 0.0
) -> Cache:
    """Redis when a URL is given (with the in-process copy of hot keys when `local_seconds`
    is above 0), else the in-process store."""
    if not redis_url:
        return MemoryCache()
    remote = RedisCache(redis_url, prefix)
    return TieredCache(remote, local_seconds) if local_seconds > 0 else remote
