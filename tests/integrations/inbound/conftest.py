"""Fixtures of the inbound webhook tests: connections with a signing secret, a frozen clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from brain.core.clock import FrozenClock
from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.inbound import set_secret
from brain.integrations.models import Connection
from tests.factories import Tenant


@dataclass(frozen=True)
class Hooked:
    """A connection and the secret its provider signs with."""

    connection: Connection
    secret: str

    def url(self, provider: str | None = None) -> str:
        return f"/api/v1/webhooks/in/{provider or self.connection.provider}/{self.connection.id}"


async def hooked_connection(runtime: Runtime, tenant: Tenant, provider: str,
                            secret: str) -> Hooked:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection = Connection(organization_id=tenant.id, provider=provider,
                                name=f"{provider} test", status="active", sandbox=True)
        session.add(connection)
        await session.flush()
        await set_secret(session, runtime.keys, connection, secret)
        await session.commit()
    return Hooked(connection=connection, secret=secret)


@pytest.fixture
def clock(runtime: Runtime) -> FrozenClock:
    frozen = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    runtime.clock = frozen
    return frozen


@pytest_asyncio.fixture
async def shopify(runtime: Runtime, tenant: Tenant) -> Hooked:
    return await hooked_connection(runtime, tenant, "shopify", "shpss_test_app_secret_1234")


@pytest_asyncio.fixture
async def hubspot(runtime: Runtime, tenant: Tenant) -> Hooked:
    return await hooked_connection(runtime, tenant, "hubspot", "hubspot-client-secret-5678")
