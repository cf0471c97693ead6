"""Queries of the audit trail (scoped to the caller's organization, like every tenant query)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select

from brain.audit.models import AuditEvent
from brain.core.pagination import SortOptions
from brain.core.tenancy import TenantRepository

# Newest first by default.
AUDIT_SORT = SortOptions(AuditEvent.id, "-created_at", created_at=AuditEvent.created_at)


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    outcome: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


class AuditRepository(TenantRepository[AuditEvent]):
    model = AuditEvent
    label = "Audit event"

    def list_statement(self, filters: AuditFilters) -> Select[AuditEvent]:
        stmt = self.select()
        if filters.action is not None:
            stmt = stmt.where(AuditEvent.action == filters.action)
        if filters.actor_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
        if filters.target_type is not None:
            stmt = stmt.where(AuditEvent.target_type == filters.target_type)
        if filters.target_id is not None:
            stmt = stmt.where(AuditEvent.target_id == filters.target_id)
        if filters.outcome is not None:
            stmt = stmt.where(AuditEvent.outcome == filters.outcome)
        if filters.created_after is not None:
            stmt = stmt.where(AuditEvent.created_at >= filters.created_after)
        if filters.created_before is not None:
            stmt = stmt.where(AuditEvent.created_at < filters.created_before)
        return stmt
