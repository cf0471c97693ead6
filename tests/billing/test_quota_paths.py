"""Quotas charged where work is accepted, with the controllable clock: metric rows and
batches (events per month), CSV imports and syncs (rows they write), brain runs per day
(the route and the daily schedule), syncs per day (the route and the scheduler), actions per
day (accepting one). Limits refuse new work with 429 `quota-exceeded`; counts reset at the
period boundary; the 80 % warning goes out once through these paths; and work already
accepted is kept — an import or sync that crosses the limit finishes and keeps every row,
the next one is refused."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import PLANS, QUOTA_PERIODS, Quota
from brain.billing.entitlements import evict_plan_state
from brain.billing.models import BillingNotification, QuotaUsage
from brain.billing.notifications import SEND_EMAILS_JOB
from brain.billing.overrides import force_plan
from brain.billing.quotas import period_bounds
from brain.brain_modules.runs.models import BrainRun
from brain.brain_modules.runs.tasks import schedule_daily_runs
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import JOB_REGISTRY
from brain.core.models import utcnow, uuid7
from brain.core.runtime import Runtime
from brain.finops.models import UsageDaily
from brain.integrations.engine import SyncEngine
from brain.integrations.models import Connection, SyncRun
from brain.integrations.tasks import schedule_due_syncs
from brain.warehouse.models import DailyMetric, ImportJob
from brain.webhooks.models import WebhookEvent
from tests.brain_modules.api.stored import store_finished_run
from tests.factories import Tenant
from tests.integrations.helpers import (
    SANDBOX_TODAY,
    RecordingDispatcher,
    queue_sync,
    sandbox_connection,
)
from tests.warehouse.helpers import make_channel

STARTER = PLANS["starter"]
EVENTS_LIMIT = STARTER.quota(Quota.events_per_month)
assert EVENTS_LIMIT is not None


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    """Jobs the requests ask for are recorded; the tests run the ones they need."""
    return RecordingDispatcher()


async def _starter(db: AsyncSession, runtime: Runtime, tenant: Tenant,
                   clock: FrozenClock) -> None:
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    await db.commit()
    await evict_plan_state(runtime.cache, tenant.id)


async def _set_used(db: AsyncSession, tenant: Tenant, quota: Quota, used: int,
                    moment: datetime) -> None:
    start, _ = period_bounds(QUOTA_PERIODS[quota], moment)
    await set_system_mode(db, True)
    row = await db.scalar(select(QuotaUsage).where(
        QuotaUsage.organization_id == tenant.id, QuotaUsage.quota == quota.value,
        QuotaUsage.period_start == start.date()))
    if row is None:
        db.add(QuotaUsage(id=uuid7(), organization_id=tenant.id, quota=quota.value,
                          period_start=start.date(), used=used))
    else:
        row.used = used
    await db.commit()


async def _used(db: AsyncSession, tenant: Tenant, quota: Quota, moment: datetime) -> int:
    start, _ = period_bounds(QUOTA_PERIODS[quota], moment)
    await set_system_mode(db, True)
    db.expire_all()
    used = await db.scalar(select(QuotaUsage.used).where(
        QuotaUsage.organization_id == tenant.id, QuotaUsage.quota == quota.value,
        QuotaUsage.period_start == start.date()))
    return int(used or 0)


async def _count(db: AsyncSession, model: Any, tenant: Tenant) -> int:
    await set_system_mode(db, True)
    return int(await db.scalar(select(func.count()).select_from(model).where(
        model.organization_id == tenant.id)) or 0)


def _rows(channel_id: str, days: int, first: date = date(2024, 3, 1)) -> list[dict[str, Any]]:
    return [{"date": (first + timedelta(days=i)).isoformat(), "channel_id": channel_id,
             "impressions": 100, "clicks": 5, "spend": 10.0, "conversions": 1.0,
             "revenue": 20.0} for i in range(days)]


def _assert_quota_exceeded(response: httpx.Response, quota: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == "/api/v1/problems/quota-exceeded"
    assert body["quota"] == quota
    assert int(response.headers["retry-after"]) >= 1
    return body


async def test_metric_batches_are_all_or_nothing_against_the_month(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await _starter(db, runtime, tenant, clock)
    channel = await make_channel(client, tenant)
    url = tenant.path("/metrics/daily:batch")
    await _set_used(db, tenant, Quota.events_per_month, EVENTS_LIMIT - 2, clock.now())
    refused = await client.post(url, json={"rows": _rows(channel["id"], 3)},
                                headers=tenant.analyst)
    body = _assert_quota_exceeded(refused, "events_per_month")
    assert (body["limit"], body["used"], body["requested"]) == (EVENTS_LIMIT,
                                                                EVENTS_LIMIT - 2, 3)
    next_month, _ = period_bounds("month", clock.now() + timedelta(days=32))
    assert body["resets_at"] == next_month.isoformat().replace("+00:00", "Z")
    assert await _count(db, DailyMetric, tenant) == 0  # nothing of the batch was written
    accepted = await client.post(url, json={"rows": _rows(channel["id"], 2)},
                                 headers=tenant.analyst)
    assert accepted.status_code == 200, accepted.text
    assert await _used(db, tenant, Quota.events_per_month, clock.now()) == EVENTS_LIMIT
    one = await client.post(tenant.path("/metrics/daily"), headers=tenant.analyst,
                            json=_rows(channel["id"], 1, date(2024, 4, 1))[0])
    _assert_quota_exceeded(one, "events_per_month")
    assert await _count(db, DailyMetric, tenant) == 2  # what was accepted is kept
    ingested = await db.scalar(select(func.sum(UsageDaily.amount)).where(
        UsageDaily.organization_id == tenant.id, UsageDaily.meter == "rows_ingested"))
    assert ingested == 2
    # A new month: the count starts again.
    clock.set(next_month)
    again = await client.post(tenant.path("/metrics/daily"), headers=tenant.analyst,
                              json=_rows(channel["id"], 1, date(2024, 4, 1))[0])
    assert again.status_code == 201, again.text
    assert await _used(db, tenant, Quota.events_per_month, clock.now()) == 1


async def test_the_80_percent_warning_goes_out_once_through_the_ingestion_path(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime, dispatcher: RecordingDispatcher,
) -> None:
    await _starter(db, runtime, tenant, clock)
    channel = await make_channel(client, tenant)
    await _set_used(db, tenant, Quota.events_per_month, int(EVENTS_LIMIT * 0.8) - 2,
                    clock.now())
    url = tenant.path("/metrics/daily:batch")
    for first in (date(2024, 3, 1), date(2024, 5, 1), date(2024, 7, 1)):
        response = await client.post(url, json={"rows": _rows(channel["id"], 2, first)},
                                     headers=tenant.analyst)
        assert response.status_code == 200, response.text
    await set_system_mode(db, True)
    notices = (await db.scalars(select(BillingNotification).where(
        BillingNotification.organization_id == tenant.id,
        BillingNotification.kind == "quota.warning"))).all()
    assert [(n.data["quota"], n.data["percent"]) for n in notices] == [
        ("events_per_month", 80)]
    events = (await db.scalars(select(WebhookEvent.event_type).where(
        WebhookEvent.organization_id == tenant.id))).all()
    assert list(events) == ["quota.warning"]
    emails = [kw for name, kw in dispatcher.sent if name == SEND_EMAILS_JOB]
    assert emails == [{"organization_id": str(tenant.id)}]


async def test_an_import_crossing_the_limit_is_finished_and_the_next_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime, dispatcher: RecordingDispatcher,
) -> None:
    await _starter(db, runtime, tenant, clock)
    await _set_used(db, tenant, Quota.events_per_month, EVENTS_LIMIT - 1, clock.now())
    csv = (b"date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue\n"
           + b"".join(f"2024-03-0{d},Meta,Spring,,100,5,10,1,20\n".encode()
                      for d in range(1, 4)))
    upload = {"data": {"kind": "daily_metrics"}, "files": {"file": ("m.csv", csv, "text/csv")}}
    accepted = await client.post(tenant.path("/imports"), headers=tenant.analyst, **upload)
    assert accepted.status_code == 202, accepted.text
    [(name, kwargs)] = [(n, kw) for n, kw in dispatcher.sent if n == "warehouse.run_import"]
    await JOB_REGISTRY[name](runtime, **kwargs)
    await set_system_mode(db, True)
    job = await db.get(ImportJob, uuid.UUID(accepted.json()["id"]), populate_existing=True)
    assert job is not None
    assert (job.status, job.rows_accepted) == ("succeeded", 3)
    assert await _count(db, DailyMetric, tenant) == 3  # every row kept, past the limit
    assert await _used(db, tenant, Quota.events_per_month, clock.now()) == EVENTS_LIMIT + 2
    refused = await client.post(tenant.path("/imports"), headers=tenant.analyst, **upload)
    _assert_quota_exceeded(refused, "events_per_month")


async def test_a_sync_crossing_the_limit_is_finished_and_the_next_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await _starter(db, runtime, tenant, clock)
    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=30)
    await _set_used(db, tenant, Quota.events_per_month, EVENTS_LIMIT - 1, utcnow())
    run = await queue_sync(runtime, connection, start=SANDBOX_TODAY - timedelta(days=3),
                           end=SANDBOX_TODAY - timedelta(days=1))
    result = await SyncEngine(runtime, dispatcher=RecordingDispatcher()).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "succeeded", result.error
    await set_system_mode(db, True)
    stored = await db.get(SyncRun, run.id, populate_existing=True)
    assert stored is not None
    written = stored.rows_written
    assert written > 1
    assert await _count(db, DailyMetric, tenant) == written  # all kept
    assert await _used(db, tenant, Quota.events_per_month, utcnow()) == \
        EVENTS_LIMIT - 1 + written
    refused = await client.post(tenant.path(f"/connections/{connection.id}/syncs"),
                                json={"mode": "delta"}, headers=tenant.admin)
    _assert_quota_exceeded(refused, "events_per_month")
    # The scheduler refuses it too (logged and skipped; the connection waits its turn).
    conn = await db.get(Connection, connection.id, populate_existing=True)
    assert conn is not None
    conn.schedule_minutes, conn.next_sync_at = 60, utcnow() - timedelta(minutes=1)
    await db.commit()
    recorder = RecordingDispatcher()
    assert await schedule_due_syncs(runtime, dispatcher=recorder) == 0  # type: ignore[arg-type]
    assert await _count(db, SyncRun, tenant) == 1


async def test_syncs_per_day_on_the_route_and_the_scheduler_reset_at_midnight(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await _starter(db, runtime, tenant, clock)
    limit = STARTER.quota(Quota.syncs_per_day)
    assert limit is not None
    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=30)
    url = tenant.path(f"/connections/{connection.id}/syncs")
    await _set_used(db, tenant, Quota.syncs_per_day, limit - 1, clock.now())
    first = await client.post(url, json={"mode": "delta"}, headers=tenant.admin)
    assert first.status_code == 202, first.text
    assert await _used(db, tenant, Quota.syncs_per_day, clock.now()) == limit
    # A refused request (a sync already in flight: 409) does not use the quota up.
    await _set_used(db, tenant, Quota.syncs_per_day, limit - 1, clock.now())
    busy = await client.post(url, json={"mode": "delta"}, headers=tenant.admin)
    assert busy.status_code == 409, busy.text
    assert await _used(db, tenant, Quota.syncs_per_day, clock.now()) == limit - 1
    await _set_used(db, tenant, Quota.syncs_per_day, limit, clock.now())
    await set_system_mode(db, True)
    for sync_run in (await db.scalars(select(SyncRun).where(
            SyncRun.organization_id == tenant.id))).all():
        sync_run.status = "succeeded"
    await db.commit()
    _assert_quota_exceeded(await client.post(url, json={"mode": "delta"},
                                             headers=tenant.admin), "syncs_per_day")
    clock.set(period_bounds("day", clock.now())[1])  # midnight UTC: a new day
    again = await client.post(url, json={"mode": "delta"}, headers=tenant.admin)
    assert again.status_code == 202, again.text
    assert await _used(db, tenant, Quota.syncs_per_day, clock.now()) == 1


async def test_brain_runs_per_day_on_the_route(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await _starter(db, runtime, tenant, clock)
    limit = STARTER.quota(Quota.brain_runs_per_day)
    assert limit is not None
    url = tenant.path("/brain/runs")
    await _set_used(db, tenant, Quota.brain_runs_per_day, limit - 1, clock.now())
    first = await client.post(url, headers=tenant.analyst)
    assert first.status_code == 202, first.text
    assert await _used(db, tenant, Quota.brain_runs_per_day, clock.now()) == limit
    # Another run while this one is queued: 409, and the refused request counts nothing.
    await _set_used(db, tenant, Quota.brain_runs_per_day, limit - 1, clock.now())
    busy = await client.post(url, headers=tenant.analyst)
    assert busy.status_code == 409
    assert await _used(db, tenant, Quota.brain_runs_per_day, clock.now()) == limit - 1
    await _set_used(db, tenant, Quota.brain_runs_per_day, limit, clock.now())
    await set_system_mode(db, True)
    run = await db.get(BrainRun, uuid.UUID(first.json()["id"]))
    assert run is not None
    run.status = "succeeded"
    await db.commit()
    body = _assert_quota_exceeded(await client.post(url, headers=tenant.analyst),
                                  "brain_runs_per_day")
    midnight = period_bounds("day", clock.now())[1]
    assert body["resets_at"] == midnight.isoformat().replace("+00:00", "Z")
    clock.set(midnight + timedelta(minutes=5))
    assert (await client.post(url, headers=tenant.analyst)).status_code == 202


async def test_scheduled_runs_count_against_the_day_and_stop_at_the_limit(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock, runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _starter(db, runtime, tenant, clock)
    limit = STARTER.quota(Quota.brain_runs_per_day)
    assert limit is not None
    recorder = RecordingDispatcher()
    monkeypatch.setattr("brain.core.jobs.CeleryDispatcher", lambda: recorder)

    def mine() -> list[dict[str, Any]]:
        return [kw for name, kw in recorder.sent
                if name == "brain.run_pipeline" and kw["organization_id"] == str(tenant.id)]

    await _set_used(db, tenant, Quota.brain_runs_per_day, limit - 1, clock.now())
    await schedule_daily_runs(runtime)
    assert len(mine()) == 1
    assert await _used(db, tenant, Quota.brain_runs_per_day, clock.now()) == limit
    # The run is still queued: the schedule finds it and counts nothing more.
    await schedule_daily_runs(runtime)
    assert len(mine()) == 1
    assert await _used(db, tenant, Quota.brain_runs_per_day, clock.now()) == limit
    await set_system_mode(db, True)
    for run in (await db.scalars(select(BrainRun).where(
            BrainRun.organization_id == tenant.id))).all():
        run.status = "succeeded"
    await db.commit()
    await schedule_daily_runs(runtime)  # the day's runs are used up: none queued
    assert len(mine()) == 1
    assert await _count(db, BrainRun, tenant) == 1
    clock.set(period_bounds("day", clock.now())[1])
    await schedule_daily_runs(runtime)
    assert len(mine()) == 2


async def test_accepting_actions_uses_the_days_actions(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await _starter(db, runtime, tenant, clock)  # 3 actions a day
    await store_finished_run(db, tenant.id)
    actions = (await client.get(tenant.path("/actions"), headers=tenant.viewer)).json()["data"]
    assert len(actions) == 4
    missing = await client.post(tenant.path(f"/actions/{uuid.uuid4()}/accept"),
                                headers=tenant.analyst)
    assert missing.status_code == 404  # a refused request uses nothing up
    for action in actions[:3]:
        response = await client.post(tenant.path(f"/actions/{action['id']}/accept"),
                                     headers=tenant.analyst)
        assert response.status_code == 200, response.text
    _assert_quota_exceeded(
        await client.post(tenant.path(f"/actions/{actions[3]['id']}/accept"),
                          headers=tenant.analyst), "actions_per_day")
    rejected = await client.post(tenant.path(f"/actions/{actions[3]['id']}/reject"),
                                 headers=tenant.analyst)
    assert rejected.status_code == 200  # rejecting is feedback, not an action taken
    assert await _used(db, tenant, Quota.actions_per_day, clock.now()) == 3

