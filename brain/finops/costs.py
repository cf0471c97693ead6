"""The cost model: unit prices (configuration) turn metered usage into dollars per tenant
per day; the operators' report compares that cost with what each plan pays.

Prices are $ per unit of the meter (see `brain.finops.metering`); a `meter:dimension` key
(e.g. `llm_tokens_out:gpt-4o`) beats the meter's default. `BRAIN_FINOPS_UNIT_PRICES` (JSON)
overrides any of them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import plan_spec
from brain.finops.models import UsageDaily
from brain.organizations.models import Organization
from brain.settings import Settings

DEFAULT_UNIT_PRICES: dict[str, float] = {
    "api_requests": 2e-6,  # $2 per million requests (compute + database share)
    "rows_ingested": 1e-6,
    "sync_minutes": 8e-4,  # one worker minute
    "brain_cpu_seconds": 0.05 / 3600,  # $0.05 per CPU hour
    "training_seconds": 0.05 / 3600,
    "llm_tokens_in": 5e-7,  # $0.50 per million tokens unless the model is priced below
    "llm_tokens_out": 1.5e-6,
    "llm_tokens_in:offline-echo-1": 0.0,
    "llm_tokens_out:offline-echo-1": 0.0,
    "storage_bytes": 0.023 / (1e9 * 30),  # $0.023 per GB-month, recorded as byte-days
    "emails_sent": 1e-4,
}
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class CostModel:
    prices: dict[str, float]

    @classmethod
    def from_settings(cls, settings: Settings) -> CostModel:
        return cls({**DEFAULT_UNIT_PRICES, **settings.finops_unit_prices})

    def unit_price(self, meter: str, dimension: str) -> float:
        if dimension and f"{meter}:{dimension}" in self.prices:
            return self.prices[f"{meter}:{dimension}"]
        return self.prices.get(meter, 0.0)

    def cost(self, meter: str, dimension: str, amount: float) -> float:
        return amount * self.unit_price(meter, dimension)


def plan_revenue(plan: str, days: int) -> float | None:
    """What the plan pays for `days` days (None: custom-priced Enterprise)."""
    price = plan_spec(plan).monthly_price_usd
    if plan == "trial":
        return 0.0
    return None if price is None else price * days / DAYS_PER_MONTH


async def cost_by_tenant(
    session: AsyncSession, model: CostModel, start: date, end: date,
    organization_id: uuid.UUID | None = None,
    organization_ids: Collection[uuid.UUID] | None = None,
) -> dict[uuid.UUID, dict[str, float]]:
    """{org: {meter: $}} for days in [start, end] (system-mode session for all tenants),
    optionally only for one organization or a few."""
    stmt = select(UsageDaily.organization_id, UsageDaily.meter, UsageDaily.dimension,
                  UsageDaily.amount).where(UsageDaily.day >= start, UsageDaily.day <= end)
    if organization_id is not None:
        stmt = stmt.where(UsageDaily.organization_id == organization_id)
    if organization_ids is not None:
        stmt = stmt.where(UsageDaily.organization_id.in_(list(organization_ids)))
    costs: dict[uuid.UUID, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for org_id, meter, dimension, amount in (await session.execute(stmt)).all():
        costs[org_id][meter] += model.cost(meter, dimension, float(amount))
    return {org: dict(meters) for org, meters in costs.items()}


async def costs_report(
    session: AsyncSession, model: CostModel, start: date, end: date, *, top: int = 5
) -> dict[str, Any]:
    """Cost and margin by tenant and plan for [start, end], and the tenants whose cost moved
    most against the previous period of the same length."""
    days = (end - start).days + 1
    current = await cost_by_tenant(session, model, start, end)
    previous = await cost_by_tenant(session, model, start - timedelta(days=days),
                                    start - timedelta(days=1))
    org_ids = set(current) | set(previous)
    orgs = {org.id: org for org in (await session.scalars(
        select(Organization).where(Organization.id.in_(org_ids))
    )).all()} if org_ids else {}
    tenants: list[dict[str, Any]] = []
    by_plan: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for org_id in sorted(current, key=lambda o: -sum(current[o].values())):
        org = orgs.get(org_id)
        plan = org.plan if org else "unknown"
        cost = round(sum(current[org_id].values()), 6)
        revenue = plan_revenue(plan, days)
        margin = None if revenue is None else round(revenue - cost, 6)
        tenants.append({
            "organization_id": str(org_id), "name": org.name if org else None, "plan": plan,
            "cost_usd": cost, "revenue_usd": revenue, "margin_usd": margin,
            "cost_share_of_price": (round(cost / revenue, 6) if revenue else None),
            "by_meter": {m: round(v, 6) for m, v in sorted(current[org_id].items())},
        })
        by_plan[plan]["cost_usd"] += cost
        by_plan[plan]["tenants"] += 1
        if revenue is not None:
            by_plan[plan]["revenue_usd"] += revenue
    movers: list[dict[str, Any]] = []
    for org_id in org_ids:
        now_cost = sum(current.get(org_id, {}).values())
        before = sum(previous.get(org_id, {}).values())
        movers.append({"organization_id": str(org_id),
                       "name": orgs[org_id].name if org_id in orgs else None,
                       "cost_usd": round(now_cost, 6), "previous_cost_usd": round(before, 6),
                       "change_usd": round(now_cost - before, 6)})
    movers.sort(key=lambda m: -abs(float(m["change_usd"])))
    plans_out = [{"plan": plan, "tenants": int(v["tenants"]),
                  "cost_usd": round(v["cost_usd"], 6),
                  "revenue_usd": round(v["revenue_usd"], 6),
                  "margin_usd": round(v["revenue_usd"] - v["cost_usd"], 6)}
                 for plan, v in sorted(by_plan.items())]
    total_cost = round(sum(t["cost_usd"] for t in tenants), 6)
    return {"start": start.isoformat(), "end": end.isoformat(), "days": days,
            "total_cost_usd": total_cost, "tenants": tenants, "plans": plans_out,
            "top_movers": movers[:top]}
