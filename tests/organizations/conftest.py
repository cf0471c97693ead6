"""Fixtures of the organization tests: a frozen clock (moved, never slept on), the SMTP email
backend pointed at a real SMTP sink, and an owner with a session in tenant A."""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.smtp_sink import SmtpSink


@pytest.fixture
def clock() -> FrozenClock:
    """Now, frozen (rows the database stamps itself stay consistent with it)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as smtp:
        yield smtp


@pytest.fixture
def runtime(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    cache: Cache,
    clock: FrozenClock,
    sink: SmtpSink,
) -> Runtime:
    """The suite's runtime with the frozen clock and email sent over SMTP to the sink."""
    return Runtime(
        settings=settings.model_copy(update={
            "email_backend": "smtp", "smtp_url": sink.url,
            "public_url": "https://app.brain.test",
        }),
        engine=engine,
        session_factory=session_factory,
        cache=cache,
        owns_engine=False,
        clock=clock,
    )


@pytest_asyncio.fixture
async def owner(db: AsyncSession, clock: FrozenClock, tenant: Tenant) -> Person:
    return await add_person(db, clock, tenant.id, "owner")
