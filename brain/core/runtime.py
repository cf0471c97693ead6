"""The process's shared resources: settings, database engine, sessions, cache, job dispatch."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from brain.core.cache import Cache, create_cache
from brain.core.clock import Clock, SystemClock
from brain.core.crypto import Keyring
from brain.core.db import create_engine, create_session_factory
from brain.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    cache: Cache
    owns_engine: bool = field(default=True)
    clock: Clock = field(default_factory=SystemClock)
    keyring: Keyring | None = None

    def __post_init__(self) -> None:
        if self.keyring is None:
            self.keyring = Keyring.from_spec(
                self.settings.encryption_keys, self.settings.resolved_secret_key()
            )

    @property
    def keys(self) -> Keyring:
        """The AES-GCM keyring for secrets at rest."""
        assert self.keyring is not None
        return self.keyring

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            cache=create_cache(settings.redis_url,
                               local_seconds=settings.cache_local_seconds),
        )

    async def close(self) -> None:
        await self.cache.close()
        if self.owns_engine:
            await self.engine.dispose()


def freeze_startup_heap() -> None:
    """Once start-up is done (modules, routes, schemas, job registry): everything allocated so
    far lives as long as the process, so move it out of the garbage collector's sight. Full
    collections then walk only what requests and jobs allocate, which keeps them short (they
    otherwise stretch request latency and cost a sync about a tenth of its CPU). Forked worker
    processes inherit the frozen set without touching its pages."""
    gc.collect()
    gc.freeze()
