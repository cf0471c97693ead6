"""CURIOSITY's actions: list them, accept or reject one (feedback CURIOSITY learns from),
and the budget what-if."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from starlette.responses import Response

from brain.billing.catalog import Module, Quota
from brain.billing.entitlements import require_entitlement
from brain.billing.gates import charge_quota
from brain.brain_modules.actions.service import ActionRepository, decide
from brain.brain_modules.actions.views import action_read
from brain.brain_modules.face.cache import invalidate_face
from brain.brain_modules.router_common import RunBrain, require_tenant_wide
from brain.brain_modules.runs.models import BrainAction, Decision
from brain.brain_modules.schemas import ActionDecision, ActionRead
from brain.core.deps import AppCache, DbSession, Jobs, ReadData, get_runtime
from brain.core.etag import check_if_match, etag_of_model
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page
from brain.warehouse.router_common import IfMatch

router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["curiosity"],
                   dependencies=[Depends(require_entitlement(Module.curiosity))])
ACTION_SORT = SortOptions(
    BrainAction.id, "rank", rank=BrainAction.rank, created_at=BrainAction.created_at,
    impact=BrainAction.impact_usd,
)
ActionStatusFilter = Literal["proposed", "accepted", "rejected", "superseded"]


@router.get("/actions", response_model=Page[ActionRead], operation_id="list_actions")
async def list_actions(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[
        ActionStatusFilter | None, Query(description="Default: the open (proposed) actions.")
    ] = "proposed",
) -> Response:
    """Actions, best first (`rank`); `status` filters (proposed by default)."""
    require_tenant_wide(auth)
    stmt = ActionRepository(session, auth).listing(status)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=ACTION_SORT)
    page = Page[ActionRead](data=[action_read(a) for a in rows], next_cursor=cursor,
                            has_more=cursor is not None)
    return page_response(request, page)


async def _decide(
    request: Request, auth: RunBrain, session: DbSession, cache: AppCache, jobs: Jobs,
    action_id: uuid.UUID, decision: Decision, body: ActionDecision | None,
    if_match: str | None,
) -> Response:
    require_tenant_wide(auth)
    action = await decide(
        session, auth, action_id=action_id, decision=decision,
        reason=body.reason if body else None, clock=get_runtime(request).clock,
        request=request, check=lambda a: check_if_match(if_match, action_read(a)),
    )
    read = action_read(action)
    org = auth.organization_id

    async def evict() -> None:
        await invalidate_face(cache, org)

    jobs.after_commit(evict)
    return json_response(read, headers={"ETag": etag_of_model(read)})


@router.post("/actions/{action_id}/accept", response_model=ActionRead,
             operation_id="accept_action",
             # Acting on a recommendation is one of the plan's actions per day.
             dependencies=[Depends(charge_quota(Quota.actions_per_day))])
async def accept_action(
    org_id: uuid.UUID,
    action_id: uuid.UUID,
    request: Request,
    auth: RunBrain,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    if_match: IfMatch = None,
    body: Annotated[ActionDecision | None, Body()] = None,
) -> Response:
    """Accept a proposed action (409 if it was already decided or superseded)."""
    return await _decide(request, auth, session, cache, jobs, action_id, Decision.accepted,
                         body, if_match)


@router.post("/actions/{action_id}/reject", response_model=ActionRead,
             operation_id="reject_action")
async def reject_action(
    org_id: uuid.UUID,
    action_id: uuid.UUID,
    request: Request,
    auth: RunBrain,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    if_match: IfMatch = None,
    body: Annotated[ActionDecision | None, Body()] = None,
) -> Response:
    """Reject a proposed action, optionally saying why; it is not proposed again unchanged."""
    return await _decide(request, auth, session, cache, jobs, action_id, Decision.rejected,
                         body, if_match)
