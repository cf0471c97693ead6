"""Integration events reach the outbound-webhook outbox and every subscribed hook."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.integrations import events
from brain.webhooks.models import WebhookEvent
from tests.factories import Tenant


async def test_emit_writes_the_outbox_and_calls_hooks(db: AsyncSession, tenant: Tenant) -> None:
    seen: list[tuple[uuid.UUID, str, dict[str, Any]]] = []

    async def hook(session: AsyncSession, org: uuid.UUID, type_: str,
                   payload: dict[str, Any]) -> None:
        seen.append((org, type_, payload))

    events.subscribe(hook)
    try:
        await events.emit(db, tenant.id, events.SYNC_COMPLETED, {"sync_id": "s-1"})
    finally:
        events.unsubscribe(hook)
    assert seen == [(tenant.id, "sync.completed", {"sync_id": "s-1"})]
    stored = (await db.scalars(select(WebhookEvent).where(
        WebhookEvent.organization_id == tenant.id))).all()
    assert [(e.event_type, e.payload) for e in stored] == [
        ("sync.completed", {"sync_id": "s-1"})
    ]
