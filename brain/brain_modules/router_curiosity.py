"""CURIOSITY's budget what-if: reallocate a daily budget across channels with MEMORY's
response curves (adjusted for ORACLE's channel decay) within per-channel change limits."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from starlette.responses import Response

from brain.billing.catalog import Module
from brain.billing.entitlements import require_entitlement
from brain.brain_modules.curiosity import allocation_revenue, channel_views, optimize_budget
from brain.brain_modules.router_common import (
    RunBrain,
    require_tenant_wide,
    stored_output,
    stored_source,
)
from brain.brain_modules.schemas import AllocationRow, OptimizeRequest, OptimizeResult
from brain.brain_modules.serialize import memory_from_json, oracle_from_json
from brain.core.deps import DbSession
from brain.core.pagination import json_response

router = APIRouter(prefix="/api/v1/organizations/{org_id}/curiosity", tags=["curiosity"],
                   dependencies=[Depends(require_entitlement(Module.curiosity))])
HORIZON_DAYS = 28


@router.post("/optimize", response_model=OptimizeResult, operation_id="optimize_budget")
async def optimize(
    org_id: uuid.UUID, body: OptimizeRequest, auth: RunBrain, session: DbSession
) -> Response:
    """Allocation of a total daily budget that maximises modelled return (nothing is changed).

    Uses the latest succeeded run's MEMORY and ORACLE (409 before the first run).
    """
    require_tenant_wide(auth)
    run, stored_memory = await stored_output(session, auth, "memory")
    _, stored_oracle = await stored_output(session, auth, "oracle")
    memory = memory_from_json(stored_memory.output, rows=False)
    views = channel_views(memory, oracle_from_json(stored_oracle.output, creatives=False))
    fixed = set(body.keep_fixed)
    current = {cid: view.current for cid, view in views.items()}
    all_curves = [v.curve for v in views.values() if v.curve is not None]
    movable = [v.curve for cid, v in views.items() if v.curve is not None and cid not in fixed]
    total = body.total_budget if body.total_budget is not None else sum(current.values())
    notes: list[str] = []
    if not movable:
        notes.append("No channel has a response curve from MEMORY yet (or all are fixed): "
                     "budgets stay as they are.")
        plan = dict(current)
    else:
        plan = optimize_budget(movable, current, total, max_change=body.max_change)
        reached = sum(plan.values())
        if abs(reached - total) > max(0.01 * total, 1.0):
            notes.append(f"Only ${reached:,.0f}/day could be placed within the limits.")
    unmodelled = [v.memory.name for v in views.values() if v.curve is None]
    if unmodelled:
        notes.append("Kept at their current budget (no response curve): "
                     + ", ".join(sorted(unmodelled)) + ".")
    before = allocation_revenue(all_curves, current)
    after = allocation_revenue(all_curves, plan)
    rows = [
        AllocationRow(
            channel_id=str(cid), name=view.memory.name, current=round(view.current, 2),
            recommended=round(plan.get(cid, view.current), 2),
            change=None if view.current <= 0
            else round(plan.get(cid, view.current) / view.current - 1.0, 4),
        )
        for cid, view in views.items()
    ]
    return json_response(OptimizeResult(
        total_budget=round(total, 2), allocation=rows,
        modelled_daily_revenue_current=round(before, 2),
        modelled_daily_revenue_recommended=round(after, 2),
        modelled_return_28d_usd=round((after - before) * HORIZON_DAYS, 2),
        source=stored_source(run, stored_memory), notes=notes,
    ))
