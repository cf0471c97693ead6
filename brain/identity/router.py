"""API key endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from starlette.responses import Response

from brain.audit.service import record_audit
from brain.core.deps import AppCache, DbSession, Jobs, ManageKeys, get_runtime
from brain.core.etag import check_if_match
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page
from brain.core.tenancy import TenantRepository
from brain.identity.models import ApiKey
from brain.identity.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from brain.identity.service import issue_api_key, revoke_api_key

router = APIRouter(prefix="/api/v1/organizations/{org_id}/api-keys", tags=["api-keys"])


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    label = "API key"


SORT = SortOptions(ApiKey.id, "created_at", created_at=ApiKey.created_at, name=ApiKey.name)


@router.post("", response_model=ApiKeyCreated, status_code=201, operation_id="create_api_key")
async def create_api_key(
    org_id: uuid.UUID, body: ApiKeyCreate, auth: ManageKeys, session: DbSession,
    request: Request,
) -> Response:
    """Issue a key; its secret is in this response only."""
    key, token = await issue_api_key(
        session,
        organization_id=auth.organization_id,
        name=body.name,
        role=body.role,
        created_by_key_id=auth.subject_id,
    )
    await record_audit(
        session, clock=get_runtime(request).clock, action="api_key.create", actor=auth,
        target_type="api_key", target_id=key.id, request=request,
        details={"name": key.name, "role": key.role},
    )
    read = ApiKeyRead.model_validate(key)
    return json_response(
        ApiKeyCreated(**read.model_dump(), api_key=token),
        status_code=201,
        headers={"Location": f"/api/v1/organizations/{org_id}/api-keys/{key.id}",
                 "Cache-Control": "no-store"},
    )


@router.get("", response_model=Page[ApiKeyRead], operation_id="list_api_keys")
async def list_api_keys(
    org_id: uuid.UUID,
    request: Request,
    auth: ManageKeys,
    session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """The organization's keys (revoked ones included, with `revoked_at`)."""
    repo = ApiKeyRepository(session, auth)
    rows, cursor = await paginate(session, repo.select(), request=request, params=params, sort=SORT)
    page = Page[ApiKeyRead](
        data=[ApiKeyRead.model_validate(r) for r in rows],
        next_cursor=cursor,
        has_more=cursor is not None,
    )
    return page_response(request, page)


@router.get("/{key_id}", response_model=ApiKeyRead, operation_id="get_api_key")
async def get_api_key(
    org_id: uuid.UUID, key_id: uuid.UUID, auth: ManageKeys, session: DbSession
) -> Response:
    """One key (never its secret)."""
    key = await ApiKeyRepository(session, auth).get_or_404(key_id)
    return json_response(ApiKeyRead.model_validate(key))


@router.delete("/{key_id}", status_code=204, operation_id="revoke_api_key")
async def revoke_api_key_route(
    org_id: uuid.UUID,
    key_id: uuid.UUID,
    auth: ManageKeys,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    request: Request,
    if_match: Annotated[
        str | None, Header(max_length=200, description="The ETag you read; a stale one is a 412.")
    ] = None,
) -> Response:
    """Revoke a key; it stops working at once."""
    key = await ApiKeyRepository(session, auth).get_or_404(key_id)
    check_if_match(if_match, ApiKeyRead.model_validate(key))
    already_revoked = key.revoked_at is not None
    await revoke_api_key(session, cache, key, jobs)
    if not already_revoked:
        await record_audit(
            session, clock=get_runtime(request).clock, action="api_key.revoke", actor=auth,
            target_type="api_key", target_id=key.id, request=request,
            details={"name": key.name, "role": key.role},
        )
    return Response(status_code=204)
