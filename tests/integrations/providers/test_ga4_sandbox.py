"""GA4 sandbox through the real sync engine into `daily_metrics` of a ga4 channel."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from brain.brain_modules.data import load_brain_data
from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.http import ProviderHttpClient
from brain.integrations.providers.ga4 import MeasurementProtocol
from brain.integrations.sandbox.common import SandboxContext, cached_simulation
from brain.integrations.sandbox.ga4 import ga4_sandbox
from brain.warehouse.models import Campaign, Channel, DailyMetric
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


async def test_backfill_stores_daily_traffic_whose_revenue_matches_the_orders(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    start, end = sim.start, sim.end
    connection, run = await sandbox_backfill(runtime, tenant.id, "ga4", start=start, end=end,
                                             days=DAYS)
    assert run.streams["traffic_daily"]["status"] == "succeeded"

    async def daily() -> dict[object, float]:
        async with runtime.session_factory() as session:
            session.info[BYPASS_INFO_KEY] = True
            rows = await session.execute(
                select(DailyMetric.date, func.sum(DailyMetric.revenue))
                .where(DailyMetric.organization_id == tenant.id)
                .group_by(DailyMetric.date)
            )
            return {day: float(total) for day, total in rows}

    by_day = await daily()
    assert len(by_day) == DAYS
    for offset in (0, 7, DAYS - 1):
        day = start + timedelta(days=offset)
        orders = float(sim.orders.revenue[sim.orders.day == offset].sum())
        assert abs(by_day[day] - orders) < 0.1  # rows are rounded to cents

    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        [channel] = (await session.execute(
            select(Channel).where(Channel.organization_id == tenant.id))).scalars().all()
        assert channel.platform == "ga4"
        assert channel.external_account_id == "100000001"
        names = set((await session.execute(
            select(Campaign.name).where(Campaign.channel_id == channel.id))).scalars())
        assert "(direct) / (none): (direct)" in names
        assert "facebook / paid_social: Prospecting - Broad" in names
        count = await session.scalar(select(func.count()).select_from(DailyMetric).where(
            DailyMetric.organization_id == tenant.id, DailyMetric.campaign_id.is_not(None)))
        assert count == run.rows_read
        sessions = await session.scalar(select(func.sum(DailyMetric.clicks)).where(
            DailyMetric.organization_id == tenant.id))
        assert int(sessions or 0) > 0

        # The brain reads it as the tenant's total revenue (no orders, no media).
        data = await load_brain_data(session, tenant.id, as_of=end)
        assert data.revenue_source == "analytics"
        assert data.channels == []
        assert data.total_revenue is not None
        assert abs(float(data.total_revenue.sum()) - sum(by_day.values())) < 0.5

    await rerun(runtime, connection, start=start, end=end)
    assert await daily() == by_day


async def test_killed_backfill_resumes_to_exactly_the_clean_runs_rows(
    runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    expected = await kill_and_resume(
        runtime, tenant.id, other_tenant.id, "ga4", start=sim.start, end=sim.end,
        kill_points=(2, 5, 4), page_size_cap=40,
    )
    assert len(expected["metrics"]) > 300


async def test_simulator_rejects_a_wrong_token_and_answers_measurement_protocol() -> None:
    context = SandboxContext(uuid.uuid4(), CONNECTION_ID, days=DAYS, today=SANDBOX_TODAY)
    connector = contract_connector("ga4", ga4_sandbox(context), sandbox=True,
                                   credentials=Credentials(access_token="not-the-sandbox-one"))
    with pytest.raises(ConnectorError) as caught:
        await collect(connector, "traffic_daily", None, SyncWindow(context.simulation().start,
                                                                     context.simulation().end))
    assert caught.value.kind is ConnectorErrorKind.expired_token
    async with ProviderHttpClient("ga4", base_url="", transport=ga4_sandbox(context)) as http:
        mp = MeasurementProtocol(http, measurement_id="G-SANDBOX1", api_secret="s")
        await mp.send_purchase(client_id="1.2", transaction_id="t1", value=10.0, currency="USD")
        assert await mp.validate_purchase(client_id="1.2", transaction_id="t1", value=10.0,
                                          currency="USD") == []
