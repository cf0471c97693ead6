"""Per-tenant quotas for the day and month periods (events ingested, brain runs, actions,
LLM tokens, syncs), counted in the database in the caller's transaction.

`consume(session, org_id, quota, amount)` adds `amount` only if it fits: work that would
cross the limit is refused whole (429 `quota-exceeded`) and nothing already accepted is
touched. Crossing 80 % sends one warning per period (in-app notice, email to owners and
admins, `quota.warning` webhook). `check` answers the same question without counting.

Why the database and not Redis for these: the count must commit or roll back with the work
it admits (a refused or failed import must not use up quota), and a month-long counter must
survive a cache flush. The per-minute API limit, which is hot and disposable, lives in the
cache (`brain.billing.limiter`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import QUOTA_PERIODS, Period, Quota
from brain.billing.entitlements import PlanState, load_plan_state
from brain.billing.models import QuotaUsage
from brain.billing.notifications import notify
from brain.billing.problems import QuotaExceeded
from brain.billing.sql import insert_ignoring_conflict
from brain.core.clock import Clock, SystemClock
from brain.core.jobs import JobBuffer
from brain.core.models import uuid7

WARNING_RATIO = 0.8


@dataclass(frozen=True)
class QuotaStatus:
    quota: str
    limit: int | None  # None: unlimited
    used: int
    period_start: datetime
    resets_at: datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


def period_bounds(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """The UTC period containing `now`: [start, next start)."""
    now = now.astimezone(UTC)
    if period == "minute":
        start = now.replace(second=0, microsecond=0)
        return start, start + timedelta(minutes=1)
    if period == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start.replace(year=start.year + 1, month=1) if start.month == 12
                 else start.replace(month=start.month + 1))
    return start, following


def _quota(quota: Quota | str) -> Quota:
    value = Quota(quota)
    if QUOTA_PERIODS[value] == "minute":
        raise ValueError("the per-minute API limit is enforced by the request limiter")
    return value


async def _row(
    session: AsyncSession, organization_id: uuid.UUID, quota: Quota, day: date
) -> QuotaUsage | None:
    result: QuotaUsage | None = await session.scalar(
        select(QuotaUsage).where(
            QuotaUsage.organization_id == organization_id, QuotaUsage.quota == quota.value,
            QuotaUsage.period_start == day,
        )
    )
    return result


async def usage_of(
    session: AsyncSession, organization_id: uuid.UUID, quota: Quota, limit: int | None,
    now: datetime,
) -> QuotaStatus:
    start, resets_at = period_bounds(QUOTA_PERIODS[quota], now)
    row = await _row(session, organization_id, quota, start.date())
    return QuotaStatus(quota.value, limit, row.used if row else 0, start, resets_at)


async def check(
    session: AsyncSession, organization_id: uuid.UUID, quota: Quota | str, amount: int = 1,
    *, clock: Clock | None = None, state: PlanState | None = None,
) -> QuotaStatus:
    """The quota's status; raises `QuotaExceeded` when `amount` more would not fit."""
    name = _quota(quota)
    now = (clock or SystemClock()).now()
    state = state or await load_plan_state(session, organization_id, clock=clock)
    status = await usage_of(session, organization_id, name, state.limit(name), now)
    if status.limit is not None and status.used + amount > status.limit:
        raise _exceeded(status, amount, now)
    return status


def _exceeded(status: QuotaStatus, amount: int, now: datetime) -> QuotaExceeded:
    assert status.limit is not None
    return QuotaExceeded(status.quota, status.limit, status.used, amount, status.resets_at,
                         int((status.resets_at - now).total_seconds()) + 1)


async def consume(
    session: AsyncSession, organization_id: uuid.UUID, quota: Quota | str, amount: int = 1,
    *, clock: Clock | None = None, jobs: JobBuffer | None = None,
    state: PlanState | None = None, enforce: bool = True,
) -> QuotaStatus:
    """Count `amount` against the quota in the caller's transaction, or raise
    `QuotaExceeded` (429) and count nothing. Sends the 80 % warning once per period.

    `enforce=False` records work that already happened (e.g. the tokens an LLM call
    actually used after its budget check passed): counted even past the limit."""
    if amount < 0:
        raise ValueError("amount must be >= 0")
    name = _quota(quota)
    now = (clock or SystemClock()).now()
    state = state or await load_plan_state(session, organization_id, clock=clock)
    limit = state.limit(name)
    start, resets_at = period_bounds(QUOTA_PERIODS[name], now)
    day = start.date()
    row = await _row(session, organization_id, name, day)
    if row is None:
        await insert_ignoring_conflict(session, QuotaUsage, {
            "id": uuid7(), "organization_id": organization_id, "quota": name.value,
            "period_start": day, "used": 0,
        }, ["organization_id", "quota", "period_start"])
        row = await _row(session, organization_id, name, day)
        assert row is not None
    # One conditional UPDATE: concurrent consumers cannot both squeeze past the limit.
    stmt = update(QuotaUsage).where(QuotaUsage.id == row.id)
    if limit is not None and enforce:
        stmt = stmt.where(QuotaUsage.used + amount <= limit)
    result = await session.execute(
        stmt.values(used=QuotaUsage.used + amount).returning(QuotaUsage.used)
        .execution_options(synchronize_session=False)
    )
    used = result.scalar_one_or_none()
    if used is None:
        await session.refresh(row)
        raise _exceeded(QuotaStatus(name.value, limit, row.used, start, resets_at), amount, now)
    status = QuotaStatus(name.value, limit, int(used), start, resets_at)
    if limit is not None and limit > 0 and used >= WARNING_RATIO * limit:
        await _warn_once(session, organization_id, row.id, status, now, jobs)
    return status


async def _warn_once(
    session: AsyncSession, organization_id: uuid.UUID, row_id: uuid.UUID,
    status: QuotaStatus, now: datetime, jobs: JobBuffer | None,
) -> None:
    claimed = await session.execute(
        update(QuotaUsage).where(QuotaUsage.id == row_id, QuotaUsage.warned_at.is_(None))
        .values(warned_at=now).returning(QuotaUsage.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.scalar_one_or_none() is None:
        return
    assert status.limit is not None
    percent = int(100 * status.used / status.limit)
    resets = status.resets_at.isoformat().replace("+00:00", "Z")
    await notify(
        session, organization_id, kind="quota.warning",
        title=f"{percent}% of your {status.quota} quota is used",
        body=(f"Your organization has used {status.used} of {status.limit} "
              f"({status.quota}) in the current period, which resets at {resets}. At 100 % "
              "new work is refused until then; upgrade the plan to raise the limit."),
        dedupe_key=f"quota.warning:{status.quota}:{status.period_start.date().isoformat()}",
        now=now,
        data={"quota": status.quota, "limit": status.limit, "used": status.used,
              "percent": percent, "resets_at": resets},
        webhook_event="quota.warning", jobs=jobs,
    )


async def all_quotas(
    session: AsyncSession, state: PlanState, now: datetime
) -> dict[str, QuotaStatus]:
    """Every day/month quota's status (the minute API limit is reported by the limiter)."""
    statuses: dict[str, QuotaStatus] = {}
    for quota in Quota:
        if QUOTA_PERIODS[quota] == "minute":
            continue
        statuses[quota.value] = await usage_of(
            session, state.organization_id, quota, state.limit(quota), now
        )
    return statuses
