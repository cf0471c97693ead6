"""Bodies of the usage and costs endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from brain.billing.schemas import QuotaRead
from brain.core.schemas import ResponseModel, StrId, UTCTimestamp


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


class TenantSeats(ResponseModel):
    included: int
    used: int = Field(description="Members of the organization.")
    max: int | None = Field(description="None: unlimited.")


class AdminOrganizationRead(ResponseModel):
    """One tenant in the operators' console: plan, status, seats, this month's usage and
    what it cost and earned month to date."""

    id: StrId
    name: str
    slug: str
    plan: str
    status: str = Field(description="The billing status the product acts on (trialing, "
                        "active, past_due, restricted, canceled, paused, incomplete).")
    read_only: bool
    created_at: UTCTimestamp
    deleted_at: UTCTimestamp | None
    seats: TenantSeats
    events_this_month: QuotaRead = Field(description="Events ingested this month against "
                                         "the plan's limit (operator overrides applied).")
    usage_this_month: dict[str, float] = Field(description="Metered usage per meter, month "
                                               "to date.")
    cost_usd: float = Field(description="Platform cost month to date (the cost model).")
    revenue_usd: float | None = Field(description="What the plan pays for the days so far "
                                      "this month (None: custom-priced Enterprise).")
    margin_usd: float | None
