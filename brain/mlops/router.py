"""`GET …/models` and `GET …/models/{model_id}/evaluations` (read-only, paginated)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.core.deps import DbSession, ReadData
from brain.core.pagination import PageParams, SortOptions, page_params, page_response, paginate
from brain.core.schemas import Page
from brain.mlops.models import MlEvaluationRun, MlModel
from brain.mlops.repository import RegistryRepository
from brain.mlops.schemas import EvaluationRead, ModelRead

ORG_PREFIX = "/api/v1/organizations/{org_id}"
Paging = Annotated[PageParams, Depends(page_params)]

router = APIRouter(prefix=f"{ORG_PREFIX}/models", tags=["models"])
MODEL_SORT = SortOptions(MlModel.id, "name", name=MlModel.name, created_at=MlModel.created_at)
EVALUATION_SORT = SortOptions(MlEvaluationRun.id, "-created_at",
                              created_at=MlEvaluationRun.created_at)


def _scope(organization_id: uuid.UUID | None) -> str:
    return "global" if organization_id is None else "organization"


@router.get("", response_model=Page[ModelRead], operation_id="list_models")
async def list_models(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    module: Annotated[str | None, Query(max_length=40, description="Only this module.")] = None,
) -> Response:
    """Models serving the organization: global ones and its own, with the latest version and
    the `champion` version that serves it."""
    repo = RegistryRepository(session, auth)
    rows, cursor = await paginate(session, repo.models_statement(module), request=request,
                                  params=params, sort=MODEL_SORT)
    summaries = await repo.summaries([m.id for m in rows])
    data = [
        ModelRead(id=m.id, name=m.name, module=m.module, description=m.description,
                  scope=_scope(m.organization_id), created_at=m.created_at,
                  updated_at=m.updated_at, **summaries[m.id])
        for m in rows
    ]
    page = Page[ModelRead](data=data, next_cursor=cursor, has_more=cursor is not None)
    return page_response(request, page)


@router.get("/{model_id}/evaluations", response_model=Page[EvaluationRead],
            operation_id="list_model_evaluations")
async def list_model_evaluations(
    org_id: uuid.UUID,
    model_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
) -> Response:
    """Evaluation runs of a model visible to the organization, newest first."""
    repo = RegistryRepository(session, auth)
    await repo.model_or_404(model_id)
    rows, cursor = await paginate(session, repo.evaluations_statement(model_id),
                                  request=request, params=params, sort=EVALUATION_SORT)
    numbers = await repo.version_numbers({r.version_id for r in rows if r.version_id})
    data = [
        EvaluationRead(id=r.id, model_id=r.model_id,
                       version=numbers.get(r.version_id) if r.version_id else None,
                       dataset=r.dataset, metrics=r.metrics, targets=r.targets,
                       passed=r.passed, scope=_scope(r.organization_id),
                       created_at=r.created_at, finished_at=r.finished_at)
        for r in rows
    ]
    page = Page[EvaluationRead](data=data, next_cursor=cursor, has_more=cursor is not None)
    return page_response(request, page)


routers = [router]
