"""The audit trail endpoint."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime
from starlette.responses import Response

from brain.audit.repository import AUDIT_SORT, AuditFilters, AuditRepository
from brain.audit.schemas import AuditEventRead
from brain.core.auth import AuthContext
from brain.core.deps import Authorized, DbSession
from brain.core.errors import ProblemError
from brain.core.pagination import PageParams, page_params, paginate
from brain.core.schemas import Page
from brain.organizations.permissions import Permission
from brain.warehouse.router_common import page_of

router = APIRouter(prefix="/api/v1/organizations/{org_id}/audit-events", tags=["audit"])

ReadAudit = Annotated[AuthContext, Authorized(Permission.audit_read)]


@router.get("", response_model=Page[AuditEventRead], operation_id="list_audit_events")
async def list_audit_events(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadAudit,
    session: DbSession,
    params: PageParams = Depends(page_params),
    action: Annotated[str | None, Query(max_length=60, description="e.g. `member.remove`.")]
    = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="The user or API key.")] = None,
    target_type: Annotated[str | None, Query(max_length=40)] = None,
    target_id: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Annotated[Literal["success", "failure", "denied"] | None, Query()] = None,
    created_after: Annotated[
        AwareDatetime | None, Query(description="From this instant (inclusive, RFC 3339).")
    ] = None,
    created_before: Annotated[
        AwareDatetime | None, Query(description="Before this instant (exclusive, RFC 3339).")
    ] = None,
) -> Response:
    """The organization's audit events, newest first, with filters."""
    if created_after and created_before and created_after >= created_before:
        raise ProblemError(
            422, "created_after must be before created_before.",
            errors=[{"loc": ["query", "created_after"], "message": "Must be before "
                     "created_before."}],
        )
    filters = AuditFilters(
        action=action, actor_id=actor_id, target_type=target_type, target_id=target_id,
        outcome=outcome, created_after=created_after, created_before=created_before,
    )
    stmt = AuditRepository(session, auth).list_statement(filters)
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=AUDIT_SORT)
    return page_of(request, AuditEventRead, rows, cursor)
