"""Invitation endpoints: create, list, read and revoke (tenant), and accept (public: the
emailed token is the credential)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from brain.core.auth import AuthContext
from brain.core.deps import AppCache, Authorized, DbSession, Jobs, get_runtime
from brain.core.errors import ProblemError, validation_errors
from brain.core.etag import check_if_match
from brain.core.pagination import PageParams, json_response, page_params, paginate
from brain.core.schemas import Page
from brain.identity.cookies import set_login_cookies
from brain.identity.sessions import start_session
from brain.organizations import invites as service
from brain.organizations.actor import Acting, Actor
from brain.organizations.members import member_read
from brain.organizations.permissions import Permission
from brain.organizations.schemas_members import (
    InviteAccept,
    InviteAccepted,
    InviteCreate,
    InviteRead,
)
from brain.warehouse.router_common import IfMatch, created, no_content, page_of, with_etag

logger = logging.getLogger("brain.organizations")


class TokenInPathRoute(APIRoute):
    """A route whose path carries a secret token: its problem responses (`instance`) and its
    error logs show the path with the token masked."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def masked(request: Request) -> Response:
            token = str(request.path_params.get("token", ""))
            instance = request.url.path.replace(token, "{token}") if token else request.url.path
            try:
                return await handler(request)
            except ProblemError as exc:
                exc.extra = {**exc.extra, "instance": instance}
                raise
            except RequestValidationError as exc:
                raise ProblemError(422, "The request failed validation.",
                                   errors=validation_errors(exc),
                                   extra={"instance": instance}) from None
            except StarletteHTTPException as exc:
                detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
                raise ProblemError(exc.status_code, detail, headers=dict(exc.headers or {}),
                                   extra={"instance": instance}) from None
            except IntegrityError:
                raise ProblemError(409, "The request conflicts with existing data.",
                                   extra={"instance": instance}) from None
            except Exception:
                logger.exception("unhandled error on %s %s", request.method, instance)
                raise ProblemError(500, "An unexpected error occurred; it has been logged.",
                                   extra={"instance": instance}) from None

        return masked


router = APIRouter(prefix="/api/v1/organizations/{org_id}/invites", tags=["invites"])
public_router = APIRouter(prefix="/api/v1/invites", tags=["invites"],
                          route_class=TokenInPathRoute)

ReadInvites = Annotated[AuthContext, Authorized(Permission.members_invite)]
Inviting = Annotated[Actor, Acting(Permission.members_invite)]


@router.post("", response_model=InviteRead, status_code=201, operation_id="create_invite")
async def create_invite(
    org_id: uuid.UUID, body: InviteCreate, actor: Inviting, session: DbSession
) -> Response:
    """Invite someone by email; the link in the email is valid for 7 days, once. Only owners
    invite owners."""
    invite = await service.create_invite(session, actor, body)
    return created(
        service.invite_read(invite), f"/api/v1/organizations/{org_id}/invites/{invite.id}"
    )


@router.get("", response_model=Page[InviteRead], operation_id="list_invites")
async def list_invites(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadInvites,
    session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """Pending invitations (not accepted, revoked or expired)."""
    now = get_runtime(request).clock.now()
    stmt = service.InviteRepository(session, auth).pending(now)
    rows, cursor = await paginate(
        session, stmt, request=request, params=params, sort=service.INVITE_SORT
    )
    return page_of(request, InviteRead, rows, cursor)


@router.get("/{invite_id}", response_model=InviteRead, operation_id="get_invite")
async def get_invite(
    org_id: uuid.UUID, invite_id: uuid.UUID, auth: ReadInvites, session: DbSession
) -> Response:
    """One invitation (revoked ones are gone; accepted ones show `accepted`)."""
    invite = await service.InviteRepository(session, auth).get_or_404(invite_id)
    return with_etag(service.invite_read(invite))


@router.delete("/{invite_id}", status_code=204, operation_id="revoke_invite")
async def revoke_invite(
    org_id: uuid.UUID,
    invite_id: uuid.UUID,
    actor: Inviting,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Revoke an invitation: its link stops working."""
    invite = await service.InviteRepository(session, actor.auth).get_or_404(invite_id)
    check_if_match(if_match, service.invite_read(invite))
    await service.revoke_invite(session, actor, invite)
    return no_content()


@public_router.post(
    "/{token}/accept", response_model=InviteAccepted, operation_id="accept_invite"
)
async def accept_invite(
    token: Annotated[str, Path(min_length=1, max_length=200,
                               description="The `token` from the invitation link.")],
    body: InviteAccept,
    request: Request,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
) -> Response:
    """Join the organization: as the logged-in user (whose email must be the invited one),
    else as the invited email's account — created when there is none (then `name` and
    `password` are required). Logs the user in. 410 once used or expired."""
    runtime = get_runtime(request)
    acceptance = await service.accept_invite(
        session, token=token, body=body, request=request, cache=cache, clock=runtime.clock,
        jobs=jobs,
    )
    session_token: str | None = None
    if acceptance.start_session:
        _, session_token = await start_session(
            session, user=acceptance.user, clock=runtime.clock,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"), method="invite",
        )
    body_out = InviteAccepted(
        organization_id=acceptance.organization.id,
        organization_name=acceptance.organization.name,
        member=member_read(acceptance.membership, acceptance.user),
        logged_in=session_token is not None,
    )
    response = json_response(body_out, headers={"Cache-Control": "no-store"})
    if session_token is not None:
        set_login_cookies(response, token=session_token, settings=runtime.settings)
    return response


routers: list[APIRouter] = [router, public_router]
