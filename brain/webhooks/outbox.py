"""The transactional outbox: producers write events in their own transaction, so an event
exists exactly when the change it describes was committed; the dispatcher later fans each
event out to the subscribed endpoints as deliveries (both steps are state in the database,
so nothing is lost when a worker dies in between)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import utcnow, uuid7
from brain.webhooks.events import EVENT_TYPES
from brain.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


async def enqueue_event(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    now: datetime | None = None,
) -> None:
    """Record `event_type` for the organization's webhook subscribers in the caller's
    transaction (it is sent only if that transaction commits). Never commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    session.add(WebhookEvent(
        id=uuid7(), organization_id=organization_id, event_type=event_type,
        payload=payload, created_at=now or utcnow(),
    ))
    await session.flush()


def subscribes(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """`webhook.test` goes only where asked for; other types to subscribed endpoints."""
    return event_type != "webhook.test" and event_type in (endpoint.events or [])


def new_delivery(event: WebhookEvent, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        id=uuid7(), organization_id=event.organization_id, endpoint_id=endpoint.id,
        event_id=event.id, event_type=event.event_type, status="pending",
        attempt_count=0, next_attempt_at=now, created_at=now,
    )


async def fan_out(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Turn up to `limit` undispatched events into deliveries (system-mode session; the
    caller commits). Rows are locked (SKIP LOCKED on PostgreSQL) so two dispatchers never
    fan out the same event twice. Returns the number of events handled."""
    stmt = (
        select(WebhookEvent)
        .where(WebhookEvent.dispatched_at.is_(None))
        .order_by(WebhookEvent.created_at, WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    events = list((await session.scalars(stmt)).all())
    if not events:
        return 0
    org_ids = {event.organization_id for event in events}
    endpoints = (await session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id.in_(org_ids),
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
    )).all()
    by_org: dict[uuid.UUID, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_org.setdefault(endpoint.organization_id, []).append(endpoint)
    for event in events:
        for endpoint in by_org.get(event.organization_id, []):
            if subscribes(endpoint, event.event_type):
                session.add(new_delivery(event, endpoint, now))
    await session.flush()
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id.in_([event.id for event in events]))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(events)
