"""Applying verified Stripe webhook events to the organization's billing state.

Events are deduplicated by id (`stripe_events`) and may arrive in any order: a subscription
event older (by `created`) than the last one applied is recorded but changes nothing; an
invoice's payment only lifts a past-due state that started before it. The plan and status
follow the subscription: `past_due` starts a grace period (banner + email), after which the
organization is `restricted` (read-only); `canceled` keeps the data, read-only.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.models import BillingAccount, BillingInvoice, StripeEvent
from brain.billing.notifications import notify
from brain.billing.service import get_account
from brain.billing.stripe_gateway import plan_for_price
from brain.core.jobs import JobBuffer
from brain.organizations.models import Organization
from brain.settings import Settings

logger = logging.getLogger("brain.billing.stripe")

HANDLED_EVENTS = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_action_required",
    "invoice.upcoming",
    "invoice.finalized",
})
# Stripe subscription status -> the organization's billing status.
_STATUS = {
    "trialing": "trialing", "active": "active", "past_due": "past_due", "unpaid": "restricted",
    "canceled": "canceled", "incomplete": "incomplete", "incomplete_expired": "canceled",
    "paused": "paused",
}


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


class EventContext:
    def __init__(self, session: AsyncSession, settings: Settings, now: datetime,
                 jobs: JobBuffer | None) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.jobs = jobs
        self.touched: set[uuid.UUID] = set()


async def process_event(
    session: AsyncSession, event: dict[str, Any], *, settings: Settings, now: datetime,
    jobs: JobBuffer | None = None,
) -> tuple[str, set[uuid.UUID]]:
    """Apply one verified event (system-mode session). Returns the outcome (`processed`,
    `duplicate`, `stale`, `ignored`, `unmatched`) and the organizations it changed."""
    event_id = str(event["id"])
    if await session.get(StripeEvent, event_id) is not None:
        return "duplicate", set()
    record = StripeEvent(id=event_id, type=str(event["type"]), created=int(event["created"]),
                         received_at=now)
    session.add(record)
    await session.flush()
    ctx = EventContext(session, settings, now, jobs)
    event_type = str(event["type"])
    obj: dict[str, Any] = event["data"]["object"]
    if event_type not in HANDLED_EVENTS:
        outcome = "ignored"
    elif event_type == "checkout.session.completed":
        outcome = await _checkout_completed(ctx, obj)
    elif event_type.startswith("customer.subscription."):
        outcome = await _subscription_event(ctx, event_type, obj, int(event["created"]))
    else:
        outcome = await _invoice_event(ctx, event_type, obj, int(event["created"]))
    record.outcome = outcome
    await session.flush()
    return outcome, ctx.touched


async def _org_for(ctx: EventContext, obj: dict[str, Any]) -> BillingAccount | None:
    """The account an object belongs to: `metadata.organization_id` (set at Checkout), the
    Checkout's `client_reference_id`, else the Stripe customer id."""
    candidates = [(obj.get("metadata") or {}).get("organization_id"),
                  obj.get("client_reference_id")]
    parent = obj.get("parent") or {}
    sub_details = parent.get("subscription_details") or {}
    candidates.append((sub_details.get("metadata") or {}).get("organization_id"))
    for raw in candidates:
        if not raw:
            continue
        try:
            org_id = uuid.UUID(str(raw))
        except ValueError:
            continue
        org = await ctx.session.get(Organization, org_id)
        if org is not None:
            return await get_account(ctx.session, org_id, create=True, now=ctx.now)
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        found: BillingAccount | None = await ctx.session.scalar(
            select(BillingAccount).where(BillingAccount.stripe_customer_id == str(customer))
        )
        return found
    return None


async def _checkout_completed(ctx: EventContext, obj: dict[str, Any]) -> str:
    account = await _org_for(ctx, obj)
    if account is None:
        return "unmatched"
    if obj.get("customer") and account.stripe_customer_id is None:
        account.stripe_customer_id = str(obj["customer"])
    if obj.get("subscription") and not account.stripe_subscription_id:
        account.stripe_subscription_id = str(obj["subscription"])
    ctx.touched.add(account.organization_id)
    return "processed"


def _period_end(sub: dict[str, Any]) -> datetime | None:
    """Since API 2025-03-31 the period lives on the items; older payloads have it on top."""
    ends = [item.get("current_period_end") for item in (sub.get("items") or {}).get("data", [])]
    ends = [end for end in ends if end]
    return _ts(max(ends)) if ends else _ts(sub.get("current_period_end"))


def _plan_of(ctx: EventContext, sub: dict[str, Any]) -> tuple[str | None, int]:
    plan: str | None = None
    seats = 0
    for item in (sub.get("items") or {}).get("data", []):
        price_id = (item.get("price") or {}).get("id")
        mapped = plan_for_price(ctx.settings, price_id)
        if mapped is not None:
            plan = mapped
        elif price_id and price_id == ctx.settings.stripe_price_seat:
            seats = int(item.get("quantity") or 0)
    return plan, seats


