"""The bulk writers used by the batch endpoint, the CSV import and the demo seeder.

Queries here filter by organization themselves: on SQLite earlier tests' rows may be visible.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select

from brain.core.db import tenant_session
from brain.core.runtime import Runtime
from brain.warehouse.bulk import upsert_customers, upsert_daily_metrics, upsert_orders
from brain.warehouse.models import Customer, DailyMetric, Order, daily_metric_id
from tests.factories import Tenant
from tests.warehouse.helpers import make_campaign, make_channel, make_creative


async def test_upsert_daily_metrics_keys_defaults_and_repeats(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    channel = uuid.UUID((await make_channel(client, tenant))["id"])
    campaign = uuid.UUID((await make_campaign(client, tenant, str(channel)))["id"])
    creative = uuid.UUID((await make_creative(client, tenant, str(campaign)))["id"])
    day = date(2024, 7, 1)
    rows = [
        {"date": day, "channel_id": channel, "impressions": 10, "clicks": 1, "spend": 2.5},
        {"date": day, "channel_id": channel, "campaign_id": campaign, "conversions": 1.5},
        {
            "date": day,
            "channel_id": channel,
            "campaign_id": campaign,
            "creative_id": creative,
            "revenue": 9.75,
            "frequency": 1.25,
            "video_views": 7,
            "id": uuid.uuid4(),  # ignored: the id comes from the natural key
        },
        {"date": day, "channel_id": channel, "impressions": 11},  # repeats row 0: last wins
    ]
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        assert await upsert_daily_metrics(session, tenant.id, rows) == 3
        # A second call in the same transaction (the seeder's next batch) works too.
        more = [{"date": day + timedelta(days=n), "channel_id": channel} for n in range(1, 4)]
        assert await upsert_daily_metrics(session, tenant.id, more) == 3
        assert await upsert_daily_metrics(session, tenant.id, []) == 0

    async with tenant_session(runtime.session_factory, tenant.id) as session:
        stored = {
            m.id: m
            for m in await session.scalars(
                select(DailyMetric).where(DailyMetric.organization_id == tenant.id)
            )
        }
    assert len(stored) == 6
    channel_row = stored[daily_metric_id(tenant.id, day, channel, None, None)]
    assert (channel_row.impressions, channel_row.clicks, channel_row.spend) == (11, 0, 0.0)
    campaign_row = stored[daily_metric_id(tenant.id, day, channel, campaign, None)]
    assert campaign_row.conversions == 1.5
    assert campaign_row.frequency is None
    creative_row = stored[daily_metric_id(tenant.id, day, channel, campaign, creative)]
    assert (creative_row.revenue, creative_row.frequency, creative_row.video_views) == (
        9.75,
        1.25,
        7,
    )
    created_at = creative_row.created_at

    async with tenant_session(runtime.session_factory, tenant.id) as session:
        update = [{**rows[2], "revenue": 1.0}]
        assert await upsert_daily_metrics(session, tenant.id, update) == 1
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        again = await session.get(
            DailyMetric,
            daily_metric_id(tenant.id, day, channel, campaign, creative),
            populate_existing=True,
        )
        assert again is not None
        assert again.revenue == 1.0
        assert again.created_at == created_at
        assert again.updated_at >= created_at


async def test_upsert_customers_and_orders_by_external_id(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    channel = uuid.UUID((await make_channel(client, tenant))["id"])
    chosen_id = uuid.uuid4()
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        written = await upsert_customers(
            session,
            tenant.id,
            [
                {"id": chosen_id, "external_id": "c-1", "email": "one@example.com"},
                {
                    "external_id": "c-2",
                    "email": "two@example.com",
                    "first_order_on": date(2024, 1, 2),
                },
                {"external_id": "c-2", "email": "two@new.example"},
            ],
        )
        assert written == 2
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        customers = {
            c.external_id: c
            for c in await session.scalars(
                select(Customer).where(Customer.organization_id == tenant.id)
            )
        }
    assert customers["c-1"].id == chosen_id
    assert customers["c-2"].email == "two@new.example"
    assert customers["c-2"].first_order_on is None  # the winning row has no first_order_on

    async with tenant_session(runtime.session_factory, tenant.id) as session:
        # Only acquisition_channel_id is given: email stays as it is.
        await upsert_customers(
            session,
            tenant.id,
            [{"id": uuid.uuid4(), "external_id": "c-1", "acquisition_channel_id": channel}],
        )
        await upsert_orders(
            session,
            tenant.id,
            [
                {
                    "external_id": f"o-{n}",
                    "customer_id": chosen_id,
                    "order_date": date(2024, 2, n),
                    "revenue": 10.0 * n,
                    "channel_id": channel if n % 2 else None,
                }
                for n in range(1, 5)
            ],
        )
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        first = await session.get(Customer, chosen_id, populate_existing=True)
        assert first is not None
        assert first.email == "one@example.com"
        assert first.acquisition_channel_id == channel
        order_count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.organization_id == tenant.id)
        )
        assert order_count == 4

    async with tenant_session(runtime.session_factory, tenant.id) as session:
        assert (
            await upsert_orders(
                session,
                tenant.id,
                [{"external_id": "o-1", "customer_id": chosen_id, "order_date": date(2024, 2, 1),
                  "revenue": 99.5}],
            )
            == 1
        )
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        orders = {
            o.external_id: o
            for o in await session.scalars(select(Order).where(Order.organization_id == tenant.id))
        }
    assert len(orders) == 4
    assert orders["o-1"].revenue == 99.5
    assert orders["o-3"].channel_id == channel
