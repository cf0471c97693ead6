"""The server the auth benchmark runs: Brain's own app (`create_app` on the settings from the
environment, exactly as `brain serve` builds it) plus one benchmark-only route,
`GET /api/v1/bench/session`, whose only work is the session check (`CurrentSession`), so its
latency minus `/api/v1/healthz`'s is what validating a session costs.

`BENCH_SESSION_CACHE=off` wraps the cache so session entries are never read or written: every
request then validates its session against the database (the "uncached" case); everything
else (Redis for the rest, settings, middleware) stays the same.

    uvicorn benchmarks.auth.app:create --factory
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import Response

from brain.app import create_app
from brain.core.cache import Cache
from brain.core.deps import CurrentSession
from brain.core.runtime import Runtime
from brain.settings import Settings

SESSION_PREFIX = "session:"
BENCH_PATH = "/api/v1/bench/session"


class WithoutSessionCache:
    """The runtime's cache, except that session entries are never cached."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner

    async def get(self, key: str) -> bytes | None:
        return None if key.startswith(SESSION_PREFIX) else await self.inner.get(key)

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if not key.startswith(SESSION_PREFIX):
            await self.inner.set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        return await self.inner.incr(key, ttl_seconds)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


async def bench_session(active: CurrentSession) -> Response:
    """200 when the session cookie is valid (401 otherwise); nothing else."""
    return Response(b'{"ok":true}', media_type="application/json")


def create() -> FastAPI:
    settings = Settings()
    runtime = Runtime.create(settings)
    if os.environ.get("BENCH_SESSION_CACHE", "on") == "off":
        runtime.cache = WithoutSessionCache(runtime.cache)
    app = create_app(settings, runtime=runtime)
    # Ahead of the API's catch-all 404 route.
    app.router.routes.insert(0, APIRoute(BENCH_PATH, bench_session, methods=["GET"],
                                         include_in_schema=False))
    return app
