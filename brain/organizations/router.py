"""Organization endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from starlette.responses import Response

from brain.audit.service import record_audit
from brain.billing.gates import CUSTOM_RETENTION_GATE
from brain.core.deps import AppCache, DbSession, Jobs, ManageOrg, ReadOrg, get_runtime
from brain.core.errors import Conflict, NotFound
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


@router.patch("/{org_id}", response_model=OrganizationRead, operation_id="update_organization",
              dependencies=[Depends(CUSTOM_RETENTION_GATE)])
async def update_organization_route(
    org_id: uuid.UUID,
    body: OrganizationUpdate,
    auth: ManageOrg,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    request: Request,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Rename the organization, or change its retention, session timeouts (idle 5 min to
    24 h, absolute 1 h to 30 days, idle no longer than absolute: 422 otherwise) or MFA
    policy. Changes are audited (`organization.update`). Requiring MFA is a 409 for a member
    who has no second factor themselves (it would lock them out)."""
    org = await _load(session, auth.organization_id)
    check_if_match(if_match, OrganizationRead.model_validate(org))
    if body.mfa_required and not org.mfa_required and auth.user_id is not None:
        from brain.identity.mfa import user_has_mfa

        if not await user_has_mfa(session, auth.user_id):
            raise Conflict(
                "Set up two-factor authentication for yourself first (an authenticator app "
                "or a passkey): requiring it now would lock you out of this organization."
            )
    changed = update_organization(org, changes=body)
    if changed:
        org.updated_at = get_runtime(request).clock.now()
    await session.flush()
    if "mfa_required" in changed:
        # Cached member contexts carry the old policy: forget them now and after commit.
        await evict_organization_contexts(session, cache, jobs, auth)
    if changed:
        await record_audit(
            session, clock=get_runtime(request).clock, action="organization.update",
            actor=auth, target_type="organization", target_id=org.id, request=request,
            details={"changes": changed},
        )
    read = OrganizationRead.model_validate(org)
    return json_response(read, headers={"ETag": etag_of_model(read)})
