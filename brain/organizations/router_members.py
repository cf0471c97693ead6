"""Member endpoints (list, read, change role, remove, resource grants); `routers` lists every
router of the members, roles, invites, lifecycle and audit areas for the app to include."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.audit.router import router as audit_router
from brain.core.auth import AuthContext
from brain.core.deps import Authorized, DbSession
from brain.core.etag import check_if_match
from brain.core.pagination import PageParams, page_params, page_response, paginate
from brain.core.schemas import Page
from brain.organizations import members as service
from brain.organizations.actor import Acting, Actor
from brain.organizations.permissions import Permission
from brain.organizations.schemas_members import (
    GrantCreate,
    GrantRead,
    MemberRead,
    MemberRole,
    MemberUpdate,
)
from brain.warehouse.router_common import IfMatch, created, no_content, page_of, with_etag

router = APIRouter(prefix="/api/v1/organizations/{org_id}/members", tags=["members"])

ReadMembers = Annotated[AuthContext, Authorized(Permission.members_read)]
ManageMembers = Annotated[Actor, Acting(Permission.members_manage)]


@router.get("", response_model=Page[MemberRead], operation_id="list_members")
async def list_members(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadMembers,
    session: DbSession,
    params: PageParams = Depends(page_params),
    role: Annotated[MemberRole | None, Query(description="Only members with this role.")]
    = None,
) -> Response:
    """The organization's members, oldest first."""
    stmt = service.MemberRepository(session, auth).list_statement(role=role)
    rows, cursor = await paginate(
        session, stmt, request=request, params=params, sort=service.MEMBER_SORT
    )
    page = Page[MemberRead](
        data=await service.member_reads(session, rows), next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


@router.get("/{member_id}", response_model=MemberRead, operation_id="get_member")
async def get_member(
    org_id: uuid.UUID, member_id: uuid.UUID, auth: ReadMembers, session: DbSession
) -> Response:
    """One member (`member_id` is the membership's id)."""
    membership, user = await service.load_member(session, auth, member_id)
    return with_etag(service.member_read(membership, user))


@router.patch("/{member_id}", response_model=MemberRead, operation_id="update_member")
async def update_member(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    body: MemberUpdate,
    actor: ManageMembers,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change a member's role or restriction. Only owners grant or take away "owner"; the
    last owner cannot be demoted (409)."""
    membership, user = await service.load_member(session, actor.auth, member_id)
    check_if_match(if_match, service.member_read(membership, user))
    membership = await service.update_member(session, actor, membership, body)
    return with_etag(service.member_read(membership, user))


@router.delete("/{member_id}", status_code=204, operation_id="remove_member")
async def remove_member(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    actor: ManageMembers,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Remove a member (never the last owner: 409)."""
    membership, user = await service.load_member(session, actor.auth, member_id)
    check_if_match(if_match, service.member_read(membership, user))
    await service.remove_member(session, actor, membership)
    return no_content()


@router.post(
    "/{member_id}/grants", response_model=GrantRead, status_code=201,
    operation_id="create_member_grant",
)
async def create_member_grant(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    body: GrantCreate,
    actor: ManageMembers,
    session: DbSession,
) -> Response:
    """Give a member access to one channel; a `restricted` member sees only granted ones."""
    membership, _ = await service.load_member(session, actor.auth, member_id)
    grant = await service.add_grant(session, actor, membership, body)
    return created(
        GrantRead.model_validate(grant),
        f"/api/v1/organizations/{org_id}/members/{member_id}/grants/{grant.id}",
    )


@router.get(
    "/{member_id}/grants", response_model=Page[GrantRead], operation_id="list_member_grants"
)
async def list_member_grants(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    auth: ReadMembers,
    session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """The member's resource grants."""
    membership, _ = await service.load_member(session, auth, member_id)
    stmt = service.GrantRepository(session, auth).of_member(membership.id)
    rows, cursor = await paginate(
        session, stmt, request=request, params=params, sort=service.GRANT_SORT
    )
    return page_of(request, GrantRead, rows, cursor)


@router.get(
    "/{member_id}/grants/{grant_id}", response_model=GrantRead, operation_id="get_member_grant"
)
async def get_member_grant(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    grant_id: uuid.UUID,
    auth: ReadMembers,
    session: DbSession,
) -> Response:
    """One resource grant."""
    membership, _ = await service.load_member(session, auth, member_id)
    grant = await service.load_grant(session, auth, membership, grant_id)
    return with_etag(GrantRead.model_validate(grant))


@router.delete(
    "/{member_id}/grants/{grant_id}", status_code=204, operation_id="delete_member_grant"
)
async def delete_member_grant(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    grant_id: uuid.UUID,
    actor: ManageMembers,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Take a resource grant away."""
    membership, _ = await service.load_member(session, actor.auth, member_id)
    grant = await service.load_grant(session, actor.auth, membership, grant_id)
    check_if_match(if_match, GrantRead.model_validate(grant))
    await service.remove_grant(session, actor, membership, grant)
    return no_content()


def _all_routers() -> list[APIRouter]:
    from brain.organizations import router_invites, router_lifecycle, router_roles

    return [
        router,
        *router_roles.routers,
        *router_invites.routers,
        *router_lifecycle.routers,
        audit_router,
    ]


routers: list[APIRouter] = _all_routers()
