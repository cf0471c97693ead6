"""Operators' endpoints (`/api/v1/admin/*`, platform operators only; 403
`operator-required` for everyone else, tenant owners and API keys included): an
organization's plan overrides (list, add, revoke — audited, as `brain orgs override` does),
and the inbound and outbound webhook dead letters of every tenant (list, replay)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from brain.audit.service import record_audit
from brain.billing.entitlements import evict_plan_state
from brain.billing.models import PlanOverride
from brain.billing.operators import Operator
from brain.billing.overrides import (
    OverrideError,
    add_override,
    build_override,
    revoke_override,
)
from brain.billing.schemas import AdminDeadLetterRead, OverrideCreate, OverrideRead
from brain.core.auth import AuthContext, SubjectType
from brain.core.db import set_system_mode
from brain.core.deps import DbSession, request_jobs
from brain.core.errors import NotFound, ProblemError
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page
from brain.identity.models import User
from brain.organizations.actor import Actor
from brain.organizations.models import Organization
from brain.organizations.permissions import Role, permissions_for
from brain.warehouse.router_common import created, no_content
from brain.webhooks.models import WebhookDeadLetter

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Paging = Annotated[PageParams, Depends(page_params)]
OVERRIDE_SORT = SortOptions(PlanOverride.id, "-created_at", created_at=PlanOverride.created_at,
                            expires_at=PlanOverride.expires_at)
DEAD_LETTER_SORT = SortOptions(WebhookDeadLetter.id, "-created_at",
                               created_at=WebhookDeadLetter.created_at)
# `OverrideError.field` -> where the input is in the request body.
_FIELDS = {"kind": "kind", "key": "key", "value": "value", "until": "expires_at",
           "reason": "reason"}
# The CLI's wording names its options; the API names the body's members.
_HTTP_MESSAGES = {"until": "expires_at must be in the future.",
                  "reason": "reason must be 3-500 characters (after trimming)."}


async def _operator_name(session: AsyncSession, operator: uuid.UUID) -> str:
    email = await session.scalar(select(User.email).where(User.id == operator))
    return f"operator:{email or operator}"


async def _organization(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    await set_system_mode(session, True)
    org = await session.get(Organization, org_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    return org


def _override_read(override: PlanOverride, now: datetime) -> OverrideRead:
    return OverrideRead(
        id=override.id, organization_id=override.organization_id, kind=override.kind,
        key=override.key, value=override.value, expires_at=override.expires_at,
        reason=override.reason, created_by=override.created_by, created_at=override.created_at,
        revoked_at=override.revoked_at,
        active=override.revoked_at is None and override.expires_at > now,
    )


def _invalid(exc: OverrideError) -> ProblemError:
    field = _FIELDS.get(exc.field or "")
    if field is None:
        return ProblemError(409, str(exc))
    message = _HTTP_MESSAGES.get(exc.field or "", str(exc))
    return ProblemError(422, message, errors=[{"loc": ["body", field], "message": message}])


def _expiry(value: datetime, now: datetime) -> datetime:
    """`expires_at` in UTC (no offset: UTC), in the future (422 otherwise)."""
    try:
        expires_at = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        expires_at = None
    if expires_at is None or expires_at <= now:
        raise ProblemError(422, "expires_at must be in the future.", errors=[
            {"loc": ["body", "expires_at"], "message": "Must be in the future."}])
    return expires_at


@router.get("/organizations/{org_id}/overrides", response_model=Page[OverrideRead],
            operation_id="list_plan_overrides")
async def list_plan_overrides(
    org_id: uuid.UUID, request: Request, operator: Operator, session: DbSession,
    params: Paging,
    active: Annotated[bool | None, Query(
        description="true: only overrides in force now; false: only expired or revoked ones."
    )] = None,
) -> Response:
    """The organization's plan overrides, newest first (expired and revoked ones included
    unless `active` says otherwise)."""
    await _organization(session, org_id)
    now: datetime = request.app.state.runtime.clock.now()
    stmt = select(PlanOverride).where(PlanOverride.organization_id == org_id)
    in_force = (PlanOverride.revoked_at.is_(None)) & (PlanOverride.expires_at > now)
    if active is True:
        stmt = stmt.where(in_force)
    elif active is False:
        stmt = stmt.where(~in_force)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=OVERRIDE_SORT)
    page = Page[OverrideRead](data=[_override_read(r, now) for r in rows], next_cursor=cursor,
                              has_more=cursor is not None)
    return page_response(request, page)


@router.post("/organizations/{org_id}/overrides", response_model=OverrideRead,
             status_code=201, operation_id="create_plan_override",
             responses={409: {"description": "The organization cannot take the override."}})
async def create_plan_override(
    org_id: uuid.UUID, body: OverrideCreate, request: Request, operator: Operator,
    session: DbSession,
) -> Response:
    """Raise or lower a quota, turn a module or feature on, or extend the trial until
    `expires_at`, with a reason. Effective at once; audited (`billing.override_added`)."""
    await _organization(session, org_id)
    runtime = request.app.state.runtime
    expires_at = _expiry(body.expires_at, runtime.clock.now())
    try:
        spec = build_override(body.kind, body.key, body.value)
        override = await add_override(
            session, org_id, spec, until=expires_at, reason=body.reason,
            actor=await _operator_name(session, operator), actor_id=operator,
            clock=runtime.clock,
        )
    except OverrideError as exc:
        raise _invalid(exc) from exc
    await _evict(request, org_id)
    return created(_override_read(override, runtime.clock.now()),
                   f"/api/v1/admin/organizations/{org_id}/overrides/{override.id}")


@router.delete("/organizations/{org_id}/overrides/{override_id}", status_code=204,
               operation_id="revoke_plan_override",
               responses={409: {"description": "The override already ended."}})
async def revoke_plan_override(
    org_id: uuid.UUID, override_id: uuid.UUID, request: Request, operator: Operator,
    session: DbSession,
) -> Response:
    """End an override now (it stays listed, with `revoked_at`); audited
    (`billing.override_revoked`)."""
    await _organization(session, org_id)
    runtime = request.app.state.runtime
    try:
        override = await revoke_override(
            session, org_id, override_id, actor=await _operator_name(session, operator),
            actor_id=operator, clock=runtime.clock,
        )
    except OverrideError as exc:
        raise _invalid(exc) from exc
    if override is None:
        raise NotFound("Override")
    await _evict(request, org_id)
    return no_content()


async def _evict(request: Request, org_id: uuid.UUID) -> None:
    """Forget the cached plan state now and again after commit (a request in between would
    cache the old one)."""
    cache = request.app.state.runtime.cache
    await evict_plan_state(cache, org_id)
    request_jobs(request).after_commit(partial(evict_plan_state, cache, org_id))


@router.get("/dead-letters", response_model=Page[AdminDeadLetterRead],
            operation_id="list_admin_dead_letters")
async def list_admin_dead_letters(
    request: Request, operator: Operator, session: DbSession, params: Paging,
    direction: Annotated[Literal["inbound", "outbound"] | None, Query(
        description="Only inbound (received) or outbound (delivered) messages.")] = None,
    organization_id: Annotated[uuid.UUID | None, Query(
        description="Only this organization's.")] = None,
    replayed: Annotated[bool | None, Query(
        description="true: only replayed ones; false: only those still waiting.")] = None,
) -> Response:
    """Webhook messages that exhausted their retries, in or out, across every tenant,
    newest first."""
    await set_system_mode(session, True)
    stmt = select(WebhookDeadLetter)
    if direction is not None:
        stmt = stmt.where(WebhookDeadLetter.direction == direction)
    if organization_id is not None:
        stmt = stmt.where(WebhookDeadLetter.organization_id == organization_id)
    if replayed is True:
        stmt = stmt.where(WebhookDeadLetter.replayed_at.is_not(None))
    elif replayed is False:
        stmt = stmt.where(WebhookDeadLetter.replayed_at.is_(None))
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=DEAD_LETTER_SORT)
    page = Page[AdminDeadLetterRead](
        data=[AdminDeadLetterRead.model_validate(r) for r in rows], next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


@router.post("/dead-letters/{dead_letter_id}/replay", response_model=AdminDeadLetterRead,
             status_code=202, operation_id="replay_admin_dead_letter",
             responses={409: {"description": "Already replayed, or its endpoint is "
                              "disabled."}})
async def replay_admin_dead_letter(
    dead_letter_id: uuid.UUID, request: Request, operator: Operator, session: DbSession,
) -> Response:
    """Send (outbound) or process (inbound) the message again with a fresh retry schedule,
    as the tenant's own replay does; audited in the tenant's trail and as an operator
    action."""
    from brain.webhooks.service import replay_dead_letter

    await set_system_mode(session, True)
    dead_letter = await session.get(WebhookDeadLetter, dead_letter_id)
    if dead_letter is None:
        raise NotFound("Dead letter")
    runtime = request.app.state.runtime
    # The operator acts inside the tenant with an admin's rights for this one replay.
    auth = AuthContext(organization_id=dead_letter.organization_id, role=Role.admin.value,
                       permissions=frozenset(permissions_for(Role.admin)),
                       subject_type=SubjectType.user, subject_id=operator)
    actor = Actor(auth=auth, clock=runtime.clock, cache=runtime.cache,
                  jobs=request_jobs(request), request=request)
    dead_letter = await replay_dead_letter(session, actor, dead_letter)
    await record_audit(
        session, clock=runtime.clock, action="platform.dead_letter_replayed",
        organization_id=dead_letter.organization_id, actor_type="operator",
        actor_id=operator, target_type="webhook_dead_letter", target_id=dead_letter.id,
        request=request, details={"direction": dead_letter.direction},
    )
    return json_response(AdminDeadLetterRead.model_validate(dead_letter), status_code=202)


routers: list[APIRouter] = [router]
