"""The loader reads a seeded tenant exactly as `from_simulation` builds it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.data import from_simulation, load_brain_data, most_specific_rows, truncate
from brain.demo.seed import write_simulation
from brain.demo.simulator import simulate
from brain.organizations.service import create_organization
from brain.warehouse.models import Channel, DailyMetric, daily_metric_id

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def sim_60():  # type: ignore[no-untyped-def]
    return simulate("wellness", seed=11, days=60, today=TODAY)


async def test_load_matches_simulation(db: AsyncSession, sim_60) -> None:  # type: ignore[no-untyped-def]
    org = await create_organization(db, name="Loader demo", demo_vertical="wellness")
    await write_simulation(db, org.id, sim_60)
    await db.flush()

    data = await load_brain_data(db, org.id)
    expected = from_simulation(sim_60, org.id)
    assert data.start == sim_60.start
    assert data.end == sim_60.end
    assert {c.name for c in data.channels} == {c.name for c in sim_60.channels}
    assert len(data.creatives) == len(sim_60.creatives)
    assert len(data.metrics) == len(sim_60.metrics)
    assert data.metrics.spend.sum() == pytest.approx(sim_60.metrics.spend.sum(), rel=1e-9)
    assert data.revenue_source == "orders"
    assert data.orders_scale == pytest.approx(1 / sim_60.profile.customer_sample_fraction)
    assert data.total_revenue is not None
    assert expected.total_revenue is not None
    np.testing.assert_allclose(data.total_revenue, expected.total_revenue, rtol=1e-9)
    assert data.orders is not None
    assert len(data.orders) == len(sim_60.orders)
    # Channel spend per channel name agrees.
    for c, ch in enumerate(data.channels):
        sim_c = [s.name for s in sim_60.channels].index(ch.name)
        got = data.metrics.spend[data.metrics.channel == c].sum()
        want = sim_60.metrics.spend[sim_60.metrics.channel == sim_c].sum()
        assert got == pytest.approx(want)


async def test_as_of_cuts_the_history(db: AsyncSession, sim_60) -> None:  # type: ignore[no-untyped-def]
    org = await create_organization(db, name="Loader as-of", demo_vertical="wellness")
    await write_simulation(db, org.id, sim_60)
    await db.flush()
    as_of = sim_60.start + timedelta(days=19)
    data = await load_brain_data(db, org.id, as_of=as_of)
    assert data.end == as_of
    assert data.days == 20
    assert int(data.metrics.day.max()) == 19


async def test_empty_tenant(db: AsyncSession) -> None:
    org = await create_organization(db, name="Empty")
    data = await load_brain_data(db, org.id, as_of=TODAY)
    assert len(data.metrics) == 0
    assert data.orders is None
    assert data.total_revenue is None
    assert data.channels == []
    assert data.days == 1


async def test_platform_revenue_fallback_and_grains(db: AsyncSession) -> None:
    org = await create_organization(db, name="No orders")
    channel = Channel(organization_id=org.id, name="Meta", platform="meta")
    ga4 = Channel(organization_id=org.id, name="GA4", platform="ga4")
    db.add_all([channel, ga4])
    await db.flush()
    day = date(2026, 1, 1)
    db.add(DailyMetric(id=daily_metric_id(org.id, day, channel.id, None, None),
                       organization_id=org.id, date=day, channel_id=channel.id, spend=10.0,
                       revenue=30.0, impressions=1000, clicks=10))
    await db.flush()
    data = await load_brain_data(db, org.id)
    assert data.revenue_source == "platforms"
    assert data.total_revenue is not None
    assert data.total_revenue.tolist() == [30.0]
    assert [c.name for c in data.channels] == ["Meta"]

    db.add(DailyMetric(id=daily_metric_id(org.id, day, ga4.id, None, None),
                       organization_id=org.id, date=day, channel_id=ga4.id, revenue=55.0))
    await db.flush()
    data = await load_brain_data(db, org.id)
    assert data.revenue_source == "analytics"
    assert data.total_revenue is not None
    assert data.total_revenue.tolist() == [55.0]
    assert len(data.metrics) == 1  # the analytics row is not media


def test_most_specific_rows_drops_coarser_duplicates() -> None:
    day = np.array([0, 0, 0, 1], dtype=np.int64)
    channel = np.array([0, 0, 0, 0], dtype=np.int64)
    campaign = np.array([0, 0, -1, -1], dtype=np.int64)
    creative = np.array([3, -1, -1, -1], dtype=np.int64)
    keep = most_specific_rows(day, channel, campaign, creative)
    assert keep.tolist() == [True, False, False, True]


def test_from_simulation_and_truncate(sim_60) -> None:  # type: ignore[no-untyped-def]
    data = from_simulation(sim_60, uuid.uuid4())
    assert data.days == 60
    assert data.revenue_source == "orders"
    short = truncate(data, 13)
    assert short.days == 13
    assert int(short.metrics.day.max()) == 12
    assert short.total_revenue is not None
    assert short.total_revenue.size == 13
    empty = truncate(data, 0)
    assert len(empty.metrics) == 0
    assert empty.total_revenue is None
