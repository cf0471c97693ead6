"""Writing simulations to the database: the story read back with SQL, refresh, ground truth."""

from __future__ import annotations

import csv
import json
import uuid
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.cache import MemoryCache
from brain.core.db import system_session
from brain.core.runtime import Runtime
from brain.demo.seed import DEMO_KEY_NAME, seed_vertical, write_simulation
from brain.demo.simulator import Simulation, simulate
from brain.identity.models import ApiKey
from brain.identity.service import resolve_api_key
from brain.organizations.models import Organization
from brain.organizations.permissions import Role
from brain.organizations.service import create_organization
from brain.settings import Settings
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    Order,
    daily_metric_id,
)
from tests.demo.conftest import TODAY


async def _roas(
    db: AsyncSession, org: uuid.UUID, platform: str, first: date, last: date
) -> float:
    row = (
        await db.execute(
            select(func.sum(DailyMetric.revenue), func.sum(DailyMetric.spend))
            .join(Channel, Channel.id == DailyMetric.channel_id)
            .where(
                DailyMetric.organization_id == org,
                Channel.platform == platform,
                DailyMetric.date >= first,
                DailyMetric.date <= last,
            )
        )
    ).one()
    return float(row[0]) / float(row[1])


def _last_complete_cohorts(end: date, count: int) -> list[tuple[int, int]]:
    """The latest `count` months whose every customer has 90 days of history by `end`."""
    year, month = end.year, end.month
    found: list[tuple[int, int]] = []
    while len(found) < count:
        following = date(year + (month == 12), month % 12 + 1, 1)
        if following - timedelta(days=1) + timedelta(days=89) <= end:
            found.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


async def test_beauty_story_read_back_from_the_database(
    db: AsyncSession, beauty_year: Simulation
) -> None:
    org = await create_organization(db, name="Story check", demo_vertical="beauty")
    counts = await write_simulation(db, org.id, beauty_year)
    await db.flush()
    assert counts.daily_metrics == len(beauty_year.metrics)

    end = await db.scalar(
        select(func.max(DailyMetric.date)).where(DailyMetric.organization_id == org.id)
    )
    assert end == TODAY - timedelta(days=1)
    last_28 = end - timedelta(days=27)
    meta = await _roas(db, org.id, "meta", last_28, end)
    google = await _roas(db, org.id, "google", last_28, end)
    tiktok_4_weeks_ago = await _roas(db, org.id, "tiktok", last_28, last_28 + timedelta(days=6))
    tiktok_last_week = await _roas(db, org.id, "tiktok", end - timedelta(days=6), end)
    assert meta == pytest.approx(3.6, abs=0.3)
    assert google == pytest.approx(2.3, abs=0.3)
    assert tiktok_4_weeks_ago == pytest.approx(2.8, abs=0.3)
    assert tiktok_last_week == pytest.approx(1.9, abs=0.3)
    assert 0.6 <= tiktok_4_weeks_ago - tiktok_last_week <= 1.2
    story = beauty_year.truth["story"]
    assert meta == pytest.approx(story["reported_roas_last_28d"]["Meta Ads"], abs=1e-3)
    assert tiktok_last_week == pytest.approx(story["reported_roas_last_7d"]["TikTok Ads"],
                                             abs=1e-3)

    # C12 (on Meta): conversion rate from ~8 % to ~5 % over the last 14 days.
    daily = (
        await db.execute(
            select(
                DailyMetric.date,
                func.sum(DailyMetric.conversions),
                func.sum(DailyMetric.clicks),
            )
            .join(Creative, Creative.id == DailyMetric.creative_id)
            .join(Campaign, Campaign.id == Creative.campaign_id)
            .join(Channel, Channel.id == Campaign.channel_id)
            .where(
                DailyMetric.organization_id == org.id,
                Creative.name == "C12",
                Channel.platform == "meta",
                DailyMetric.date > end - timedelta(days=21),
            )
            .group_by(DailyMetric.date)
            .order_by(DailyMetric.date)
        )
    ).all()
    assert len(daily) == 21
    week_before, window = daily[:7], daily[7:]
    assert sum(float(conv) for _, conv, _ in week_before) / sum(
        float(clicks) for _, _, clicks in week_before
    ) == pytest.approx(0.08, abs=0.005)
    cvr = np.array([float(conv) / float(clicks) for _, conv, clicks in window])
    slope, intercept = np.polyfit(np.arange(14.0), cvr, 1)
    assert intercept == pytest.approx(0.08, abs=0.01)
    assert intercept + 13 * slope == pytest.approx(0.05, abs=0.008)

    # The 90-day LTV of the last four cohorts with 90 days of history keeps falling.
    customers = (
        await db.execute(
            select(Customer.id, Customer.first_order_on).where(Customer.organization_id == org.id)
        )
    ).all()
    first_order: dict[uuid.UUID, date] = {c: on for c, on in customers if on is not None}
    revenue_90: dict[uuid.UUID, float] = defaultdict(float)
    orders = await db.execute(
        select(Order.customer_id, Order.order_date, Order.revenue).where(
            Order.organization_id == org.id
        )
    )
    for customer_id, order_date, revenue in orders.all():
        if (order_date - first_order[customer_id]).days < 90:
            revenue_90[customer_id] += float(revenue)
    ltv_90 = []
    for year, month in _last_complete_cohorts(end, 4):
        members = [c for c, on in first_order.items() if (on.year, on.month) == (year, month)]
        ltv_90.append(sum(revenue_90[c] for c in members) / len(members))
    assert ltv_90 == pytest.approx([128.0, 119.0, 115.0, 112.0], abs=0.05)
    assert ltv_90 == sorted(ltv_90, reverse=True)


