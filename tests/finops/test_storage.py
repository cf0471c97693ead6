"""Storage metering: the daily job measures each tenant's stored bytes into `storage_bytes`
(a gauge: measuring twice a day replaces, never adds), tenants are told apart, the cost
model prices it per GB-month, and the job is on the beat schedule."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import JOB_REGISTRY, load_job_modules
from brain.core.runtime import Runtime
from brain.finops import storage
from brain.finops.costs import CostModel
from brain.finops.metering import set_usage
from brain.finops.models import UsageDaily
from brain.finops.tasks import MEASURE_STORAGE_JOB, measure_storage
from brain.warehouse.models import Channel, DailyMetric, daily_metric_id
from tests.factories import Tenant
from tests.organizations.helpers import Person, ok


async def _metrics(db: AsyncSession, tenant: Tenant, days: int) -> None:
    await set_system_mode(db, True)
    channel = Channel(organization_id=tenant.id, name=f"Meta {tenant.name}", platform="meta")
    db.add(channel)
    await db.flush()
    first = date(2024, 1, 1)
    for offset in range(days):
        day = first + timedelta(days=offset)
        db.add(DailyMetric(
            id=daily_metric_id(tenant.id, day, channel.id, None, None),
            organization_id=tenant.id, date=day, channel_id=channel.id, impressions=1000,
            clicks=10, spend=12.5, conversions=1.0, revenue=40.0,
        ))
    await db.commit()


async def _stored(db: AsyncSession, tenant: Tenant, day: date) -> list[float]:
    await set_system_mode(db, True)
    db.expire_all()
    return list((await db.scalars(select(UsageDaily.amount).where(
        UsageDaily.organization_id == tenant.id, UsageDaily.meter == "storage_bytes",
        UsageDaily.day == day))).all())


@pytest.mark.parametrize("method", ["native", "lengths"])
async def test_the_daily_job_measures_each_tenants_bytes(
    method: str, db: AsyncSession, tenant: Tenant, other_tenant: Tenant, runtime: Runtime,
    clock: FrozenClock, is_postgres: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if method == "lengths":
        if is_postgres:
            pytest.skip("the length estimate is SQLite's fallback without dbstat")
        monkeypatch.setattr(storage, "_sqlite_has_dbstat", _no_dbstat)
    await _metrics(db, tenant, 120)
    await _metrics(db, other_tenant, 5)
    await measure_storage(runtime)
    today = clock.now().date()
    [big] = await _stored(db, tenant, today)
    [small] = await _stored(db, other_tenant, today)
    assert big > small > 0
    # The same day again: replaced, not added (the meter's own rows now count a little).
    await measure_storage(runtime)
    [again] = await _stored(db, tenant, today)
    assert again == pytest.approx(big, rel=0.2)
    # The next day: a new day's measure, the previous one kept.
    clock.advance(timedelta(days=1))
    await measure_storage(runtime)
    assert len(await _stored(db, tenant, clock.now().date())) == 1
    assert await _stored(db, tenant, today) == [again]


async def _no_dbstat(session: AsyncSession) -> bool:
    return False


async def test_storage_is_priced_per_gb_month_and_shown_in_usage(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person,
    clock: FrozenClock,
) -> None:
    today = clock.now().date()
    await set_usage(db, tenant.id, "storage_bytes", today, 5e9)
    await set_usage(db, tenant.id, "storage_bytes", today, 6e9)  # a second measure wins
    await db.commit()
    body = ok(await client.get(tenant.path("/usage"), headers=owner.headers))
    assert body["totals"]["storage_bytes"] == 6e9
    model = CostModel.from_settings(client.app.state.runtime.settings)  # type: ignore[attr-defined]
    # Six GB held for one day: a 30th of six GB-months at $0.023.
    assert model.cost("storage_bytes", "", 6e9) == pytest.approx(6 * 0.023 / 30)
    with pytest.raises(ValueError, match="unknown meter"):
        await set_usage(db, tenant.id, "storage", today, 1)
    with pytest.raises(ValueError, match="never negative"):
        await set_usage(db, tenant.id, "storage_bytes", today, -1)


def test_the_job_is_registered_and_scheduled_daily() -> None:
    from brain.worker import BEAT_SCHEDULE

    load_job_modules()
    assert MEASURE_STORAGE_JOB in JOB_REGISTRY
    [entry] = [e for e in BEAT_SCHEDULE.values() if e["task"] == MEASURE_STORAGE_JOB]
    assert entry["schedule"] == timedelta(days=1)
