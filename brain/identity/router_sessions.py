"""The logged-in user's sessions, profile and current organization (/api/v1/auth/…)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy import select
from starlette.responses import Response

from brain.core.deps import AppSettings, CurrentSession, DbSession, Jobs, get_runtime
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
from brain.identity import auth_service as service
from brain.identity.cookies import clear_login_cookies
from brain.identity.models import UserSession
from brain.identity.schemas_auth import Me, MeUpdate, SessionRead, SwitchOrganization
from brain.identity.sessions import ActiveSession
from brain.identity.useragent import describe_device

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
SORT = SortOptions(
    UserSession.id, "-last_seen_at",
    created_at=UserSession.created_at, last_seen_at=UserSession.last_seen_at,
)
IfMatch = Annotated[
    str | None, Header(max_length=200, description="The ETag you read; a stale one is a 412.")
]


def session_read(row: UserSession, active: ActiveSession) -> SessionRead:
    current = row.id == active.session_id
    return SessionRead(
        id=row.id,
        device=describe_device(row.user_agent),
        ip=row.ip,
        created_at=row.created_at,
        # The cached view of the current session may be fresher than the stored row.
        last_seen_at=max(row.last_seen_at, active.last_seen_at) if current else row.last_seen_at,
        current=current,
    )


@router.get("/sessions", response_model=Page[SessionRead], operation_id="list_sessions")
async def list_sessions(
    active: CurrentSession,
    request: Request,
    session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """Your live sessions: device, IP, created, last seen, and which one is this."""
    live = await service.live_session_ids(session, get_runtime(request), active.user_id)
    query = select(UserSession).where(UserSession.id.in_(live))
    rows, cursor = await paginate(session, query, request=request, params=params, sort=SORT)
    page = Page[SessionRead](
        data=[session_read(r, active) for r in rows], next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


@router.get("/sessions/{session_id}", response_model=SessionRead, operation_id="get_session")
async def get_session(
    session_id: uuid.UUID, active: CurrentSession, request: Request, session: DbSession
) -> Response:
    """One of your live sessions (another user's is a 404)."""
    row = await service.get_own_session(
        session, get_runtime(request), user_id=active.user_id, session_id=session_id
    )
    return json_response(session_read(row, active))


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response,
               operation_id="revoke_session")
async def revoke_session(
    session_id: uuid.UUID, active: CurrentSession, request: Request, session: DbSession,
    jobs: Jobs, settings: AppSettings, if_match: IfMatch = None,
) -> Response:
    """End one of your sessions (another user's is a 404). Ending this one logs you out."""
    runtime = get_runtime(request)
    row = await service.get_own_session(
        session, runtime, user_id=active.user_id, session_id=session_id
    )
    check_if_match(if_match, session_read(row, active))
    await service.revoke_one(
        session, runtime, jobs, active=active, session_id=session_id, request=request
    )
    response = Response(status_code=204)
    if session_id == active.session_id:
        clear_login_cookies(response, settings=settings)
    return response


@router.delete("/sessions", status_code=204, response_class=Response,
               operation_id="revoke_other_sessions")
async def revoke_other_sessions(
    active: CurrentSession, request: Request, session: DbSession, jobs: Jobs
) -> Response:
    """End all your sessions except this one."""
    await service.revoke_others(
        session, get_runtime(request), jobs, active=active, request=request
    )
    return Response(status_code=204)


@router.get("/me", response_model=Me, operation_id="get_me")
async def get_me(active: CurrentSession, session: DbSession) -> Response:
    """You, your organizations and your role in each, and the current organization."""
    return json_response(await service.me(session, active.user_id))


@router.patch("/me", response_model=Me, operation_id="update_me")
async def update_me(
    body: MeUpdate, active: CurrentSession, request: Request, session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change your name or the language of your emails."""
    check_if_match(if_match, await service.me(session, active.user_id))
    await service.update_me(
        session, get_runtime(request), user_id=active.user_id, changes=body, request=request
    )
    current = await service.me(session, active.user_id)
    return json_response(current, headers={"ETag": etag_of_model(current)})


@router.post("/switch-organization", response_model=Me, operation_id="switch_organization")
async def switch_organization(
    body: SwitchOrganization, active: CurrentSession, request: Request, session: DbSession
) -> Response:
    """Make one of your organizations the current one (404 if you are not a member)."""
    await service.switch_organization(
        session, get_runtime(request), user_id=active.user_id,
        organization_id=body.organization_id, request=request,
    )
    current = await service.me(session, active.user_id)
    return json_response(current, headers={"ETag": etag_of_model(current)})
