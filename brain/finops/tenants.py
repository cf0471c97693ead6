"""The operators' tenant list: for a page of organizations, their billing status, seats,
this month's usage and events against the plan, and cost, revenue and margin month to date
(a fixed number of queries per page, whatever its size)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import Quota, plan_spec
from brain.billing.entitlements import READ_ONLY_STATUSES, effective_status
from brain.billing.models import BillingAccount, PlanOverride, QuotaUsage
from brain.billing.quotas import period_bounds
from brain.finops.costs import CostModel, cost_by_tenant, plan_revenue
from brain.finops.models import UsageDaily
from brain.organizations.models import Membership, Organization


async def _members(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    stmt = (select(Membership.organization_id, func.count(Membership.id))
            .where(Membership.organization_id.in_(ids)).group_by(Membership.organization_id))
    return {org: int(n) for org, n in (await session.execute(stmt)).all()}


async def _events_limits(
    session: AsyncSession, orgs: Sequence[Organization], now: datetime
) -> dict[uuid.UUID, int | None]:
    """Each organization's `events_per_month` limit: the plan's, or the newest unexpired
    operator override's."""
    limits = {org.id: plan_spec(org.plan).quota(Quota.events_per_month) for org in orgs}
    stmt = (select(PlanOverride.organization_id, PlanOverride.value)
            .where(PlanOverride.organization_id.in_(list(limits)),
                   PlanOverride.kind == "quota",
                   PlanOverride.key == Quota.events_per_month.value,
                   PlanOverride.expires_at > now, PlanOverride.revoked_at.is_(None))
            .order_by(PlanOverride.created_at, PlanOverride.id))
    for org_id, value in (await session.execute(stmt)).all():
        limits[org_id] = value
    return limits


async def tenant_summaries(
    session: AsyncSession, orgs: Sequence[Organization], *, now: datetime, model: CostModel,
) -> list[dict[str, Any]]:
    """The console row of each organization in `orgs` (a system-mode session)."""
    if not orgs:
        return []
    ids = [org.id for org in orgs]
    start, resets_at = period_bounds("month", now)
    first, today = start.date(), now.date()
    days = (today - first).days + 1
    members = await _members(session, ids)
    accounts = {a.organization_id: a for a in (await session.scalars(
        select(BillingAccount).where(BillingAccount.organization_id.in_(ids))
    )).all()}
    usage: dict[uuid.UUID, dict[str, float]] = defaultdict(dict)
    for org_id, meter, amount in (await session.execute(
        select(UsageDaily.organization_id, UsageDaily.meter, func.sum(UsageDaily.amount))
        .where(UsageDaily.organization_id.in_(ids), UsageDaily.day >= first,
               UsageDaily.day <= today)
        .group_by(UsageDaily.organization_id, UsageDaily.meter)
    )).all():
        usage[org_id][meter] = float(amount or 0.0)
    events_used = {org_id: int(used) for org_id, used in (await session.execute(
        select(QuotaUsage.organization_id, QuotaUsage.used)
        .where(QuotaUsage.organization_id.in_(ids),
               QuotaUsage.quota == Quota.events_per_month.value,
               QuotaUsage.period_start == first)
    )).all()}
    limits = await _events_limits(session, orgs, now)
    costs = await cost_by_tenant(session, model, first, today, organization_ids=ids)
    rows: list[dict[str, Any]] = []
    for org in orgs:
        spec = plan_spec(org.plan)
        status = effective_status(accounts.get(org.id), org.plan, now)
        cost = round(sum(costs.get(org.id, {}).values()), 6)
        revenue = plan_revenue(org.plan, days)
        rows.append({
            "id": org.id, "name": org.name, "slug": org.slug, "plan": org.plan,
            "status": status, "read_only": status in READ_ONLY_STATUSES,
            "created_at": org.created_at, "deleted_at": org.deleted_at,
            "seats": {"included": spec.included_seats, "used": members.get(org.id, 0),
                      "max": spec.max_seats},
            "events_this_month": {"limit": limits.get(org.id), "used": events_used.get(org.id, 0),
                                  "resets_at": resets_at},
            "usage_this_month": {m: round(v, 6) for m, v in sorted(usage[org.id].items())},
            "cost_usd": cost,
            "revenue_usd": None if revenue is None else round(revenue, 6),
            "margin_usd": None if revenue is None else round(revenue - cost, 6),
        })
    return rows
