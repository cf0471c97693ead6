"""The in-process copy in front of Redis: hot per-request keys are served locally for a short
while, `delete` evicts both copies, other keys and counters always go to the shared store."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from brain.core.cache import MemoryCache, RedisCache, TieredCache, create_cache


class CountingRemote(MemoryCache):
    """The shared store, counting the reads that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    async def get(self, key: str) -> bytes | None:
        self.gets += 1
        return await super().get(key)


async def test_hot_keys_are_read_from_the_shared_store_once_per_window() -> None:
    remote = CountingRemote()
    cache = TieredCache(remote, local_seconds=0.2)
    await remote.set("apikey:abc", b"ctx", 60)
    assert await cache.get("apikey:abc") == b"ctx"
    assert await cache.get("apikey:abc") == b"ctx"
    assert remote.gets == 1
    await asyncio.sleep(0.25)
    assert await cache.get("apikey:abc") == b"ctx"
    assert remote.gets == 2


async def test_delete_evicts_the_local_copy_at_once() -> None:
    remote = CountingRemote()
    cache = TieredCache(remote, local_seconds=30)
    await cache.set("session:t", b"live", 60)
    assert await cache.get("session:t") == b"live"
    await cache.delete("session:t")
    assert await cache.get("session:t") is None
    assert await remote.get("session:t") is None


async def test_a_change_made_elsewhere_is_seen_after_the_window() -> None:
    remote = CountingRemote()
    here, there = TieredCache(remote, 0.2), TieredCache(remote, 0.2)
    await here.set("plan-state:o", b"growth", 60)
    assert await there.get("plan-state:o") == b"growth"
    await here.delete("plan-state:o")  # another process revokes or changes it
    await asyncio.sleep(0.25)
    assert await there.get("plan-state:o") is None


async def test_other_keys_and_counters_always_go_to_the_shared_store() -> None:
    remote = CountingRemote()
    cache = TieredCache(remote, local_seconds=30)
    await cache.set("face:o", b"body", 60)
    await cache.get("face:o")
    await cache.get("face:o")
    assert remote.gets == 2
    assert await cache.incr("rl:k", 60) == 1
    assert await cache.incr("rl:k", 60) == 2
    assert await remote.incr("rl:k", 60) == 3


async def test_a_missing_key_is_not_remembered() -> None:
    remote = CountingRemote()
    cache = TieredCache(remote, local_seconds=30)
    assert await cache.get("apikey:none") is None
    await remote.set("apikey:none", b"later", 60)
    assert await cache.get("apikey:none") == b"later"


@pytest.mark.skipif(not os.environ.get("BRAIN_TEST_REDIS_URL"), reason="needs Redis")
async def test_with_redis_the_factory_builds_the_tiered_cache() -> None:
    url = os.environ["BRAIN_TEST_REDIS_URL"]
    cache = create_cache(url, prefix=f"brain-test:{uuid.uuid4().hex}:", local_seconds=1.0)
    assert isinstance(cache, TieredCache)
    try:
        await cache.set("apikey:x", b"1", 5)
        assert await cache.get("apikey:x") == b"1"
        await cache.delete("apikey:x")
        assert await cache.get("apikey:x") is None
    finally:
        await cache.close()
    plain = create_cache(url, local_seconds=0)
    assert isinstance(plain, RedisCache)
    await plain.close()
    assert isinstance(create_cache(None), MemoryCache)
