"""Salesforce sandbox through the real sync engine: SOQL paging into the warehouse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.sandbox.common import SandboxContext, cached_simulation
from brain.integrations.sandbox.salesforce import salesforce_sandbox
from brain.warehouse.models import Campaign, Channel, Customer, Order
from tests.factories import Tenant
from tests.integrations.helpers import SANDBOX_TODAY
from tests.integrations.providers.recorded import (
    CONNECTION_ID,
    collect,
    contract_connector,
    kill_and_resume,
    rerun,
    sandbox_backfill,
)

DAYS = 30


async def test_opportunities_leads_and_campaigns_land_once(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    start, end = sim.start, sim.end
    connection, run = await sandbox_backfill(
        runtime, tenant.id, "salesforce", start=start, end=end, days=DAYS,
        config={"import_leads": True, "import_won_opportunities": True,
                "import_campaigns": True},
    )
    window = [j for j, d in enumerate(sim.orders.day.tolist()) if start <= sim.date_at(d) <= end]
    assert run.streams["opportunities"]["rows_read"] == len(window)

    async def snapshot() -> tuple[int, float, int, list[str]]:
        async with runtime.session_factory() as session:
            session.info[BYPASS_INFO_KEY] = True
            orders, revenue = (await session.execute(
                select(func.count(), func.coalesce(func.sum(Order.revenue), 0.0))
                .where(Order.organization_id == tenant.id))).one()
            leads = await session.scalar(select(func.count()).select_from(Customer).where(
                Customer.organization_id == tenant.id,
                Customer.external_id.like("salesforce:lead:%")))
            campaigns = (await session.execute(
                select(Campaign.name).join(Channel, Channel.id == Campaign.channel_id)
                .where(Channel.organization_id == tenant.id, Channel.platform == "salesforce")
                .order_by(Campaign.name))).scalars().all()
        return int(orders), round(float(revenue), 2), int(leads or 0), list(campaigns)

    orders, revenue, leads, campaigns = await snapshot()
    assert orders == len(window)
    assert abs(revenue - sum(float(sim.orders.revenue[j]) for j in window)) < 0.01
    assert leads > 0
    assert campaigns == sorted(c.name for c in sim.campaigns)
    await rerun(runtime, connection, start=start, end=end)
    assert await snapshot() == (orders, revenue, leads, campaigns)


async def test_sandbox_default_writes_only_the_lifecycle_table(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    _, run = await sandbox_backfill(runtime, tenant.id, "salesforce",
                                    start=sim.end - timedelta(days=3), end=sim.end, days=DAYS)
    assert run.rows_read > 0
    # Leads and opportunities are CRM lifecycle rows; campaigns, customers and orders are not
    # written (the simulated shop and ad platforms deliver them).
    lifecycle = run.streams["leads"]["rows_read"] + run.streams["opportunities"]["rows_read"]
    assert run.rows_written == lifecycle
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        assert await session.scalar(select(func.count()).select_from(Customer).where(
            Customer.organization_id == tenant.id)) == 0


async def test_killed_backfill_resumes_to_exactly_the_clean_runs_rows(
    runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    expected = await kill_and_resume(
        runtime, tenant.id, other_tenant.id, "salesforce",
        start=sim.end - timedelta(days=5), end=sim.end, kill_points=(3, 8, 5),
        config={"import_leads": True, "import_won_opportunities": True,
                "import_campaigns": True}, page_size_cap=100,
    )
    assert len(expected["orders"]) > 100


async def test_simulator_rejects_a_token_that_is_not_the_connections() -> None:
    context = SandboxContext(CONNECTION_ID, CONNECTION_ID, days=DAYS, today=SANDBOX_TODAY)
    connector = contract_connector("salesforce", salesforce_sandbox(context), sandbox=True,
                                   credentials=Credentials(access_token="wrong", api_key="wrong"))
    window = SyncWindow(context.simulation().start, context.simulation().end)
    with pytest.raises(ConnectorError) as caught:
        await collect(connector, "leads", None, window)
    assert caught.value.kind is ConnectorErrorKind.expired_token
    assert caught.value.needs_reauth
