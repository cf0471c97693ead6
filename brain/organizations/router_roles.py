"""Role endpoints: the built-in roles (read-only) and the organization's custom roles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from brain.core.auth import AuthContext
from brain.core.deps import Authorized, DbSession
from brain.core.etag import check_if_match
from brain.core.pagination import PageParams, SortOptions, page_params, page_response, paginate
from brain.core.schemas import Page
from brain.organizations import roles as service
from brain.organizations.actor import Acting, Actor
from brain.organizations.models import CustomRole
from brain.organizations.permissions import Permission
from brain.organizations.schemas_members import RoleCreate, RoleRead, RoleUpdate
from brain.warehouse.router_common import IfMatch, created, no_content, with_etag

router = APIRouter(prefix="/api/v1/organizations/{org_id}/roles", tags=["roles"])

ReadRoles = Annotated[AuthContext, Authorized(Permission.roles_manage)]
ManageRoles = Annotated[Actor, Acting(Permission.roles_manage)]
ROLE_SORT = SortOptions(
    CustomRole.id, "created_at", created_at=CustomRole.created_at, name=CustomRole.name
)


@router.get("", response_model=Page[RoleRead], operation_id="list_roles")
async def list_roles(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadRoles,
    session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """The built-in roles (`builtin: true`, on the first page only) and the custom roles."""
    stmt = service.CustomRoleRepository(session, auth).select()
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=ROLE_SORT)
    builtin = service.builtin_roles() if params.cursor is None else []
    page = Page[RoleRead](
        data=[*builtin, *(service.role_read(r) for r in rows)],
        next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


@router.post("", response_model=RoleRead, status_code=201, operation_id="create_role")
async def create_role(
    org_id: uuid.UUID, body: RoleCreate, actor: ManageRoles, session: DbSession
) -> Response:
    """Create a custom role from `resource:action` permissions (never more than you hold,
    never the owner-only ones)."""
    role = await service.create_role(session, actor, body)
    return created(service.role_read(role), f"/api/v1/organizations/{org_id}/roles/{role.id}")


@router.get("/{role_id}", response_model=RoleRead, operation_id="get_role")
async def get_role(
    org_id: uuid.UUID, role_id: uuid.UUID, auth: ReadRoles, session: DbSession
) -> Response:
    """One custom role."""
    role = await service.CustomRoleRepository(session, auth).get_or_404(role_id)
    return with_etag(service.role_read(role))


@router.patch("/{role_id}", response_model=RoleRead, operation_id="update_role")
async def update_role(
    org_id: uuid.UUID,
    role_id: uuid.UUID,
    body: RoleUpdate,
    actor: ManageRoles,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Rename a custom role or change its permissions (its members get them at once)."""
    role = await service.CustomRoleRepository(session, actor.auth).get_or_404(role_id)
    check_if_match(if_match, service.role_read(role))
    role = await service.update_role(session, actor, role, body)
    return with_etag(service.role_read(role))


@router.delete("/{role_id}", status_code=204, operation_id="delete_role")
async def delete_role(
    org_id: uuid.UUID,
    role_id: uuid.UUID,
    actor: ManageRoles,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a custom role (409 while members hold it or pending invites offer it)."""
    role = await service.CustomRoleRepository(session, actor.auth).get_or_404(role_id)
    check_if_match(if_match, service.role_read(role))
    await service.delete_role(session, actor, role)
    return no_content()


routers: list[APIRouter] = [router]
