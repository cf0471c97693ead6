"""Billing jobs: the daily dunning/trial sweep, seat sync with Stripe, and the sweep that
emails notices no request could send (quota warnings counted from jobs)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from brain.billing.catalog import TRIAL_DAYS
from brain.billing.entitlements import evict_plan_state, load_plan_state
from brain.billing.models import BillingAccount, BillingNotification
from brain.billing.notifications import SEND_EMAILS_JOB, notify, send_notification_emails
from brain.billing.service import get_account, stripe_configured, sync_seats
from brain.billing.stripe_gateway import StripeGateway
from brain.core.db import system_session
from brain.core.jobs import job
from brain.core.runtime import Runtime
from brain.organizations.models import Organization

DUNNING_JOB = "billing.apply_dunning"
SYNC_SEATS_JOB = "billing.sync_seats"


@job(DUNNING_JOB)
async def apply_dunning(runtime: Runtime) -> None:
    """Past-due accounts whose grace period ended, and trials that ended without a
    subscription, become `restricted` (read-only; data kept), with a notice each."""
    now = runtime.clock.now()
    restricted: list[uuid.UUID] = []
    async with system_session(runtime.session_factory) as session:
        overdue = (await session.scalars(select(BillingAccount).where(
            BillingAccount.status == "past_due", BillingAccount.grace_ends_at <= now
        ))).all()
        for account in overdue:
            account.status = "restricted"
            restricted.append(account.organization_id)
            await notify(session, account.organization_id, kind="billing.restricted",
                         title="Your organization is read-only",
                         body="The overdue invoice is still unpaid, so the organization is "
                              "read-only. Pay it in the billing portal to continue; nothing "
                              "was deleted.",
                         dedupe_key=f"restricted:{account.past_due_since}", now=now,
                         severity="critical")
        trials = (await session.scalars(select(Organization).where(
            Organization.plan == "trial", Organization.deleted_at.is_(None)
        ))).all()
        for org in trials:
            trial_account = await get_account(session, org.id, create=True, now=now)
            assert trial_account is not None
            state = await load_plan_state(session, org.id, clock=runtime.clock)
            ends = state.trial_ends_at or (org.created_at + timedelta(days=TRIAL_DAYS))
            if (trial_account.status == "trialing" and ends <= now
                    and not trial_account.stripe_subscription_id):
                trial_account.status = "restricted"
                restricted.append(org.id)
                await notify(session, org.id, kind="billing.trial_ended",
                             title="Your trial has ended",
                             body="Choose a plan to keep using Brain. Until then the "
                                  "organization is read-only; nothing was deleted.",
                             dedupe_key=f"trial_ended:{ends.date().isoformat()}", now=now,
                             severity="critical")
    for organization_id in restricted:
        await evict_plan_state(runtime.cache, organization_id)
        await send_notification_emails(runtime, organization_id=str(organization_id))


@job(SYNC_SEATS_JOB)
async def sync_seats_job(runtime: Runtime, *, organization_id: str) -> None:
    """Keep the Stripe seat quantity equal to the billable members (after member changes)."""
    if not stripe_configured(runtime.settings):
        return
    gateway = StripeGateway(runtime.settings)
    async with system_session(runtime.session_factory) as session:
        await sync_seats(session, gateway, uuid.UUID(organization_id))


@job("billing.email_pending_notices")
async def email_pending_notices(runtime: Runtime) -> None:
    """Email every organization's notices not emailed yet (those raised from jobs)."""
    async with system_session(runtime.session_factory) as session:
        org_ids = set((await session.scalars(
            select(BillingNotification.organization_id).where(
                BillingNotification.emailed_at.is_(None)
            )
        )).all())
    for organization_id in org_ids:
        await send_notification_emails(runtime, organization_id=str(organization_id))


__all__ = ["SEND_EMAILS_JOB", "apply_dunning", "email_pending_notices", "sync_seats_job"]
