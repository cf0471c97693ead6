"""HubSpot sandbox through the real sync engine: read-only by default, opt-in writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.sandbox.common import SandboxContext, cached_simulation
from brain.integrations.sandbox.hubspot import hubspot_sandbox
from brain.warehouse.models import Customer, Order
from tests.factories import Tenant
from tests.integrations.helpers import SANDBOX_TODAY
from tests.integrations.providers.recorded import (
    CONNECTION_ID,
    collect,
    contract_connector,
    kill_and_resume,
    sandbox_backfill,
)

DAYS = 30


async def _counts(runtime: Runtime, tenant: Tenant) -> tuple[int, int, float]:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        customers = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.organization_id == tenant.id))
        orders, revenue = (await session.execute(
            select(func.count(), func.coalesce(func.sum(Order.revenue), 0.0))
            .where(Order.organization_id == tenant.id))).one()
    return int(customers or 0), int(orders), float(revenue)


async def test_sandbox_writes_only_the_lifecycle_table_by_default(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    start, end = sim.end - timedelta(days=9), sim.end
    _, run = await sandbox_backfill(runtime, tenant.id, "hubspot", start=start, end=end,
                                    days=DAYS)
    deals = sum(1 for d in sim.orders.day.tolist() if start <= sim.date_at(d) <= end)
    assert run.streams["deals"]["rows_read"] == deals
    # Every contact and deal is a CRM lifecycle row; no customers or orders (the shop has them).
    assert run.rows_written == run.rows_read
    assert await _counts(runtime, tenant) == (0, 0, 0.0)


async def test_opted_in_contacts_and_won_deals_become_customers_and_orders(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    start, end = sim.end - timedelta(days=9), sim.end
    _, run = await sandbox_backfill(
        runtime, tenant.id, "hubspot", start=start, end=end, days=DAYS,
        config={"import_contacts": True, "import_won_deals": True},
    )
    window = [j for j, d in enumerate(sim.orders.day.tolist()) if start <= sim.date_at(d) <= end]
    customers, orders, revenue = await _counts(runtime, tenant)
    assert orders == len(window)
    assert abs(revenue - sum(float(sim.orders.revenue[j]) for j in window)) < 0.01
    assert customers >= len({int(sim.orders.customer[j]) for j in window})
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        external = set((await session.execute(
            select(Customer.external_id).where(Customer.organization_id == tenant.id)
        )).scalars())
    assert all(e.startswith("hubspot:contact:") for e in external)
    assert run.rows_written >= orders


async def test_killed_backfill_resumes_to_exactly_the_clean_runs_rows(
    runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    expected = await kill_and_resume(
        runtime, tenant.id, other_tenant.id, "hubspot",
        start=sim.end - timedelta(days=4), end=sim.end, kill_points=(4, 9, 6),
        config={"import_contacts": True, "import_won_deals": True}, page_size_cap=100,
    )
    assert len(expected["orders"]) > 100


async def test_simulator_rejects_a_token_that_is_not_the_connections() -> None:
    context = SandboxContext(CONNECTION_ID, CONNECTION_ID, days=DAYS, today=SANDBOX_TODAY)
    connector = contract_connector("hubspot", hubspot_sandbox(context), sandbox=True,
                                   credentials=Credentials(access_token="wrong", api_key="wrong"))
    window = SyncWindow(context.simulation().start, context.simulation().end)
    with pytest.raises(ConnectorError) as caught:
        await collect(connector, "contacts", None, window)
    assert caught.value.kind is ConnectorErrorKind.invalid_credentials
    assert caught.value.needs_reauth
