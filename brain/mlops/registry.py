"""The registry's Python API: register versions, point aliases at them, record evaluations.

Global rows (`organization_id=None`) are written in system mode (e.g. `brain eval --persist`);
tenant rows in the tenant's own session. Like every service, nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from importlib import metadata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import utcnow
from brain.mlops.artifacts import Artifact, load_artifact
from brain.mlops.models import MlEvaluationRun, MlModel, MlModelAlias, MlModelVersion

CHAMPION = "champion"


def code_version() -> str:
    """The installed package version (the commit is not known inside a wheel)."""
    try:
        return f"brain-{metadata.version('brain')}"
    except metadata.PackageNotFoundError:
        return "brain-dev"


def _owner(column: Any, organization_id: uuid.UUID | None) -> Any:
    return column.is_(None) if organization_id is None else column == organization_id


async def get_model(
    session: AsyncSession, name: str, organization_id: uuid.UUID | None = None
) -> MlModel | None:
    stmt = select(MlModel).where(MlModel.name == name,
                                 _owner(MlModel.organization_id, organization_id))
    result: MlModel | None = await session.scalar(stmt)
    return result


async def ensure_model(
    session: AsyncSession, name: str, *, module: str, organization_id: uuid.UUID | None = None,
    description: str | None = None,
) -> MlModel:
    model = await get_model(session, name, organization_id)
    if model is None:
        model = MlModel(organization_id=organization_id, name=name, module=module,
                        description=description)
        session.add(model)
        await session.flush()
    elif description and model.description != description:
        model.description = description
    return model


async def register_version(
    session: AsyncSession,
    *,
    model_name: str,
    module: str,
    organization_id: uuid.UUID | None = None,
    training_start: date | None = None,
    training_end: date | None = None,
    feature_set: Sequence[str] = (),
    params: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    artifact: Artifact | None = None,
    code: str | None = None,
    description: str | None = None,
) -> MlModelVersion:
    """Add the next version of `model_name` (created on first use)."""
    model = await ensure_model(session, model_name, module=module,
                               organization_id=organization_id, description=description)
    latest = await session.scalar(
        select(func.max(MlModelVersion.version)).where(MlModelVersion.model_id == model.id)
    )
    version = MlModelVersion(
        organization_id=organization_id, model_id=model.id, version=int(latest or 0) + 1,
        training_start=training_start, training_end=training_end,
        feature_set=list(feature_set), params=dict(params or {}), metrics=dict(metrics or {}),
        code_version=code or code_version(),
        artifact_format=artifact.format if artifact else None,
        artifact=artifact.data if artifact else None,
        artifact_sha256=artifact.sha256 if artifact else None,
        artifact_size=len(artifact.data) if artifact else 0,
    )
    session.add(version)
    await session.flush()
    return version


async def set_alias(
    session: AsyncSession, version: MlModelVersion, alias: str = CHAMPION, *,
    organization_id: uuid.UUID | None = None,
) -> MlModelAlias:
    """Point `alias` at `version` for one tenant (or for everyone when None)."""
    if version.organization_id is not None and version.organization_id != organization_id:
        raise ValueError("a tenant's model version cannot serve another organization")
    row: MlModelAlias | None = await session.scalar(
        select(MlModelAlias).where(
            MlModelAlias.model_id == version.model_id, MlModelAlias.alias == alias,
            _owner(MlModelAlias.organization_id, organization_id),
        )
    )
    if row is None:
        row = MlModelAlias(organization_id=organization_id, model_id=version.model_id,
                           alias=alias, version_id=version.id)
        session.add(row)
    else:
        row.version_id = version.id
    await session.flush()
    return row


async def get_alias(
    session: AsyncSession, model_name: str, alias: str = CHAMPION, *,
    organization_id: uuid.UUID | None = None,
) -> MlModelVersion | None:
    """The version `alias` points at for the tenant: its own alias first, then the global
    one; the tenant's own model of that name wins over the global model."""
    models = [m for m in (
        await get_model(session, model_name, organization_id) if organization_id else None,
        await get_model(session, model_name, None),
    ) if m is not None]
    for model in models:
        for owner in ((organization_id, None) if organization_id else (None,)):
            version: MlModelVersion | None = await session.scalar(
                select(MlModelVersion).join(
                    MlModelAlias, MlModelAlias.version_id == MlModelVersion.id
                ).where(MlModelAlias.model_id == model.id, MlModelAlias.alias == alias,
                        _owner(MlModelAlias.organization_id, owner))
            )
            if version is not None:
                return version
    return None


async def load_version_artifact(session: AsyncSession, version: MlModelVersion) -> Any:
    """The decoded artifact of `version` (checksum verified), or None without one."""
    if version.artifact_format is None:
        return None
    data = await session.scalar(
        select(MlModelVersion.artifact).where(MlModelVersion.id == version.id)
    )
    if data is None:
        return None
    return load_artifact(version.artifact_format, data, version.artifact_sha256)


async def record_evaluation(
    session: AsyncSession,
    *,
    model_name: str,
    module: str,
    dataset: str,
    metrics: dict[str, Any],
    targets: dict[str, Any] | None = None,
    passed: bool | None = None,
    version: MlModelVersion | None = None,
    organization_id: uuid.UUID | None = None,
) -> MlEvaluationRun:
    """Store one evaluation's metrics (and the targets they were judged against)."""
    model = await ensure_model(session, model_name, module=module,
                               organization_id=organization_id)
    run = MlEvaluationRun(
        organization_id=organization_id, model_id=model.id,
        version_id=version.id if version else None, dataset=dataset, metrics=metrics,
        targets=dict(targets or {}), passed=passed, finished_at=utcnow(),
    )
    session.add(run)
    await session.flush()
    return run
