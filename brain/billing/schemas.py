"""Bodies of the plan, billing and usage endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from brain.core.sanitize import clean_text
from brain.core.schemas import RequestModel, ResponseModel, StrId, UTCTimestamp

PurchasablePlan = Literal["starter", "growth", "scale", "enterprise"]


class SeatsRead(ResponseModel):
    included: int
    used: int = Field(description="Members of the organization.")
    max: int | None = Field(description="None: unlimited.")
    billable_extra: int = Field(description="Members above the included seats (billed).")


class QuotaRead(ResponseModel):
    limit: int | None = Field(description="None: unlimited.")
    used: int
    resets_at: UTCTimestamp


class EntitlementsRead(ResponseModel):
    modules: dict[str, bool] = Field(description="Each brain module: included or not.")
    features: dict[str, bool]
    max_integrations: int | None = Field(description="None: unlimited.")
    required_plan: dict[str, str] = Field(
        description="For each module or feature not included: the cheapest plan that has it."
    )


class PlanOverview(ResponseModel):
    organization_id: StrId
    plan: str
    status: str = Field(description="trialing, active, past_due, restricted, canceled, "
                        "paused or incomplete.")
    read_only: bool
    trial_ends_at: UTCTimestamp | None
    seats: SeatsRead
    entitlements: EntitlementsRead
    quotas: dict[str, QuotaRead]


class BannerRead(ResponseModel):
    id: StrId
    kind: str
    severity: str
    title: str
    body: str
    created_at: UTCTimestamp


class NextInvoiceRead(ResponseModel):
    amount: int = Field(description="In the currency's smallest unit (cents).")
    currency: str
    at: UTCTimestamp | None


class BillingRead(ResponseModel):
    mode: Literal["stripe", "local"] = Field(
        description="`local`: Stripe is not configured; plans change directly, nothing is "
        "charged."
    )
    plan: str
    status: str
    read_only: bool
    monthly_price_usd: int | None
    seats: SeatsRead
    trial_ends_at: UTCTimestamp | None
    grace_ends_at: UTCTimestamp | None
    current_period_end: UTCTimestamp | None
    cancel_at_period_end: bool
    next_invoice: NextInvoiceRead | None
    has_payment_account: bool
    banners: list[BannerRead]


class InvoiceRead(ResponseModel):
    id: StrId
    stripe_invoice_id: str
    number: str | None
    status: str
    amount_due: int
    amount_paid: int
    currency: str
    hosted_invoice_url: str | None
    period_start: UTCTimestamp | None
    period_end: UTCTimestamp | None
    created_at: UTCTimestamp


class CheckoutRequest(RequestModel):
    plan: PurchasablePlan
    success_path: str = Field("/settings/billing?checkout=success", max_length=200,
                              pattern=r"^/[A-Za-z0-9/_\-?=&.]*$")
    cancel_path: str = Field("/settings/billing?checkout=cancel", max_length=200,
                             pattern=r"^/[A-Za-z0-9/_\-?=&.]*$")


class CheckoutRead(ResponseModel):
    mode: Literal["stripe", "local"]
    plan: str
    url: str | None = Field(description="Redirect the browser here (Stripe mode).")
    session_id: str | None


class PortalRead(ResponseModel):
    url: str


class PlanPreviewRequest(RequestModel):
    plan: PurchasablePlan


class PlanPreviewRead(ResponseModel):
    plan: str
    amount_due: int = Field(description="The next invoice's total, in cents.")
    proration_amount: int = Field(description="The prorated part of it, in cents.")
    currency: str
    proration_date: int = Field(description="Send back with the change to be charged "
                                "exactly this.")
    seats: int


class UsageMeterRead(ResponseModel):
    day: str
    meter: str
    dimension: str
    amount: float


class UsageRead(ResponseModel):
    organization_id: StrId
    plan: str
    quotas: dict[str, QuotaRead]
    start: str
    end: str
    meters: list[UsageMeterRead]
    totals: dict[str, float]


# ---- operators: overrides and dead letters -------------------------------------------------

OverrideKind = Literal["quota", "module", "feature", "trial"]
Reason = Annotated[str, StringConstraints(max_length=500), AfterValidator(clean_text)]


class OverrideCreate(RequestModel):
    """An exception to the organization's plan until `expires_at` (audited)."""

    kind: OverrideKind = Field(description="quota: raise or lower a limit; module / feature: "
                               "turn one on; trial: extend the trial.")
    key: str = Field(min_length=1, max_length=60, pattern=r"^[a-z_]+$",
                     description="The quota (e.g. `api_requests_per_minute`), module (`voice`) "
                     "or feature (`sso_enforcement`); `trial` for a trial extension.")
    value: int | None = Field(
        default=None, ge=0, le=10**12,
        description="quota: the new limit (null: unlimited); module / feature: omit or 1; "
        "trial: the days added (1-365).",
    )
    expires_at: datetime = Field(description="When the override ends (RFC 3339; a time "
                                 "without an offset is UTC). Must be in the future.")
    reason: Reason = Field(min_length=3, description="Why (kept in the audit trail).")


class OverrideRead(ResponseModel):
    id: StrId
    organization_id: StrId
    kind: str
    key: str
    value: int | None
    expires_at: UTCTimestamp
    reason: str
    created_by: str
    created_at: UTCTimestamp
    revoked_at: UTCTimestamp | None
    active: bool = Field(description="Neither expired nor revoked: in force now.")


class AdminDeadLetterRead(ResponseModel):
    id: StrId
    organization_id: StrId
    direction: Literal["inbound", "outbound"]
    delivery_id: StrId | None
    inbound_event_id: StrId | None
    event_type: str
    attempts: int
    error: str
    created_at: UTCTimestamp
    replayed_at: UTCTimestamp | None