async def test_written_rows_match_the_simulation(db: AsyncSession) -> None:
    sim = simulate("wellness", days=60, seed=2, today=TODAY)
    org = await create_organization(db, name="Rows check", demo_vertical="wellness")
    await write_simulation(db, org.id, sim)
    await db.flush()

    async def count(model: type[DailyMetric | Customer | Order | Creative]) -> int:
        stmt = select(func.count()).select_from(model).where(model.organization_id == org.id)
        return int(await db.scalar(stmt) or 0)

    assert await count(DailyMetric) == len(sim.metrics)
    assert await count(Customer) == len(sim.customers)
    assert await count(Order) == len(sim.orders)
    assert await count(Creative) == len(sim.creatives)
    total_spend = await db.scalar(
        select(func.sum(DailyMetric.spend)).where(DailyMetric.organization_id == org.id)
    )
    assert float(total_spend or 0) == pytest.approx(float(sim.metrics.spend.sum()), abs=0.05)

    # Daily-metric ids are the natural-key ids of the warehouse.
    metric = (
        await db.execute(select(DailyMetric).where(DailyMetric.organization_id == org.id).limit(1))
    ).scalar_one()
    assert metric.id == daily_metric_id(
        org.id, metric.date, metric.channel_id, metric.campaign_id, metric.creative_id
    )
    channel = (await db.execute(select(Channel).where(Channel.organization_id == org.id))).scalars()
    assert {c.platform for c in channel} == {"meta", "google", "youtube", "tiktok"}
    customer = (
        await db.execute(
            select(Customer).where(Customer.organization_id == org.id,
                                   Customer.external_id == "cus_000123")
        )
    ).scalar_one()
    assert customer.email == "customer123@example.com"
    assert customer.first_order_on == sim.date_at(int(sim.customers.first_day[122]))
    assert customer.created_at.tzinfo is not None
    ad_set_count = await db.scalar(
        select(func.count()).select_from(AdSet).where(AdSet.organization_id == org.id)
    )
    assert ad_set_count == len(sim.ad_sets)


async def _live_counts(settings: Settings, org_id: uuid.UUID) -> dict[str, int]:
    """Live rows per table; channels, campaigns and daily metrics of the ad platforms only
    (the sandbox demo also has its GA4 property's channel, campaigns and traffic rows)."""
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            out = {}
            ga4 = select(Channel.id).where(Channel.organization_id == org_id,
                                           Channel.platform == "ga4")
            for model in (Channel, Campaign, AdSet, Creative, Customer, Order, DailyMetric):
                stmt = select(func.count()).select_from(model).where(
                    model.organization_id == org_id
                )
                deleted_at = getattr(model, "deleted_at", None)
                if deleted_at is not None:
                    stmt = stmt.where(deleted_at.is_(None))
                if model is Channel:
                    stmt = stmt.where(Channel.platform != "ga4")
                elif model in (Campaign, DailyMetric):
                    stmt = stmt.where(model.channel_id.not_in(ga4))  # type: ignore[attr-defined]
                out[model.__tablename__] = int(await session.scalar(stmt) or 0)
            out["organizations"] = int(
                await session.scalar(
                    select(func.count()).select_from(Organization).where(
                        Organization.demo_vertical == "supplements"
                    )
                )
                or 0
            )
            out["demo_keys"] = int(
                await session.scalar(
                    select(func.count()).select_from(ApiKey).where(
                        ApiKey.organization_id == org_id, ApiKey.name == DEMO_KEY_NAME
                    )
                )
                or 0
            )
            return out
    finally:
        await runtime.close()


