"""Quotas with a controllable clock: limits, resets at period boundaries, the 80 % warning
sent once per period (in-app, email, outbound webhook), and hard limits that refuse new work
while keeping what was already accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing import quotas
from brain.billing.catalog import Quota
from brain.billing.models import BillingNotification
from brain.billing.notifications import SEND_EMAILS_JOB, send_notification_emails
from brain.billing.overrides import force_plan
from brain.billing.problems import QuotaExceeded
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.email import list_outbox
from brain.core.jobs import JobBuffer
from brain.core.runtime import Runtime
from tests.factories import Tenant
from tests.organizations.helpers import Person


async def _notices(db: AsyncSession, tenant: Tenant) -> list[BillingNotification]:
    await set_system_mode(db, True)
    db.expire_all()
    return list((await db.scalars(select(BillingNotification).where(
        BillingNotification.organization_id == tenant.id,
        BillingNotification.kind == "quota.warning").order_by(
            BillingNotification.created_at))).all())


async def test_hard_limit_refuses_new_work_and_keeps_what_was_accepted(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock
) -> None:
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)  # 3 actions/day
    for expected in (1, 2, 3):
        status = await quotas.consume(db, tenant.id, Quota.actions_per_day, clock=clock)
        assert status.used == expected
    with pytest.raises(QuotaExceeded) as refused:
        await quotas.consume(db, tenant.id, "actions_per_day", clock=clock)
    problem = refused.value
    assert problem.status == 429
    assert problem.kind == "quota-exceeded"
    midnight = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    assert problem.extra["resets_at"] == midnight.isoformat().replace("+00:00", "Z")
    assert int(problem.headers["Retry-After"]) == int((midnight - clock.now()).total_seconds()) + 1
    # What was accepted stays counted; `check` answers without counting.
    assert (await quotas.usage_of(db, tenant.id, Quota.actions_per_day, 3, clock.now())).used == 3
    with pytest.raises(QuotaExceeded):
        await quotas.check(db, tenant.id, Quota.actions_per_day, clock=clock)


async def test_a_batch_that_would_cross_the_limit_is_refused_whole(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock
) -> None:
    await quotas.consume(db, tenant.id, Quota.events_per_month, 99_990, clock=clock)
    with pytest.raises(QuotaExceeded) as refused:
        await quotas.consume(db, tenant.id, Quota.events_per_month, 11, clock=clock)
    assert refused.value.extra == {
        "quota": "events_per_month", "limit": 100_000, "used": 99_990, "requested": 11,
        "resets_at": refused.value.extra["resets_at"]}
    status = await quotas.consume(db, tenant.id, Quota.events_per_month, 10, clock=clock)
    assert status.used == 100_000
    assert status.remaining == 0


async def test_daily_and_monthly_quotas_reset_at_the_period_boundary(
    db: AsyncSession, tenant: Tenant
) -> None:
    clock = FrozenClock(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC))
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    await quotas.consume(db, tenant.id, Quota.actions_per_day, 3, clock=clock)
    await quotas.consume(db, tenant.id, Quota.events_per_month, 100_000, clock=clock)
    for quota in (Quota.actions_per_day, Quota.events_per_month):
        with pytest.raises(QuotaExceeded):
            await quotas.consume(db, tenant.id, quota, clock=clock)
    clock.advance(timedelta(seconds=1))  # 2026-02-01 00:00:00: a new day and a new month
    day = await quotas.consume(db, tenant.id, Quota.actions_per_day, clock=clock)
    month = await quotas.consume(db, tenant.id, Quota.events_per_month, clock=clock)
    assert (day.used, month.used) == (1, 1)
    assert day.resets_at == datetime(2026, 2, 2, tzinfo=UTC)
    assert month.resets_at == datetime(2026, 3, 1, tzinfo=UTC)
    december = quotas.period_bounds("month", datetime(2026, 12, 15, tzinfo=UTC))
    assert december == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


async def test_the_80_percent_warning_is_sent_once_per_period(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock, owner: Person, runtime: Runtime
) -> None:
    jobs = JobBuffer()
    # Trial: 50,000 LLM tokens a day; 80 % is 40,000.
    await quotas.consume(db, tenant.id, Quota.llm_tokens_per_day, 39_999, clock=clock, jobs=jobs)
    assert await _notices(db, tenant) == []
    await quotas.consume(db, tenant.id, Quota.llm_tokens_per_day, 1, clock=clock, jobs=jobs)
    await quotas.consume(db, tenant.id, Quota.llm_tokens_per_day, 5_000, clock=clock, jobs=jobs)
    notices = await _notices(db, tenant)
    assert len(notices) == 1
    assert notices[0].data["percent"] == 80
    assert notices[0].severity == "warning"
    assert [name for name, _ in jobs.pending] == [SEND_EMAILS_JOB]
    # The outbound webhook event is written in the same transaction.
    from brain.webhooks.models import WebhookEvent

    events = (await db.scalars(select(WebhookEvent).where(
        WebhookEvent.organization_id == tenant.id))).all()
    assert [e.event_type for e in events] == ["quota.warning"]
    await db.commit()
    # The email goes to the owners and admins, once.
    await send_notification_emails(runtime, organization_id=str(tenant.id))
    await send_notification_emails(runtime, organization_id=str(tenant.id))
    sent = [m for m in list_outbox(runtime.settings, 200)
            if owner.email in m.to and "llm_tokens_per_day" in m.subject]
    assert len(sent) == 1
    # The next day is a new period: crossing 80 % again warns again.
    clock.advance(timedelta(days=1))
    await quotas.consume(db, tenant.id, Quota.llm_tokens_per_day, 45_000, clock=clock)
    assert len(await _notices(db, tenant)) == 2


async def test_minute_quota_is_not_a_database_counter(db: AsyncSession, tenant: Tenant) -> None:
    with pytest.raises(ValueError, match="request limiter"):
        await quotas.consume(db, tenant.id, Quota.api_requests_per_minute)
    with pytest.raises(ValueError, match=">= 0"):
        await quotas.consume(db, tenant.id, Quota.actions_per_day, -1)
