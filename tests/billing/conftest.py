"""Fixtures of the billing tests: a frozen clock on the runtime, plan API limits on, Stripe
webhook secret and price ids configured (no API key: local mode unless a test says so)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.billing.stripe_payloads import PRICES, WEBHOOK_SECRET
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person


@pytest.fixture
def clock() -> FrozenClock:
    """Now, frozen at 10:00:05 of today (rows the database stamps stay consistent with it)."""
    return FrozenClock(datetime.now(UTC).replace(hour=10, minute=0, second=5, microsecond=0))


@pytest.fixture
def billing_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "plan_rate_limits": True, "stripe_webhook_secret": WEBHOOK_SECRET,
        "public_url": "https://app.brain.test", **PRICES,
    })


@pytest.fixture
def runtime(
    billing_settings: Settings, engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession], cache: Cache, clock: FrozenClock,
) -> Runtime:
    return Runtime(settings=billing_settings, engine=engine, session_factory=session_factory,
                   cache=cache, owns_engine=False, clock=clock)


@pytest_asyncio.fixture
async def client(
    billing_settings: Settings, runtime: Runtime, dispatcher: object
) -> AsyncIterator[httpx.AsyncClient]:
    from brain.app import create_app

    application = create_app(billing_settings, runtime=runtime,
                             dispatcher=dispatcher)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        http.app = application  # type: ignore[attr-defined]
        yield http


@pytest_asyncio.fixture
async def owner(db: AsyncSession, clock: FrozenClock, tenant: Tenant) -> Person:
    return await add_person(db, clock, tenant.id, "owner")