def _expected_counts(sim: Simulation) -> dict[str, int]:
    """What the sandbox-seeded tenant holds: ad sets are those with delivery (an ad set
    with no ad delivering in the period is in no performance report)."""
    delivering = {sim.creatives[k].ad_set for k in set(sim.metrics.creative.tolist())}
    return {
        "channels": len(sim.channels),
        "campaigns": len(sim.campaigns),
        "ad_sets": len(delivering),
        "creatives": len(sim.creatives),
        "customers": len(sim.customers),
        "orders": len(sim.orders),
        "daily_metrics": len(sim.metrics),
    }


async def test_seed_creates_then_refreshes_the_same_tenant(demo_settings: Settings) -> None:
    """Through sandbox connections (`brain.demo.connections`): a refresh reuses them and
    replaces the data."""
    first = await seed_vertical(demo_settings, "supplements", days=60, seed=3, today=TODAY)
    sim = simulate("supplements", days=60, seed=3, today=TODAY)
    counts = await _live_counts(demo_settings, first.organization_id)
    assert {k: counts[k] for k in _expected_counts(sim)} == _expected_counts(sim)
    assert counts["organizations"] == 1
    assert first.organization_name == sim.profile.organization_name
    assert set(first.as_json()) == {"organization_id", "api_key", "ground_truth"}

    # Refreshing with the same arguments: same tenant, same rows, no duplicates.
    again = await seed_vertical(demo_settings, "supplements", days=60, seed=3, today=TODAY,
                                progress=True)
    assert again.organization_id == first.organization_id
    assert again.api_key != first.api_key
    counts = await _live_counts(demo_settings, first.organization_id)
    assert {k: counts[k] for k in _expected_counts(sim)} == _expected_counts(sim)
    assert counts["organizations"] == 1
    assert counts["demo_keys"] == 2

    # Refreshing with other data (a later day, fewer days) replaces it.
    later = await seed_vertical(demo_settings, "supplements", days=45, seed=4,
                                today=TODAY + timedelta(days=3))
    assert later.organization_id == first.organization_id
    other = simulate("supplements", days=45, seed=4, today=TODAY + timedelta(days=3))
    counts = await _live_counts(demo_settings, first.organization_id)
    assert {k: counts[k] for k in _expected_counts(other)} == _expected_counts(other)

    # The fresh key is an admin key of the tenant.
    runtime = Runtime.create(demo_settings)
    try:
        async with runtime.session_factory() as session:
            auth = await resolve_api_key(session, MemoryCache(), later.api_key, cache_seconds=0)
            await session.commit()
    finally:
        await runtime.close()
    assert auth is not None
    assert auth.organization_id == first.organization_id
    assert auth.role == Role.admin


async def test_seed_writes_the_ground_truth_files(demo_settings: Settings) -> None:
    result = await seed_vertical(demo_settings, "wellness", days=40, seed=9, today=TODAY)
    assert result.ground_truth == demo_settings.var_dir / "demo" / "wellness-ground-truth.json"
    truth = json.loads(result.ground_truth.read_text())
    sim = simulate("wellness", days=40, seed=9, today=TODAY)
    expected = json.loads(json.dumps(sim.truth))
    assert truth.pop("segments_file") == "wellness-segments.csv"
    assert truth == expected
    assert truth["vertical"] == "wellness"
    assert truth["seed"] == 9
    assert truth["generated_for"] == TODAY.isoformat()
    assert truth["period"] == {
        "start": sim.start.isoformat(), "end": sim.end.isoformat(), "days": 40
    }
    with (result.ground_truth.parent / "wellness-segments.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(sim.customers)
    assert rows[0]["external_id"] == "cus_000001"
    assert {r["segment"] for r in rows} == set(truth["segments"])


async def test_seed_refuses_an_unknown_vertical(demo_settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown vertical"):
        await seed_vertical(demo_settings, "cosmetics")


async def test_the_demo_tenant_is_on_a_plan_that_holds_its_data(db: AsyncSession) -> None:
    """A year of demo data is more than the trial's monthly events: the demo is on Scale."""
    from brain.billing.catalog import Quota, plan_spec
    from brain.demo.seed import DEMO_PLAN, demo_organization

    org = await demo_organization(db, "wellness", "Demo Wellness Co")
    assert org.plan == DEMO_PLAN
    spec = plan_spec(org.plan)
    assert set(spec.modules) == set(plan_spec("enterprise").modules)
    assert (spec.quotas[Quota.events_per_month] or 0) >= 1_000_000
