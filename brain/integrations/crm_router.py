"""The CRM lifecycle API: the records HubSpot and Salesforce syncs keep in `crm_records`, and
their funnel (records per stage) for charts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from sqlalchemy import Select, func, select
from starlette.responses import Response

from brain.core.deps import DbSession, ReadData
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page, Resource, ResponseModel, UTCTimestamp
from brain.core.tenancy import scope_to_tenant
from brain.integrations.crm_models import FUNNEL_ORDER, CrmKind, CrmRecord, CrmSource, FunnelStage

router = APIRouter(prefix="/api/v1/organizations/{org_id}/crm", tags=["crm"])
Paging = Annotated[PageParams, Depends(page_params)]
SORT = SortOptions(CrmRecord.id, "-updated_at", updated_at=CrmRecord.updated_at,
                   created_at=CrmRecord.created_at)

SourceFilter = Annotated[CrmSource | None, Query(description="Only this CRM.")]
KindFilter = Annotated[CrmKind | None, Query(description="Only this kind of record.")]
ConnectionFilter = Annotated[uuid.UUID | None,
                             Query(description="Only records of this connection.")]


class CrmRecordRead(Resource):
    """One CRM object's latest lifecycle state."""

    connection_id: uuid.UUID | None
    source: CrmSource
    kind: CrmKind
    external_id: str = Field(description="The provider's id of the object.")
    name: str | None = Field(description="A deal's or opportunity's name.")
    email_hash: str | None = Field(
        description="SHA-256 (hex) of the person's lower-cased e-mail (never the address).")
    customer_id: uuid.UUID | None = Field(description="The warehouse customer, when known.")
    related_external_id: str | None = Field(
        description="The contact of a deal, the account of an opportunity or of a converted "
                    "lead (the provider's id).")
    stage: str = Field(description="The provider's own stage (lifecycle stage, deal stage, "
                                   "lead status, opportunity stage).")
    funnel_stage: FunnelStage
    amount: float | None
    currency: str | None
    source_created_at: UTCTimestamp | None
    closed_at: UTCTimestamp | None
    stage_dates: dict[str, UTCTimestamp] = Field(
        description="When the record entered each funnel stage, as far as the CRM says.")
    source_updated_at: UTCTimestamp | None


class FunnelStageRead(ResponseModel):
    stage: FunnelStage
    records: int
    amount: float = Field(description="Sum of the records' amounts (deals, opportunities).")
    by_kind: dict[CrmKind, int] = Field(description="Records per kind in this stage.")


class FunnelRead(ResponseModel):
    """Records per funnel stage, in funnel order (every stage listed, zeros included)."""

    stages: list[FunnelStageRead]
    total: int
    updated_at: UTCTimestamp | None = Field(description="The newest record's last change.")


def _filtered(
    stmt: Select[Any], *, source: CrmSource | None, kind: CrmKind | None,
    connection_id: uuid.UUID | None,
) -> Select[Any]:
    if source is not None:
        stmt = stmt.where(CrmRecord.source == source.value)
    if kind is not None:
        stmt = stmt.where(CrmRecord.kind == kind.value)
    if connection_id is not None:
        stmt = stmt.where(CrmRecord.connection_id == connection_id)
    return stmt


@router.get("/lifecycle", response_model=Page[CrmRecordRead], operation_id="list_crm_records")
async def list_crm_records(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    source: SourceFilter = None,
    kind: KindFilter = None,
    connection_id: ConnectionFilter = None,
    funnel_stage: Annotated[FunnelStage | None, Query(description="Only this funnel stage.")]
    = None,
    stage: Annotated[str | None, Query(min_length=1, max_length=100,
                                       description="Only this provider stage.")] = None,
    updated_since: Annotated[datetime | None, Query(
        description="Only records changed at the provider at or after this time.")] = None,
) -> Response:
    """HubSpot contacts and deals, Salesforce leads and opportunities with their stage
    (newest change first; `sort=updated_at|created_at`, `-` for descending)."""
    stmt = _filtered(scope_to_tenant(select(CrmRecord), CrmRecord, auth),
                     source=source, kind=kind, connection_id=connection_id)
    if funnel_stage is not None:
        stmt = stmt.where(CrmRecord.funnel_stage == funnel_stage.value)
    if stage is not None:
        stmt = stmt.where(CrmRecord.stage == stage)
    if updated_since is not None:
        stmt = stmt.where(CrmRecord.source_updated_at >= updated_since)
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=SORT,
                                  columns=True)
    page = Page[CrmRecordRead](data=[CrmRecordRead.model_validate(r) for r in rows],
                               next_cursor=cursor, has_more=cursor is not None)
    return page_response(request, page)


@router.get("/lifecycle/funnel", response_model=FunnelRead, operation_id="crm_funnel")
async def crm_funnel(
    org_id: uuid.UUID,
    auth: ReadData,
    session: DbSession,
    source: SourceFilter = None,
    kind: KindFilter = None,
    connection_id: ConnectionFilter = None,
) -> Response:
    """How many CRM records stand at each funnel stage (and their amounts), for a chart."""
    totals = cast("Select[Any]", select(
        CrmRecord.funnel_stage, CrmRecord.kind, func.count(),
        func.coalesce(func.sum(CrmRecord.amount), 0.0), func.max(CrmRecord.updated_at)))
    stmt = _filtered(
        scope_to_tenant(totals, CrmRecord, auth),
        source=source, kind=kind, connection_id=connection_id,
    ).group_by(CrmRecord.funnel_stage, CrmRecord.kind)
    counts: dict[str, dict[str, int]] = {}
    amounts: dict[str, float] = {}
    newest: datetime | None = None
    for funnel, record_kind, count, amount, changed in (await session.execute(stmt)).all():
        counts.setdefault(funnel, {})[record_kind] = int(count)
        amounts[funnel] = amounts.get(funnel, 0.0) + float(amount or 0.0)
        if changed is not None and (newest is None or changed > newest):
            newest = changed
    stages = [
        FunnelStageRead(
            stage=stage,
            records=sum(counts.get(stage.value, {}).values()),
            amount=round(amounts.get(stage.value, 0.0), 2),
            by_kind={CrmKind(k): n for k, n in sorted(counts.get(stage.value, {}).items())},
        )
        for stage in FUNNEL_ORDER
    ]
    return json_response(FunnelRead(stages=stages, total=sum(s.records for s in stages),
                                    updated_at=newest))


routers: list[APIRouter] = [router]
