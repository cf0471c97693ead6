"""Registry queries for the API: what a tenant may see.

A tenant sees global rows (`organization_id` NULL) and its own. The warehouse's
`scope_to_tenant` only admits the tenant's own rows, so these tables use `visible_to`, the one
place that widens it by the global rows (PostgreSQL's `global_read` policy matches it).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.errors import NotFound
from brain.mlops.models import MlEvaluationRun, MlModel, MlModelAlias, MlModelVersion
from brain.mlops.registry import CHAMPION


def visible_to(column: Any, auth: AuthContext) -> ColumnElement[bool]:
    return or_(column == auth.organization_id, column.is_(None))


class RegistryRepository:
    def __init__(self, session: AsyncSession, auth: AuthContext) -> None:
        self.session = session
        self.auth = auth

    def models_statement(self, module: str | None = None) -> Select[Any]:
        stmt = select(MlModel).where(visible_to(MlModel.organization_id, self.auth))
        if module is not None:
            stmt = stmt.where(MlModel.module == module)
        return stmt

    async def model_or_404(self, model_id: uuid.UUID) -> MlModel:
        model: MlModel | None = await self.session.scalar(
            self.models_statement().where(MlModel.id == model_id)
        )
        if model is None:
            raise NotFound("Model")
        return model

    def evaluations_statement(self, model_id: uuid.UUID) -> Select[Any]:
        return select(MlEvaluationRun).where(
            MlEvaluationRun.model_id == model_id,
            visible_to(MlEvaluationRun.organization_id, self.auth),
        )

    async def version_numbers(self, version_ids: set[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not version_ids:
            return {}
        rows = await self.session.execute(
            select(MlModelVersion.id, MlModelVersion.version).where(
                MlModelVersion.id.in_(version_ids),
                visible_to(MlModelVersion.organization_id, self.auth),
            )
        )
        return {r.id: r.version for r in rows}

    async def summaries(self, model_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """Per model: latest visible version number and the champion serving this tenant."""
        out: dict[uuid.UUID, dict[str, Any]] = {
            m: {"latest_version": None, "champion_version": None} for m in model_ids
        }
        if not model_ids:
            return out
        versions = await self.session.execute(
            select(MlModelVersion.model_id, MlModelVersion.version).where(
                MlModelVersion.model_id.in_(model_ids),
                visible_to(MlModelVersion.organization_id, self.auth),
            )
        )
        for version_row in versions:
            model_id, number = version_row[0], int(version_row[1])
            current = out[model_id]["latest_version"]
            out[model_id]["latest_version"] = max(current or 0, number)
        aliases = await self.session.execute(
            select(MlModelAlias.model_id, MlModelAlias.organization_id, MlModelVersion.version)
            .join(MlModelVersion, MlModelVersion.id == MlModelAlias.version_id)
            .where(MlModelAlias.model_id.in_(model_ids), MlModelAlias.alias == CHAMPION,
                   visible_to(MlModelAlias.organization_id, self.auth))
        )
        for row in sorted(aliases, key=lambda r: r.organization_id is not None):
            # The tenant's own alias (sorted last) overrides the global one.
            out[row.model_id]["champion_version"] = row.version
        return out
