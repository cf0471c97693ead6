"""Bodies of the usage and costs endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class TenantCost(BaseModel):
    organization_id: str
    name: str | None
    plan: str
    cost_usd: float
    revenue_usd: float | None
    margin_usd: float | None
    cost_share_of_price: float | None
    by_meter: dict[str, float]


class PlanCost(BaseModel):
    plan: str
    tenants: int
    cost_usd: float
    revenue_usd: float
    margin_usd: float


class CostMover(BaseModel):
    organization_id: str
    name: str | None
    cost_usd: float
    previous_cost_usd: float
    change_usd: float


class CostsReport(BaseModel):
    start: str
    end: str
    days: int
    total_cost_usd: float
    tenants: list[TenantCost]
    plans: list[PlanCost]
    top_movers: list[CostMover]
