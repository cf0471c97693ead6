"""`GET /api/v1/admin/costs` and `GET /api/v1/admin/organizations` (platform operators),
and `GET …/usage` (a tenant's own usage against its quotas)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, or_, select
from starlette.responses import Response

from brain.billing.entitlements import load_plan_state
from brain.billing.operators import Operator
from brain.billing.quotas import all_quotas
from brain.billing.schemas import QuotaRead, UsageMeterRead, UsageRead
from brain.core.auth import AuthContext
from brain.core.db import set_system_mode
from brain.core.deps import Authorized, DbSession
from brain.core.errors import ProblemError
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page
from brain.core.tenancy import scope_to_tenant
from brain.finops.costs import CostModel, costs_report
from brain.finops.models import UsageDaily
from brain.finops.schemas import AdminOrganizationRead, CostsReport
from brain.finops.tenants import tenant_summaries
from brain.organizations.models import Organization
from brain.organizations.permissions import Permission

admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
usage_router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["billing"])
ReadBilling = Annotated[AuthContext, Authorized(Permission.billing_read)]
MAX_DAYS = 366
ORGANIZATION_SORT = SortOptions(Organization.id, "created_at",
                                created_at=Organization.created_at, name=Organization.name)
PlanName = Literal["trial", "starter", "growth", "scale", "enterprise"]


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


def _like(text: str) -> str:
    """A case-insensitive LIKE pattern matching `text` anywhere (its wildcards escaped)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@admin_router.get("/organizations", response_model=Page[AdminOrganizationRead],
                  operation_id="list_admin_organizations")
async def list_admin_organizations(
    request: Request, operator: Operator, session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    plan: Annotated[PlanName | None, Query(description="Only tenants on this plan.")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100,
                                   description="Name or slug contains this.")] = None,
    include_deleted: Annotated[bool, Query(
        description="Also organizations deleted and waiting for their purge.")] = False,
) -> Response:
    """Every tenant (operators): plan, billing status, seats used, this month's usage and
    events against the plan, and cost, revenue and margin month to date."""
    await set_system_mode(session, True)
    runtime = request.app.state.runtime
    stmt = select(Organization)
    if not include_deleted:
        stmt = stmt.where(Organization.deleted_at.is_(None))
    if plan is not None:
        stmt = stmt.where(Organization.plan == plan)
    if q is not None:
        pattern = _like(q)
        stmt = stmt.where(or_(func.lower(Organization.name).like(pattern, escape="\\"),
                              func.lower(Organization.slug).like(pattern, escape="\\")))
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=ORGANIZATION_SORT)
    summaries = await tenant_summaries(session, rows, now=runtime.clock.now(),
                                       model=CostModel.from_settings(runtime.settings))
    page = Page[AdminOrganizationRead](
        data=[AdminOrganizationRead.model_validate(s) for s in summaries], next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


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
