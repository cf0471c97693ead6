"""Integration events (`sync.completed`, `sync.failed`, `connection.needs_reauth`) for others.

`emit(session, organization_id, type, payload)` records the event in the caller's transaction:
it is written to the outbound-webhook outbox (`brain.webhooks.outbox.enqueue_event`) when that
module is installed, and handed to every hook registered with `subscribe` — a plain registry
other domains plug into without this module knowing them. Emitting never commits.

`notify_admins_needs_reauth` additionally emails the organization's admins and owners through
the email job (sent after the transaction commits).
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.jobs import JOB_REGISTRY
from brain.organizations.permissions import Role

logger = logging.getLogger("brain.integrations.events")

SYNC_COMPLETED = "sync.completed"
SYNC_FAILED = "sync.failed"
CONNECTION_NEEDS_REAUTH = "connection.needs_reauth"

EventHook = Callable[[AsyncSession, uuid.UUID, str, dict[str, Any]], Awaitable[None]]
_HOOKS: list[EventHook] = []


def subscribe(hook: EventHook) -> EventHook:
    """Register `hook(session, organization_id, type, payload)`, called inside `emit`."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def unsubscribe(hook: EventHook) -> None:
    if hook in _HOOKS:
        _HOOKS.remove(hook)


def _outbox() -> Callable[..., Awaitable[None]] | None:
    try:
        module = importlib.import_module("brain.webhooks.outbox")
    except ModuleNotFoundError:
        return None
    enqueue = getattr(module, "enqueue_event", None)
    return enqueue if callable(enqueue) else None


async def emit(
    session: AsyncSession, organization_id: uuid.UUID, type: str, payload: dict[str, Any]
) -> None:
    """Record an integration event in the caller's transaction (outbox + hooks)."""
    enqueue = _outbox()
    if enqueue is not None:
        await enqueue(session, organization_id, type, payload)
    for hook in list(_HOOKS):
        await hook(session, organization_id, type, payload)


async def admin_emails(session: AsyncSession, organization_id: uuid.UUID) -> list[str]:
    """E-mail addresses of the organization's owners and admins."""
    from brain.identity.models import User
    from brain.organizations.models import Membership

    rows = await session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.role.in_([Role.owner.value, Role.admin.value]),
        )
    )
    return sorted(set(rows.all()))


async def notify_admins_needs_reauth(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    connection_id: uuid.UUID,
    provider_name: str,
    reason: str,
    enqueue_job: Callable[..., None] | None,
) -> None:
    """Emit `connection.needs_reauth` and e-mail the admins (via `enqueue_job`, after commit)."""
    await emit(
        session,
        organization_id,
        CONNECTION_NEEDS_REAUTH,
        {"connection_id": str(connection_id), "provider": provider_name, "reason": reason},
    )
    if enqueue_job is None or "email.send" not in JOB_REGISTRY:
        return
    for email in await admin_emails(session, organization_id):
        enqueue_job(
            "email.send",
            to=email,
            template="notification",
            locale=None,
            context={
                "title": f"Reconnect {provider_name}",
                "body": (
                    f"Brain can no longer read your {provider_name} data ({reason}). "
                    "Open Integrations and reconnect the account to resume syncing."
                ),
            },
            idempotency_key=f"needs-reauth-{connection_id}-{email}",
        )
