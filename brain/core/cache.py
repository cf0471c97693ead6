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


def create_cache(redis_url: str | None, prefix: str = "brain:") -> Cache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()
