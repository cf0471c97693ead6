"""Usage metering: every billable or costly unit, per tenant per UTC day.

Meters (the unit in brackets): `api_requests` [requests], `rows_ingested` [rows],
`sync_minutes` [minutes], `brain_cpu_seconds` [s], `training_seconds` [s],
`llm_tokens_in` / `llm_tokens_out` [tokens, dimension = model], `storage_bytes` [byte-days:
record the bytes held once a day], `emails_sent` [emails]. Other domains call
`record_usage(session, org_id, meter, amount, dimension=...)` in their own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.sql import insert_or_add
from brain.core.clock import Clock, SystemClock
from brain.core.models import uuid7
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
