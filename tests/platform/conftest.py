"""Fixtures of the platform tests: the app under test, a client on it, two seeded tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from brain.app import create_app
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.factories import Tenant
from tests.platform.helpers import http_client
from tests.platform.tenant_objects import World, seed_objects


@pytest.fixture
def app(settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher) -> FastAPI:
    return create_app(settings, runtime=runtime, dispatcher=dispatcher)


@pytest_asyncio.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def world(db: AsyncSession, tenant: Tenant, other_tenant: Tenant) -> World:
    a = await seed_objects(db, tenant, "Alpha")
    b = await seed_objects(db, other_tenant, "Beta")
    await db.commit()
    return World(a=a, b=b)
