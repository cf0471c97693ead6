"""Billing actions: the organization's account row, Checkout, the portal, plan changes with
a proration preview, seat sync, and the local mode used when Stripe is not configured.

Services never commit; the request (or job) that calls them does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import TRIAL_DAYS, plan_spec
from brain.billing.models import BillingAccount, BillingNotification
from brain.billing.stripe_gateway import StripeGateway
from brain.core.errors import ProblemError
from brain.organizations.models import Membership, Organization
from brain.settings import Settings


def stripe_configured(settings: Settings) -> bool:
    return bool(settings.stripe_secret_key)


def billing_mode(settings: Settings) -> str:
    """`stripe`, or `local` (no Stripe key: plans change directly, nothing is charged)."""
    return "stripe" if stripe_configured(settings) else "local"


def not_configured() -> ProblemError:
    return ProblemError(
        409, "Billing runs in local mode (BRAIN_STRIPE_SECRET_KEY is not set): change the plan "
        "with POST …/plan; nothing is charged.", kind="billing-not-configured",
        extra={"billing_mode": "local"},
    )


async def get_account(
    session: AsyncSession, organization_id: uuid.UUID, *, create: bool = False,
    now: datetime | None = None,
) -> BillingAccount | None:
    """The organization's billing row; created on demand (a trial from the org's creation)."""
    account = await session.get(BillingAccount, organization_id)
    if account is None and create:
        org = await session.get(Organization, organization_id)
        if org is None:
            raise ProblemError(404, "Organization not found.")
        account = BillingAccount(
            organization_id=organization_id,
            status="trialing" if org.plan == "trial" else "active",
            trial_ends_at=(org.created_at + timedelta(days=TRIAL_DAYS)
                           if org.plan == "trial" else None),
            seat_quantity=0, cancel_at_period_end=False, subscription_event_created=0,
        )
        session.add(account)
        await session.flush()
    return account


async def count_members(session: AsyncSession, organization_id: uuid.UUID) -> int:
    stmt = select(func.count(Membership.id)).where(
        Membership.organization_id == organization_id
    )
    return int(await session.scalar(stmt) or 0)


async def billable_seats(session: AsyncSession, organization_id: uuid.UUID, plan: str) -> int:
    """Members above the plan's included seats (the seat item's quantity)."""
    members = await count_members(session, organization_id)
    return max(0, members - plan_spec(plan).included_seats)


@dataclass(frozen=True)
class CheckoutStarted:
    mode: str
    plan: str
    url: str | None
    session_id: str | None


async def start_checkout(
    session: AsyncSession, gateway: StripeGateway, org: Organization, *, plan: str,
    success_url: str, cancel_url: str, owner_email: str | None, now: datetime,
) -> CheckoutStarted:
    """A Checkout Session for the organization's first subscription (409 when it already
    has one: plan changes go through POST …/billing/change-plan)."""
    account = await get_account(session, org.id, create=True, now=now)
    assert account is not None
    if account.stripe_subscription_id and account.status not in ("canceled",):
        raise ProblemError(409, "The organization already has a subscription; change its plan "
                           "instead.", extra={"billing_status": account.status})
    if account.stripe_customer_id is None:
        account.stripe_customer_id = await gateway.create_customer(org.id, org.name,
                                                                   owner_email)
    trial_days = 0
    if org.plan == "trial" and account.trial_ends_at and account.trial_ends_at > now:
        trial_days = max(0, (account.trial_ends_at - now).days)
    seats = await billable_seats(session, org.id, plan)
    session_id, url = await gateway.create_checkout(
        organization_id=org.id, customer_id=account.stripe_customer_id, plan=plan, seats=seats,
        success_url=success_url, cancel_url=cancel_url, trial_days=trial_days,
    )
    await session.flush()
    return CheckoutStarted("stripe", plan, url, session_id)


def _require_subscription(account: BillingAccount | None) -> tuple[str, str]:
    if account is None or not account.stripe_subscription_id or not account.stripe_customer_id:
        raise ProblemError(409, "The organization has no Stripe subscription yet: start one "
                           "with POST …/billing/checkout.")
    return account.stripe_customer_id, account.stripe_subscription_id


async def preview_plan_change(
    session: AsyncSession, gateway: StripeGateway, organization_id: uuid.UUID, plan: str,
    now: datetime,
) -> dict[str, Any]:
    """The prorated amount of moving to `plan` now, and the `proration_date` to confirm
    with so the charge matches the preview."""
    customer_id, subscription_id = _require_subscription(
        await get_account(session, organization_id)
    )
    proration_date = int(now.timestamp())
    seats = await billable_seats(session, organization_id, plan)
    preview = await gateway.preview_change(
        customer_id=customer_id, subscription_id=subscription_id, plan=plan, seats=seats,
        proration_date=proration_date,
    )
    return {"plan": plan, "proration_date": proration_date, "seats": seats, **preview}


async def change_subscription_plan(
    session: AsyncSession, gateway: StripeGateway, organization_id: uuid.UUID, plan: str,
    proration_date: int | None,
) -> None:
    """Move the Stripe subscription to `plan` (prorated); the webhook confirms the state."""
    _, subscription_id = _require_subscription(await get_account(session, organization_id))
    seats = await billable_seats(session, organization_id, plan)
    await gateway.change_plan(subscription_id=subscription_id, plan=plan, seats=seats,
                              proration_date=proration_date)


async def sync_seats(
    session: AsyncSession, gateway: StripeGateway, organization_id: uuid.UUID
) -> int | None:
    """Set the subscription's seat quantity to the billable members; the quantity sent."""
    account = await get_account(session, organization_id)
    org = await session.get(Organization, organization_id)
    if account is None or org is None or not account.stripe_subscription_id:
        return None
    seats = await billable_seats(session, organization_id, org.plan)
    if seats != account.seat_quantity:
        await gateway.set_seats(subscription_id=account.stripe_subscription_id, plan=org.plan,
                                seats=seats)
        account.seat_quantity = seats
    return seats


async def banners(session: AsyncSession, organization_id: uuid.UUID,
                  limit: int = 5) -> list[BillingNotification]:
    """Undismissed warning/critical notices, newest first (shown as banners)."""
    stmt = (
        select(BillingNotification)
        .where(BillingNotification.organization_id == organization_id,
               BillingNotification.dismissed_at.is_(None),
               BillingNotification.severity.in_(("warning", "critical")))
        .order_by(BillingNotification.created_at.desc(), BillingNotification.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
