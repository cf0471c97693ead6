"""Organization endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header
from starlette.responses import Response

from brain.core.deps import AppCache, DbSession, Jobs, ManageOrg, ReadOrg
from brain.core.errors import NotFound
from brain.core.etag import check_if_match, etag_of_model
from brain.core.pagination import json_response
from brain.organizations.context_cache import evict_organization_contexts
from brain.organizations.models import Organization
from brain.organizations.schemas import OrganizationRead, OrganizationUpdate
from brain.organizations.service import update_organization

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


async def _load(session: DbSession, org_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    return org


@router.get("/{org_id}", response_model=OrganizationRead, operation_id="get_organization")
async def get_organization(org_id: uuid.UUID, auth: ReadOrg, session: DbSession) -> Response:
    """The caller's organization."""
    org = await _load(session, auth.organization_id)
    return json_response(OrganizationRead.model_validate(org))


@router.patch("/{org_id}", response_model=OrganizationRead, operation_id="update_organization")
async def update_organization_route(
    org_id: uuid.UUID,
    body: OrganizationUpdate,
    auth: ManageOrg,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Rename the organization, or change its retention, session timeouts or MFA policy."""
    org = await _load(session, auth.organization_id)
    check_if_match(if_match, OrganizationRead.model_validate(org))
    update_organization(org, changes=body)
    await session.flush()
    if body.mfa_required is not None:
        # Cached member contexts carry the old policy: forget them now and after commit.
        await evict_organization_contexts(session, cache, jobs, auth)
    read = OrganizationRead.model_validate(org)
    return json_response(read, headers={"ETag": etag_of_model(read)})
