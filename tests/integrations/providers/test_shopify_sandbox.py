"""Shopify sandbox through the real sync engine: orders and customers land in the warehouse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from brain.core.db import BYPASS_INFO_KEY, tenant_session
from brain.core.runtime import Runtime
from brain.integrations.base import (
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    Record,
    SyncWindow,
)
from brain.integrations.providers.shopify import normalise_order
from brain.integrations.sandbox.common import SandboxContext, cached_simulation
from brain.integrations.sandbox.shopify import shopify_sandbox
from brain.warehouse.models import Channel, Customer, Order
from tests.factories import Tenant
from tests.integrations.helpers import SANDBOX_TODAY
from tests.integrations.providers.recorded import (
    CONNECTION_ID,
    Replay,
    collect,
    contract_connector,
    fixture,
    kill_and_resume,
    rerun,
    sandbox_backfill,
)

DAYS = 30


async def _orders(runtime: Runtime, tenant: Tenant) -> list[tuple[str, object, float, object]]:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        rows = await session.execute(
            select(Order.external_id, Order.order_date, Order.revenue, Order.channel_id)
            .where(Order.organization_id == tenant.id, Order.deleted_at.is_(None))
            .order_by(Order.external_id)
        )
        return [tuple(r) for r in rows]


async def test_backfill_loads_every_order_once_with_its_customer_and_channel(
    runtime: Runtime, tenant: Tenant
) -> None:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        meta = Channel(organization_id=tenant.id, name="Meta Ads", platform="meta")
        session.add(meta)
        await session.commit()
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    end = sim.end
    start = end - timedelta(days=44)  # reaches into the simulated shop's earlier orders
    connection, run = await sandbox_backfill(runtime, tenant.id, "shopify", start=start,
                                             end=end, days=DAYS)

    in_window = [j for j, d in enumerate(sim.orders.day.tolist())
                 if start <= sim.date_at(d) <= end]
    orders = await _orders(runtime, tenant)
    assert len(orders) == len(in_window)
    assert run.streams["orders"]["status"] == "succeeded"
    total = sum(float(sim.orders.revenue[j]) for j in in_window)
    assert abs(sum(o[2] for o in orders) - total) < 0.01
    assert {o[1] for o in orders} <= {start + timedelta(days=i) for i in range(45)}
    meta_index = [i for i, c in enumerate(sim.channels) if c.platform == "meta"]
    meta_orders = [j for j in in_window if int(sim.orders.channel[j]) in meta_index]
    assert sum(1 for o in orders if o[3] == meta.id) == len(meta_orders)

    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        customers = (await session.execute(
            select(Customer).where(Customer.organization_id == tenant.id)
        )).scalars().all()
        buyers = {int(sim.orders.customer[j]) for j in in_window}
        assert len(customers) >= len(buyers)
        assert all(c.email for c in customers)
        first_orders = dict((await session.execute(
            select(Order.customer_id, func.min(Order.order_date))
            .where(Order.organization_id == tenant.id).group_by(Order.customer_id)
        )).all())
        by_id = {c.id: c for c in customers}
        for customer_id, first in first_orders.items():
            assert by_id[customer_id].first_order_on == first
        acquired = sum(1 for c in customers if c.acquisition_channel_id == meta.id)
        assert acquired > 0

    # Running the same backfill again changes nothing.
    before = await _orders(runtime, tenant)
    await rerun(runtime, connection, start=start, end=end)
    assert await _orders(runtime, tenant) == before


async def test_recorded_orders_write_and_a_later_cancellation_removes_the_order(
    runtime: Runtime, tenant: Tenant
) -> None:
    connector = contract_connector("shopify", Replay(), config={"shop": "brain-demo.myshopify.com"},
                                   credentials=Credentials(api_key="shpat_x"),
                                   organization_id=tenant.id)
    stream = connector.stream("orders")
    orders = [*fixture("shopify", "orders_page1")["body"]["orders"],
              *fixture("shopify", "orders_page2")["body"]["orders"]]
    records = [Record("orders", normalise_order(o)) for o in orders]
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        assert await connector.write(session, stream, records) == 3  # 2 upserts, 1 removal
    live = await _orders(runtime, tenant)
    assert [o[0] for o in live] == ["shopify:450789469", "shopify:450789470"]
    assert [o[2] for o in live] == [598.94, 45.5]

    cancelled = {**orders[0], "cancelled_at": "2024-03-04T10:00:00-05:00",
                 "updated_at": "2024-03-04T10:00:00-05:00"}
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        await connector.write(session, stream, [Record("orders", normalise_order(cancelled))])
    assert [o[0] for o in await _orders(runtime, tenant)] == ["shopify:450789470"]
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        bob = await session.scalar(select(Customer).where(
            Customer.organization_id == tenant.id, Customer.external_id == "shopify:207119551"))
    assert bob is not None
    assert bob.email == "bob.norman@mail.example.com"
    assert bob.first_order_on is None  # his only live order is gone


async def test_killed_backfill_resumes_to_exactly_the_clean_runs_rows(
    runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    expected = await kill_and_resume(
        runtime, tenant.id, other_tenant.id, "shopify",
        start=sim.end - timedelta(days=7), end=sim.end, kill_points=(3, 11, 7),
    )
    assert len(expected["orders"]) > 300


async def test_simulator_rejects_a_token_that_is_not_the_connections() -> None:
    context = SandboxContext(CONNECTION_ID, CONNECTION_ID, days=DAYS, today=SANDBOX_TODAY)
    connector = contract_connector("shopify", shopify_sandbox(context), sandbox=True,
                                   credentials=Credentials(access_token="wrong", api_key="wrong"))
    window = SyncWindow(context.simulation().start, context.simulation().end)
    with pytest.raises(ConnectorError) as caught:
        await collect(connector, "orders", None, window)
    assert caught.value.kind is ConnectorErrorKind.invalid_credentials
    assert caught.value.needs_reauth