async def _subscription_event(
    ctx: EventContext, event_type: str, sub: dict[str, Any], created: int
) -> str:
    account = await _org_for(ctx, sub)
    if account is None:
        return "unmatched"
    sub_id = str(sub["id"])
    if (account.stripe_subscription_id and account.stripe_subscription_id != sub_id
            and account.status not in ("canceled",) and event_type.endswith(".deleted")):
        return "stale"  # an older subscription ending does not end the current one
    if created < account.subscription_event_created:
        return "stale"
    if event_type.endswith("trial_will_end"):
        trial_end = _ts(sub.get("trial_end"))
        await notify(
            ctx.session, account.organization_id, kind="billing.trial_will_end",
            title="Your trial ends soon",
            body=(f"The trial ends on {trial_end:%Y-%m-%d}. Add a payment method in the billing "
                  "portal to keep every feature." if trial_end else
                  "The trial ends soon. Add a payment method in the billing portal."),
            dedupe_key=f"trial_will_end:{sub_id}:{sub.get('trial_end')}", now=ctx.now,
            severity="warning", jobs=ctx.jobs,
        )
    account.subscription_event_created = created
    account.stripe_subscription_id = sub_id
    if sub.get("customer") and account.stripe_customer_id is None:
        account.stripe_customer_id = str(sub["customer"])
    stripe_status = "canceled" if event_type.endswith(".deleted") else str(sub.get("status"))
    account.stripe_status = stripe_status
    account.current_period_end = _period_end(sub)
    account.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    account.trial_ends_at = _ts(sub.get("trial_end")) or account.trial_ends_at
    plan, seats = _plan_of(ctx, sub)
    account.seat_quantity = seats
    await _set_status(ctx, account, _STATUS.get(stripe_status, "active"), since=created)
    if plan is not None:
        org = await ctx.session.get(Organization, account.organization_id)
        if org is not None and org.plan != plan:
            org.plan = plan
    ctx.touched.add(account.organization_id)
    return "processed"


async def _set_status(ctx: EventContext, account: BillingAccount, status: str,
                      *, since: int) -> None:
    previous = account.status
    if status == "past_due":
        if previous != "past_due" or account.past_due_since is None:
            account.past_due_since = _ts(since)
            account.grace_ends_at = ctx.now + timedelta(days=ctx.settings.billing_grace_days)
            grace = account.grace_ends_at
            await notify(
                ctx.session, account.organization_id, kind="billing.past_due",
                title="Payment failed: update your card",
                body=(f"We could not charge your card. Brain keeps working until "
                      f"{grace:%Y-%m-%d}; after that the organization becomes read-only until "
                      "the invoice is paid. Nothing is deleted."),
                dedupe_key=f"past_due:{since}", now=ctx.now, severity="critical",
                data={"grace_ends_at": grace.isoformat()}, jobs=ctx.jobs,
            )
    elif status in ("active", "trialing"):
        account.past_due_since = None
        account.grace_ends_at = None
    elif status == "canceled" and previous != "canceled":
        await notify(
            ctx.session, account.organization_id, kind="billing.canceled",
            title="Subscription canceled",
            body="The subscription ended. The organization is read-only; its data is kept for "
                 "the retention period. Subscribe again to continue.",
            dedupe_key=f"canceled:{since}", now=ctx.now, severity="critical", jobs=ctx.jobs,
        )
    account.status = status


def _invoice_subscription(inv: dict[str, Any]) -> str | None:
    parent = inv.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = details.get("subscription") or inv.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return str(sub) if sub else None


async def _store_invoice(ctx: EventContext, account: BillingAccount, inv: dict[str, Any],
                         created: int) -> bool:
    """Record the invoice's state; False when a newer state of it was already recorded."""
    if not inv.get("id"):
        return True
    row: BillingInvoice | None = await ctx.session.scalar(
        select(BillingInvoice).where(
            BillingInvoice.organization_id == account.organization_id,
            BillingInvoice.stripe_invoice_id == str(inv["id"]),
        )
    )
    if row is None:
        row = BillingInvoice(organization_id=account.organization_id,
                             stripe_invoice_id=str(inv["id"]), event_created=0,
                             status=str(inv.get("status") or "draft"))
        ctx.session.add(row)
    elif created < row.event_created:
        return False  # an older state of the invoice arrived late
    row.event_created = created
    row.status = str(inv.get("status") or row.status)
    row.number = inv.get("number") or row.number
    row.amount_due = int(inv.get("amount_due") or 0)
    row.amount_paid = int(inv.get("amount_paid") or 0)
    row.currency = str(inv.get("currency") or "usd")[:3]
    row.hosted_invoice_url = inv.get("hosted_invoice_url") or row.hosted_invoice_url
    row.period_start = _ts(inv.get("period_start"))
    row.period_end = _ts(inv.get("period_end"))
    await ctx.session.flush()
    return True


async def _invoice_event(
    ctx: EventContext, event_type: str, inv: dict[str, Any], created: int
) -> str:
    account = await _org_for(ctx, inv)
    if account is None:
        return "unmatched"
    ctx.touched.add(account.organization_id)
    kind = event_type.removeprefix("invoice.")
    if kind == "upcoming":
        account.next_invoice_amount = int(inv.get("amount_due") or 0)
        account.next_invoice_currency = str(inv.get("currency") or "usd")[:3]
        account.next_invoice_at = _ts(inv.get("next_payment_attempt") or inv.get("period_end"))
        return "processed"
    if not await _store_invoice(ctx, account, inv, created):
        return "stale"
    current_sub = _invoice_subscription(inv)
    ours = current_sub is None or current_sub == account.stripe_subscription_id
    if kind == "paid" and ours and account.status in ("past_due", "restricted"):
        since = account.past_due_since
        if since is None or created >= int(since.timestamp()):
            await _set_status(ctx, account, "active", since=created)
            return "processed"
        return "stale"
    if kind == "payment_failed" and ours and account.status in ("active", "trialing"):
        await _set_status(ctx, account, "past_due", since=created)
    if kind == "payment_action_required":
        await notify(
            ctx.session, account.organization_id, kind="billing.action_required",
            title="Confirm your payment",
            body="Your bank asks you to confirm the latest payment. Open the invoice to "
                 "authenticate it.",
            dedupe_key=f"action_required:{inv.get('id')}", now=ctx.now, severity="warning",
            data={"hosted_invoice_url": inv.get("hosted_invoice_url")}, jobs=ctx.jobs,
        )
    return "processed"
