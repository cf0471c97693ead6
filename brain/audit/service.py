"""Writing the audit trail (one call per security-relevant event)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.models import AuditEvent
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.core.db import BYPASS_INFO_KEY, set_system_mode
from brain.core.models import uuid7

# Keys never written into `details`, whatever a caller passes.
_SECRET_KEYS = {"password", "token", "secret", "code", "api_key", "client_secret", "otp"}


def request_origin(request: Request | None) -> tuple[str | None, str | None]:
    """The client's IP and user agent (bounded) for the audit row."""
    if request is None:
        return None, None
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    return (ip[:64] if ip else None), (agent[:500] if agent else None)


async def record_audit(
    session: AsyncSession,
    *,
    clock: Clock,
    action: str,
    outcome: str = "success",
    organization_id: uuid.UUID | None = None,
    actor: AuthContext | None = None,
    actor_type: str | None = None,
    actor_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    request: Request | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit event in the caller's transaction (rolled back with it)."""
    ip, agent = request_origin(request)
    safe_details = {
        k: v for k, v in (details or {}).items() if k.lower() not in _SECRET_KEYS
    }
    values = {
        "id": uuid7(),
        "organization_id": organization_id or (actor.organization_id if actor else None),
        "created_at": clock.now(),
        "action": action,
        "outcome": outcome,
        "actor_type": actor_type or (actor.subject_type.value if actor else "anonymous"),
        "actor_id": actor_id or (actor.subject_id if actor else None),
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "ip": ip,
        "user_agent": agent,
        "details": safe_details,
    }
    # Events may concern another organization than the request's (or none): write them in
    # system mode, then restore the session's mode.
    was_bypassing = bool(session.info.get(BYPASS_INFO_KEY))
    await set_system_mode(session, True)
    try:
        await session.execute(insert(AuditEvent).values(**values))
    finally:
        await set_system_mode(session, was_bypassing)
