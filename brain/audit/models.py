"""The audit trail table (append-only: the application role may not update or delete)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, utcnow


class AuditEvent(IdMixin, Base):
    """Who did what to what, from where, with which outcome.

    `organization_id` is null for events outside any organization (e.g. a failed login for
    an unknown email); on PostgreSQL those rows are visible only to system code.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_created", "organization_id", "created_at", "id"),
        Index("ix_audit_events_org_action", "organization_id", "action", "created_at"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # e.g. "auth.login", "auth.mfa.challenge", "api_key.create", "member.role_change"
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20))  # success | failure | denied
    actor_type: Mapped[str] = mapped_column(String(20))  # user | api_key | system | anonymous
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    target_type: Mapped[str | None] = mapped_column(String(40), default=None)
    target_id: Mapped[str | None] = mapped_column(String(100), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(500), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
