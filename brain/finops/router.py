"""`GET /api/v1/admin/costs` (platform operators) and `GET …/usage` (a tenant's own usage
against its quotas)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from brain.billing.entitlements import load_plan_state
from brain.billing.operators import Operator
from brain.billing.quotas import all_quotas
from brain.billing.schemas import QuotaRead, UsageMeterRead, UsageRead
from brain.core.auth import AuthContext
from brain.core.db import set_system_mode
from brain.core.deps import Authorized, DbSession
from brain.core.errors import ProblemError
from brain.core.pagination import json_response
from brain.core.tenancy import scope_to_tenant
from brain.finops.costs import CostModel, costs_report
from brain.finops.models import UsageDaily
from brain.finops.schemas import CostsReport
from brain.organizations.permissions import Permission

admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
usage_router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["billing"])
ReadBilling = Annotated[AuthContext, Authorized(Permission.billing_read)]
MAX_DAYS = 366


def _period(request: Request, start: date | None, end: date | None,
            default_days: int) -> tuple[date, date]:
    today = request.app.state.runtime.clock.now().date()
    end = end or today
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise ProblemError(422, "start must not be after end.",
                           errors=[{"loc": ["query", "start"], "message": "After end."}])
    if (end - start).days + 1 > MAX_DAYS:
        raise ProblemError(422, f"At most {MAX_DAYS} days at once.",
                           errors=[{"loc": ["query", "start"], "message": "Period too long."}])
    return start, end


@admin_router.get("/costs", response_model=CostsReport, operation_id="get_platform_costs")
async def get_platform_costs(
    request: Request, operator: Operator, session: DbSession,
    start: Annotated[date | None, Query(description="First day (default: 30 days ago).")]
    = None,
    end: Annotated[date | None, Query(description="Last day, inclusive (default: today).")]
    = None,
    top: Annotated[int, Query(ge=1, le=50, description="How many top movers.")] = 5,
) -> Response:
    """Cost and margin by tenant and plan for the period, with the top movers (operators)."""
    first, last = _period(request, start, end, 30)
    await set_system_mode(session, True)
    model = CostModel.from_settings(request.app.state.runtime.settings)
    report = await costs_report(session, model, first, last, top=top)
    return json_response(CostsReport.model_validate(report))


@usage_router.get("/usage", response_model=UsageRead, operation_id="get_usage")
async def get_usage(
    org_id: uuid.UUID, request: Request, auth: ReadBilling, session: DbSession,
    start: Annotated[date | None, Query(description="First day (default: 1st of month).")]
    = None,
    end: Annotated[date | None, Query(description="Last day, inclusive (default: today).")]
    = None,
) -> Response:
    """The organization's metered usage per day and meter, and its quotas' use."""
    runtime = request.app.state.runtime
    now = runtime.clock.now()
    if start is None and end is None:
        start = now.date().replace(day=1)
    first, last = _period(request, start, end, 31)
    state = await load_plan_state(session, auth.organization_id, clock=runtime.clock)
    quotas = {name: QuotaRead(limit=q.limit, used=q.used, resets_at=q.resets_at)
              for name, q in (await all_quotas(session, state, now)).items()}
    stmt = scope_to_tenant(select(UsageDaily), UsageDaily, auth).where(
        UsageDaily.day >= first, UsageDaily.day <= last
    ).order_by(UsageDaily.day, UsageDaily.meter, UsageDaily.dimension)
    rows = list((await session.scalars(stmt)).all())
    totals: dict[str, float] = {}
    for row in rows:
        totals[row.meter] = totals.get(row.meter, 0.0) + row.amount
    read = UsageRead(
        organization_id=auth.organization_id, plan=state.plan, quotas=quotas,
        start=first.isoformat(), end=last.isoformat(),
        meters=[UsageMeterRead(day=r.day.isoformat(), meter=r.meter, dimension=r.dimension,
                               amount=r.amount) for r in rows],
        totals=totals,
    )
    return json_response(read)


routers: list[APIRouter] = [admin_router, usage_router]
