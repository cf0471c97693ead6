"""Fixtures of the onboarding tests: a frozen clock and an owner logged in to tenant A."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def runtime(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    cache: Cache,
    clock: FrozenClock,
) -> Runtime:
    return Runtime(settings=settings, engine=engine, session_factory=session_factory,
                   cache=cache, owns_engine=False, clock=clock)


@pytest_asyncio.fixture
async def owner(db: AsyncSession, clock: FrozenClock, tenant: Tenant) -> Person:
    return await add_person(db, clock, tenant.id, "owner")
