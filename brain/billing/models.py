"""Billing tables: admin overrides, the subscription state, quota counters, in-app
notifications, invoices (tenant-owned) and processed Stripe events (platform-wide)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class PlanOverride(IdMixin, TenantMixin, TimestampMixin, Base):
    """An operator's exception to the plan: a quota raised, a module enabled or a trial
    extended, until `expires_at`, with the reason (audited)."""

    __tablename__ = "plan_overrides"
    __table_args__ = (
        Index("ix_plan_overrides_org_kind", "organization_id", "kind", "key", "expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(20))  # quota | module | feature | trial
    key: Mapped[str] = mapped_column(String(60))
    # A quota's new limit (NULL: unlimited); 1 for an enabled module; days for a trial.
    value: Mapped[int | None] = mapped_column(BigInteger, default=None)
    expires_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(320))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class BillingAccount(TimestampMixin, Base):
    """One organization's subscription state, as Stripe (or the local mode) last told it."""

    __tablename__ = "billing_accounts"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    # trialing | active | past_due | restricted | canceled | paused | incomplete
    status: Mapped[str] = mapped_column(String(20), default="trialing")
    trial_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), default=None,
                                                           unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(100), default=None)
    stripe_status: Mapped[str | None] = mapped_column(String(30), default=None)
    seat_quantity: Mapped[int] = mapped_column(default=0)
    current_period_end: Mapped[datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    past_due_since: Mapped[datetime | None] = mapped_column(default=None)
    grace_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    # `created` of the newest subscription event applied: older ones never overwrite it.
    subscription_event_created: Mapped[int] = mapped_column(BigInteger, default=0)
    next_invoice_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    next_invoice_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    next_invoice_at: Mapped[datetime | None] = mapped_column(default=None)


class QuotaUsage(IdMixin, TenantMixin, Base):
    """How much of a day/month quota an organization used in one period (the database
    counter; warnings are sent once per period)."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("organization_id", "quota", "period_start"),)

    quota: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date]
    used: Mapped[int] = mapped_column(BigInteger, default=0)
    warned_at: Mapped[datetime | None] = mapped_column(default=None)
    exhausted_at: Mapped[datetime | None] = mapped_column(default=None)


class BillingNotification(IdMixin, TenantMixin, Base):
    """An in-app notice (banner) for the organization; `dedupe_key` sends each one once."""

    __tablename__ = "billing_notifications"
    __table_args__ = (
        UniqueConstraint("organization_id", "dedupe_key"),
        Index("ix_billing_notifications_org_created", "organization_id", "created_at", "id"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10), default="info")  # info|warning|critical
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(default=None)
    dismissed_at: Mapped[datetime | None] = mapped_column(default=None)


class BillingInvoice(IdMixin, TenantMixin, TimestampMixin, Base):
    """An invoice as Stripe's webhooks described it (the invoices list reads these)."""

    __tablename__ = "billing_invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "stripe_invoice_id"),
        Index("ix_billing_invoices_org_created", "organization_id", "created_at", "id"),
    )

    stripe_invoice_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(30))
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    period_start: Mapped[datetime | None] = mapped_column(default=None)
    period_end: Mapped[datetime | None] = mapped_column(default=None)
    event_created: Mapped[int] = mapped_column(BigInteger, default=0)


class StripeEvent(Base):
    """A Stripe event already processed (deduplication by event id; platform-wide)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    created: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(40), default="processed")
