"""Usage metering: every billable or costly unit, per tenant per UTC day.

Meters (the unit in brackets): `api_requests` [requests], `rows_ingested` [rows: metric rows
written through the API, imported and synced rows], `sync_minutes` [minutes of a sync job],
`brain_cpu_seconds` [s: the seconds a run's modules took], `training_seconds` [s],
`llm_tokens_in` / `llm_tokens_out` [tokens, dimension = model], `storage_bytes` [byte-days:
the bytes held, measured once a day by `finops.measure_storage` and written with
`set_usage`, so a day's row is that day's gauge and a month's rows sum to byte-days],
`emails_sent` [emails]. Other domains call `record_usage(session, org_id, meter, amount,
dimension=...)` in their own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.sql import insert_or_add, insert_or_replace
from brain.core.clock import Clock, SystemClock
from brain.core.models import uuid7
from brain.core.runtime import Runtime
from brain.finops.models import UsageDaily

METERS = frozenset({
    "api_requests", "rows_ingested", "sync_minutes", "brain_cpu_seconds", "training_seconds",
    "llm_tokens_in", "llm_tokens_out", "storage_bytes", "emails_sent",
})
_KEYS = ("organization_id", "day", "meter", "dimension")


async def record_usage(
    session: AsyncSession, organization_id: uuid.UUID, meter: str, amount: float,
    *, dimension: str | None = None, clock: Clock | None = None, at: datetime | None = None,
) -> None:
    """Add `amount` of `meter` to today's row (atomic upsert in the caller's transaction)."""
    if meter not in METERS:
        raise ValueError(f"unknown meter {meter!r}; one of {sorted(METERS)}")
    if amount < 0:
        raise ValueError("usage amounts are never negative")
    moment = at or (clock or SystemClock()).now()
    await add_usage_rows(session, [(organization_id, moment.date(), meter,
                                    (dimension or "")[:100], float(amount))])


async def add_usage_rows(
    session: AsyncSession, rows: Iterable[tuple[uuid.UUID, date, str, str, float]]
) -> None:
    for organization_id, day, meter, dimension, amount in rows:
        await insert_or_add(session, UsageDaily, {
            "id": uuid7(), "organization_id": organization_id, "day": day, "meter": meter,
            "dimension": dimension, "amount": amount,
        }, _KEYS, "amount")


async def set_usage(
    session: AsyncSession, organization_id: uuid.UUID, meter: str, day: date, amount: float,
    *, dimension: str | None = None,
) -> None:
    """Set `meter` of `day` to `amount` (a gauge such as stored bytes: measuring twice in a
    day replaces the first measure instead of adding to it)."""
    if meter not in METERS:
        raise ValueError(f"unknown meter {meter!r}; one of {sorted(METERS)}")
    if amount < 0:
        raise ValueError("usage amounts are never negative")
    await insert_or_replace(session, UsageDaily, {
        "id": uuid7(), "organization_id": organization_id, "day": day, "meter": meter,
        "dimension": (dimension or "")[:100], "amount": float(amount),
    }, _KEYS, "amount")


async def record_job_usage(
    runtime: Runtime, organization_id: uuid.UUID, meter: str, amount: float
) -> None:
    """`record_usage` in a transaction of its own, for a job that measured its own cost
    (sync minutes, brain-run seconds) after its work committed."""
    from brain.core.db import tenant_session

    if amount <= 0:
        return
    async with tenant_session(runtime.session_factory, organization_id) as session:
        await record_usage(session, organization_id, meter, amount, clock=runtime.clock)
