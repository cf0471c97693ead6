"""Notices to an organization's admins: an in-app record (shown as a banner), an email to
owners and admins (sent by a job after commit), and an outbound webhook event. Each notice
has a dedupe key, so a warning for one period is sent once however often it is triggered."""

from __future__ import annotations

import importlib
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.models import BillingNotification
from brain.core.jobs import JobBuffer, job
from brain.core.runtime import Runtime
from brain.identity.models import User
from brain.organizations.models import Membership

logger = logging.getLogger("brain.billing.notifications")

SEND_EMAILS_JOB = "billing.send_notification_emails"


async def notify(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    body: str,
    dedupe_key: str,
    now: datetime,
    severity: str = "warning",
    data: dict[str, Any] | None = None,
    webhook_event: str | None = None,
    jobs: JobBuffer | None = None,
) -> bool:
    """Record the notice unless one with `dedupe_key` exists; True when it is new. The
    email leaves after commit (`jobs`) or with the next sweep; the webhook event is written
    to the outbound outbox in this transaction when that module is installed."""
    existing = await session.scalar(
        select(BillingNotification.id).where(
            BillingNotification.organization_id == organization_id,
            BillingNotification.dedupe_key == dedupe_key,
        )
    )
    if existing is not None:
        return False
    session.add(BillingNotification(
        organization_id=organization_id, kind=kind, severity=severity, title=title[:200],
        body=body[:2000], data=data or {}, dedupe_key=dedupe_key[:120], created_at=now,
    ))
    await session.flush()
    if webhook_event is not None:
        await _enqueue_webhook(session, organization_id, webhook_event, data or {}, now)
    if jobs is not None:
        jobs.enqueue(SEND_EMAILS_JOB, organization_id=str(organization_id))
    return True


async def _enqueue_webhook(
    session: AsyncSession, organization_id: uuid.UUID, event_type: str,
    payload: dict[str, Any], now: datetime,
) -> None:
    try:
        outbox = importlib.import_module("brain.webhooks.outbox")
    except ImportError:  # outbound webhooks not installed
        return
    try:
        await outbox.enqueue_event(session, organization_id, event_type, payload, now=now)
    except ValueError:
        logger.warning("outbound event type %s is not in the catalogue", event_type)


async def admin_recipients(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[tuple[str, str, str]]:
    """(email, name, locale) of the organization's owners and admins."""
    stmt = (
        select(User.email, User.name, User.locale)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id,
               Membership.role.in_(("owner", "admin")), User.deleted_at.is_(None))
        .order_by(User.email)
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(stmt)).all()]


@job(SEND_EMAILS_JOB)
async def send_notification_emails(runtime: Runtime, *, organization_id: str) -> None:
    """Email the organization's owners and admins every notice not emailed yet."""
    from brain.core.db import system_session
    from brain.core.email import send_email_now
    from brain.finops.metering import record_usage

    org_id = uuid.UUID(organization_id)
    async with system_session(runtime.session_factory) as session:
        pending = list((await session.scalars(
            select(BillingNotification).where(
                BillingNotification.organization_id == org_id,
                BillingNotification.emailed_at.is_(None),
            ).order_by(BillingNotification.created_at)
        )).all())
        if not pending:
            return
        recipients = await admin_recipients(session, org_id)
        for notice in pending:
            for email, name, locale in recipients:
                await send_email_now(
                    runtime, to=email, template="notification", locale=locale,
                    context={"title": notice.title, "body": notice.body,
                             "recipient_name": name},
                    delays=(),
                )
            await session.execute(
                update(BillingNotification).where(BillingNotification.id == notice.id)
                .values(emailed_at=runtime.clock.now())
            )
        if recipients:
            await record_usage(session, org_id, "emails_sent",
                               len(recipients) * len(pending), clock=runtime.clock)
