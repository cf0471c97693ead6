"""Daily metrics: one row per day and channel, campaign or creative."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.billing.catalog import Quota
from brain.billing.gates import admit_ingestion, charge_quota
from brain.core.deps import DbSession, ReadData, WriteData
from brain.core.errors import ProblemError
from brain.core.etag import check_if_match
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    list_page,
    page_params,
)
from brain.core.schemas import Page
from brain.warehouse import service
from brain.warehouse.models import DailyMetric
from brain.warehouse.repository import DailyMetricRepository
from brain.warehouse.router_common import (
    IfMatch,
    check_date_range,
    created,
    no_content,
    object_path,
    parse_json_body,
    with_etag,
)
from brain.warehouse.schemas import (
    MAX_BATCH_ROWS,
    DailyMetricBatch,
    DailyMetricBatchResult,
    DailyMetricRead,
    DailyMetricUpdate,
    DailyMetricWrite,
    DailySeries,
    MetricGrain,
)
from brain.warehouse.series import daily_series

router = APIRouter(prefix="/api/v1/organizations/{org_id}/metrics/daily", tags=["metrics"])
METRIC_SORT = SortOptions(
    DailyMetric.id, "date", date=DailyMetric.date, created_at=DailyMetric.created_at
)


@router.get("", response_model=Page[DailyMetricRead], operation_id="list_daily_metrics")
async def list_daily_metrics(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    date_from: Annotated[date | None, Query(description="First day (inclusive).")] = None,
    date_to: Annotated[date | None, Query(description="Last day (inclusive).")] = None,
    channel_id: Annotated[uuid.UUID | None, Query()] = None,
    campaign_id: Annotated[uuid.UUID | None, Query()] = None,
    creative_id: Annotated[uuid.UUID | None, Query()] = None,
    grain: Annotated[
        MetricGrain | None, Query(description="Only channel, campaign or creative rows.")
    ] = None,
) -> Response:
    """Daily metric rows, by default oldest day first (`sort=-date` for newest first)."""
    check_date_range(date_from, date_to)
    stmt = DailyMetricRepository(session, auth).list_statement(
        date_from=date_from,
        date_to=date_to,
        channel_id=channel_id,
        campaign_id=campaign_id,
        creative_id=creative_id,
        grain=grain,
    )
    return await list_page(
        session, stmt, request=request, params=params, sort=METRIC_SORT, read_model=DailyMetricRead
    )


@router.post(
    "",
    response_model=DailyMetricRead,
    status_code=201,
    operation_id="create_daily_metric",
    responses={200: {"description": "A row with this natural key existed and was replaced."}},
    # One row is one event of the plan's events per month.
    dependencies=[Depends(charge_quota(Quota.events_per_month, meter="rows_ingested"))],
)
async def create_daily_metric(
    org_id: uuid.UUID, body: DailyMetricWrite, auth: WriteData, session: DbSession
) -> Response:
    """Write one row: created (201), or replaced when its natural key exists (200)."""
    metric, is_new = await service.upsert_daily_metric(session, auth, body)
    return created(
        DailyMetricRead.model_validate(metric),
        object_path(org_id, "metrics/daily", metric.id),
        status_code=201 if is_new else 200,
    )


# The body is validated from raw bytes by the handler (one pass, no JSON decode first); this
# documents it in the OpenAPI spec.
_BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "title": "DailyMetricBatch",
                    "description": DailyMetricBatch.__doc__,
                    "required": ["rows"],
                    "additionalProperties": False,
                    "properties": {
                        "rows": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_BATCH_ROWS,
                            "items": {"$ref": "#/components/schemas/DailyMetricWrite"},
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    ":batch",
    response_model=DailyMetricBatchResult,
    operation_id="batch_upsert_daily_metrics",
    openapi_extra=_BATCH_BODY,
)
async def batch_upsert_daily_metrics(
    org_id: uuid.UUID, request: Request, auth: WriteData, session: DbSession
) -> Response:
    """Upsert 1-10,000 rows all-or-nothing (last row wins per key; errors name each row)."""
    body = parse_json_body(DailyMetricBatch, await request.body())
    await admit_ingestion(request, session, auth.organization_id, len(body.rows))
    upserted = await service.batch_upsert_daily_metrics(session, auth, body.rows)
    return json_response(DailyMetricBatchResult(upserted=upserted))


@router.get("/{metric_id}", response_model=DailyMetricRead, operation_id="get_daily_metric")
async def get_daily_metric(
    org_id: uuid.UUID, metric_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One daily metric row."""
    body = await DailyMetricRepository(session, auth).get_rendered(metric_id, DailyMetricRead)
    return Response(body, media_type="application/json")


@router.patch("/{metric_id}", response_model=DailyMetricRead, operation_id="update_daily_metric")
async def update_daily_metric(
    org_id: uuid.UUID,
    metric_id: uuid.UUID,
    body: DailyMetricUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Correct a row's measures (its natural key cannot change)."""
    metric = await DailyMetricRepository(session, auth).get_or_404(metric_id)
    check_if_match(if_match, DailyMetricRead.model_validate(metric))
    metric = await service.update_daily_metric(session, metric, body)
    return with_etag(DailyMetricRead.model_validate(metric))


@router.delete("/{metric_id}", status_code=204, operation_id="delete_daily_metric")
async def delete_daily_metric(
    org_id: uuid.UUID,
    metric_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a row for good."""
    metric = await DailyMetricRepository(session, auth).get_or_404(metric_id)
    check_if_match(if_match, DailyMetricRead.model_validate(metric))
    await service.delete_daily_metric(session, auth, metric)
    return no_content()


series_router = APIRouter(prefix="/api/v1/organizations/{org_id}/metrics", tags=["metrics"])


@series_router.get("/series", response_model=DailySeries, operation_id="daily_metric_series")
async def daily_metric_series(
    org_id: uuid.UUID,
    auth: ReadData,
    session: DbSession,
    date_from: Annotated[date | None, Query(description="First day (inclusive).")] = None,
    date_to: Annotated[
        date | None, Query(description="Last day (inclusive); default: the latest day with data.")
    ] = None,
    days: Annotated[
        int, Query(ge=1, le=731, description="Window length when `date_from` is not given.")
    ] = 28,
) -> Response:
    """Spend, revenue, conversions, clicks and impressions per day and channel — what the
    dashboards chart. Each channel is summed at one level (its channel, campaign or creative
    rows: the coarsest it has), so nothing is counted twice."""
    check_date_range(date_from, date_to)
    if date_from is not None and date_to is not None and (date_to - date_from).days > 730:
        raise ProblemError(422, "The window can span at most 731 days.",
                           errors=[{"loc": ["query", "date_from"],
                                    "message": "More than 731 days before date_to."}])
    series = await daily_series(session, auth, date_from=date_from, date_to=date_to, days=days)
    return json_response(series)


routers = [series_router, router]
