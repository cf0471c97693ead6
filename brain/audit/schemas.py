"""Audit trail responses."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from brain.core.schemas import ResponseModel, StrId, UTCTimestamp


class AuditEventRead(ResponseModel):
    """Who did what to what, from where, with which outcome."""

    id: StrId
    created_at: UTCTimestamp
    action: str = Field(description="e.g. `auth.login`, `member.role_change`, `api_key.create`.")
    outcome: str = Field(description="success | failure | denied")
    actor_type: str = Field(description="user | api_key | system | anonymous")
    actor_id: StrId | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]
