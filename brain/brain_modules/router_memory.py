"""MEMORY: what happened — totals, channels (with modelled incremental ROI), campaigns,
creatives and cohorts.

Without a date range the answer is the latest succeeded run's stored output (its period is
the last 28 days with data). With `date_from`/`date_to`, or before any run has succeeded,
MEMORY is computed for this request from the tenant's data (slower: it fits the
marketing-mix model).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from brain.billing.catalog import Module
from brain.billing.entitlements import require_entitlement
from brain.brain_modules.contracts import ChannelMemory, MemoryResult
from brain.brain_modules.pipeline import latest_outputs, memory_period
from brain.brain_modules.router_common import require_tenant_wide, stored_source
from brain.brain_modules.schemas import (
    ChannelMemoryRead,
    CohortRead,
    IntervalRead,
    MemoryChannels,
    MemoryCohorts,
    MemoryRows,
    MemorySummary,
    OutputSource,
    ResponseCurveRead,
)
from brain.brain_modules.serialize import memory_from_json, to_json
from brain.core.auth import AuthContext
from brain.core.deps import DbSession, ReadData
from brain.core.errors import ProblemError
from brain.core.pagination import json_response
from brain.warehouse.router_common import check_date_range

router = APIRouter(prefix="/api/v1/organizations/{org_id}/memory", tags=["memory"],
                   dependencies=[Depends(require_entitlement(Module.memory))])
MAX_RANGE_DAYS = 3 * 366

DateFrom = Annotated[date | None, Query(description="First day (inclusive).")]
DateTo = Annotated[date | None, Query(description="Last day (inclusive).")]


async def _compute(
    session: AsyncSession, auth: AuthContext, date_from: date | None, date_to: date | None
) -> MemoryResult:
    from brain.brain_modules.data import load_brain_data
    from brain.brain_modules.memory import run_memory

    data = await load_brain_data(session, auth.organization_id)
    default_start, default_end = memory_period(data)
    start, end = date_from or default_start, date_to or default_end
    if date_from is not None and date_to is None:
        end = max(start, data.end)
    if date_to is not None and date_from is None:
        start = end - timedelta(days=27) if end > date.min + timedelta(days=27) else end
    return await asyncio.to_thread(run_memory, data, period_start=start, period_end=end)


async def memory_answer(
    session: AsyncSession, auth: AuthContext, date_from: date | None, date_to: date | None,
    *, rows: bool = False,
) -> tuple[MemoryResult, OutputSource]:
    """MEMORY for the range: stored when no range is asked and a run exists, else computed."""
    require_tenant_wide(auth)
    check_date_range(date_from, date_to)
    if date_from is not None and date_to is not None and \
            (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ProblemError(
            422, f"The period may span at most {MAX_RANGE_DAYS} days.",
            errors=[{"loc": ["query", "date_from"], "message": "Period too long."}],
        )
    if date_from is None and date_to is None:
        run, outputs = await latest_outputs(session, auth, ("memory",))
        stored = outputs.get("memory")
        if run is not None and stored is not None:
            return memory_from_json(stored.output, rows=rows), stored_source(run, stored)
    memory = await _compute(session, auth, date_from, date_to)
    return memory, OutputSource(run_id=None, computed="on_demand",
                                model_version=memory.model_version)


def channel_read(channel: ChannelMemory) -> ChannelMemoryRead:
    roi, curve = channel.incremental_roi, channel.curve
    payload: dict[str, Any] = to_json({
        "channel_id": channel.channel_id, "name": channel.name, "platform": channel.platform,
        "spend": channel.spend, "revenue": channel.revenue, "roas": channel.roas,
        "ltv_roas": channel.ltv_roas, "status": channel.status,
        "incremental_roi_reason": channel.incremental_roi_reason,
        "reported_over_modelled": channel.reported_over_modelled,
        "current_daily_spend": channel.current_daily_spend,
    })
    return ChannelMemoryRead(
        **payload,
        incremental_roi=None if roi is None else IntervalRead.model_validate(to_json(roi)),
        response_curve=None if curve is None else ResponseCurveRead.model_validate(
            to_json({"decay": curve.decay, "half_saturation": curve.half_saturation,
                     "shape": curve.shape, "beta": curve.beta})),
    )


@router.get("/channels", response_model=MemoryChannels, operation_id="get_memory_channels")
async def get_memory_channels(
    org_id: uuid.UUID, auth: ReadData, session: DbSession,
    date_from: DateFrom = None, date_to: DateTo = None,
) -> Response:
    """Per channel: spend, revenue, ROAS, LTV-ROAS, status and modelled incremental ROI."""
    memory, source = await memory_answer(session, auth, date_from, date_to)
    return json_response(MemoryChannels(
        period_start=memory.period_start, period_end=memory.period_end,
        revenue_source=memory.revenue_source, source=source,
        data=[channel_read(c) for c in memory.channels], notes=memory.notes,
    ))


@router.get("/summary", response_model=MemorySummary, operation_id="get_memory_summary")
async def get_memory_summary(
    org_id: uuid.UUID, auth: ReadData, session: DbSession,
    date_from: DateFrom = None, date_to: DateTo = None,
) -> Response:
    """Totals: spend, revenue, ROAS, blended ROAS, MER, CPC, CTR, CVR, CPA, LTV-ROAS."""
    memory, source = await memory_answer(session, auth, date_from, date_to)
    return json_response(MemorySummary(
        period_start=memory.period_start, period_end=memory.period_end,
        revenue_source=memory.revenue_source, totals=to_json(memory.totals),
        ltv_factor=to_json(memory.ltv_factor), mmm=to_json(memory.mmm), source=source,
        notes=memory.notes,
    ))


@router.get("/cohorts", response_model=MemoryCohorts, operation_id="get_memory_cohorts")
async def get_memory_cohorts(org_id: uuid.UUID, auth: ReadData, session: DbSession) -> Response:
    """Acquisition-month cohorts: customers, 30- and 90-day LTV (observed and predicted)."""
    memory, source = await memory_answer(session, auth, None, None)
    return json_response(MemoryCohorts(
        ltv_factor=to_json(memory.ltv_factor), source=source,
        data=[CohortRead.model_validate(to_json(c)) for c in memory.cohorts],
    ))


@router.get("/campaigns", response_model=MemoryRows, operation_id="get_memory_campaigns")
async def get_memory_campaigns(
    org_id: uuid.UUID, auth: ReadData, session: DbSession,
    date_from: DateFrom = None, date_to: DateTo = None,
) -> Response:
    """Per campaign: spend, revenue, ROAS, CPC, CTR, CVR, CPA, status."""
    memory, source = await memory_answer(session, auth, date_from, date_to, rows=True)
    return json_response(MemoryRows(period_start=memory.period_start,
                                    period_end=memory.period_end, source=source,
                                    data=to_json(memory.campaigns)))


@router.get("/creatives", response_model=MemoryRows, operation_id="get_memory_creatives")
async def get_memory_creatives(
    org_id: uuid.UUID, auth: ReadData, session: DbSession,
    date_from: DateFrom = None, date_to: DateTo = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Best-ranked rows kept.")] = 200,
) -> Response:
    """The creative leaderboard (by ROAS, best first), with each creative's metrics."""
    memory, source = await memory_answer(session, auth, date_from, date_to, rows=True)
    rows = memory.leaderboard or memory.creatives
    return json_response(MemoryRows(period_start=memory.period_start,
                                    period_end=memory.period_end, source=source,
                                    data=to_json(rows[:limit])))
