"""Brain runs: start one (202), follow its modules' progress, list the history."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.billing.catalog import Quota
from brain.billing.entitlements import require_entitlement
from brain.billing.gates import BRAIN_RUN_ENTITLEMENT, charge_quota
from brain.brain_modules import (
    router_actions,
    router_curiosity,
    router_face,
    router_memory,
    router_oracle,
)
from brain.brain_modules.router_common import RunBrain, require_tenant_wide
from brain.brain_modules.runs.models import BrainRun, RunStatus
from brain.brain_modules.runs.repository import BrainRunRepository, ModuleOutputRepository
from brain.brain_modules.runs.service import MODULES, start_run
from brain.brain_modules.schemas import (
    BrainRunCreated,
    BrainRunRead,
    ModuleOutputRead,
    RunOutputs,
)
from brain.core.deps import AppSettings, DbSession, Jobs, ReadData
from brain.core.pagination import PageParams, SortOptions, json_response, page_params, paginate
from brain.core.schemas import Page
from brain.warehouse.router_common import created, object_path, page_of

router = APIRouter(prefix="/api/v1/organizations/{org_id}/brain/runs", tags=["brain"],
                   dependencies=[Depends(require_entitlement(BRAIN_RUN_ENTITLEMENT))])
RUN_SORT = SortOptions(BrainRun.id, "-created_at", created_at=BrainRun.created_at)


@router.post(
    "",
    response_model=BrainRunCreated,
    status_code=202,
    operation_id="create_brain_run",
    responses={409: {"description": "A run is already queued or running (see `run_id`)."}},
    dependencies=[Depends(charge_quota(Quota.brain_runs_per_day))],
)
async def create_brain_run(
    org_id: uuid.UUID,
    auth: RunBrain,
    session: DbSession,
    jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Start a brain run in the background (one per organization at a time: 409 otherwise)."""
    run = await start_run(
        session, auth, jobs=jobs,
        stale_after=timedelta(minutes=settings.brain_run_timeout_minutes),
    )
    return created(
        BrainRunCreated(id=run.id, status=run.status),
        object_path(org_id, "brain/runs", run.id),
        status_code=202,
    )


@router.get("", response_model=Page[BrainRunRead], operation_id="list_brain_runs")
async def list_brain_runs(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[RunStatus | None, Query(description="Only runs in this status.")] = None,
) -> Response:
    """The organization's brain runs, newest first."""
    stmt = BrainRunRepository(session, auth).history(status.value if status else None)
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=RUN_SORT)
    return page_of(request, BrainRunRead, rows, cursor)


@router.get("/{run_id}", response_model=BrainRunRead, operation_id="get_brain_run")
async def get_brain_run(
    org_id: uuid.UUID, run_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One run: status, per-module progress, timings, model versions, errors."""
    run = await BrainRunRepository(session, auth).get_or_404(run_id)
    return json_response(BrainRunRead.model_validate(run))


@router.get("/{run_id}/outputs", response_model=RunOutputs, operation_id="get_brain_run_outputs")
async def get_brain_run_outputs(
    org_id: uuid.UUID,
    run_id: uuid.UUID,
    auth: ReadData,
    session: DbSession,
    module: Annotated[
        Literal["features", "memory", "oracle", "curiosity", "face"] | None,
        Query(description="Only this module's output."),
    ] = None,
) -> Response:
    """A past run's stored answers (any run, failed ones included), to show and explain them."""
    require_tenant_wide(auth)
    run = await BrainRunRepository(session, auth).get_or_404(run_id)
    repo = ModuleOutputRepository(session, auth)
    names = [module] if module else list(MODULES)
    rows = [row for name in names if (row := await repo.for_run(run.id, name)) is not None]
    return json_response(RunOutputs(
        run_id=run.id, data=[ModuleOutputRead.model_validate(r) for r in rows]
    ))


routers = [
    router,
    router_memory.router,
    router_oracle.router,
    router_actions.router,
    router_curiosity.router,
    router_face.router,
]
