"""Tenant-scoped queries of brain runs and module outputs (all through `TenantRepository`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from brain.brain_modules.runs.models import (
    ACTIVE_STATUSES,
    BrainModuleOutput,
    BrainRun,
    RunStatus,
)
from brain.core.auth import AuthContext, SubjectType
from brain.core.tenancy import TenantRepository, scope_to_tenant
from brain.organizations.permissions import Role, permissions_for


class BrainRunRepository(TenantRepository[BrainRun]):
    model = BrainRun
    label = "Brain run"

    async def active(self) -> BrainRun | None:
        """The tenant's queued or running run, if any (at most one: a unique index)."""
        stmt = self.select().where(BrainRun.status.in_(ACTIVE_STATUSES))
        result: BrainRun | None = await self.session.scalar(stmt)
        return result

    async def latest_succeeded(self) -> BrainRun | None:
        stmt = (
            self.select()
            .where(BrainRun.status == RunStatus.succeeded.value)
            .order_by(BrainRun.finished_at.desc(), BrainRun.id.desc())
            .limit(1)
        )
        result: BrainRun | None = await self.session.scalar(stmt)
        return result

    async def latest_succeeded_id(self) -> uuid.UUID | None:
        """Only the id of the latest succeeded run (one index lookup; FACE's cache check)."""
        stmt = (
            scope_to_tenant(select(BrainRun.id), BrainRun, self.auth)
            .where(BrainRun.status == RunStatus.succeeded.value)
            .order_by(BrainRun.finished_at.desc(), BrainRun.id.desc())
            .limit(1)
        )
        result: uuid.UUID | None = await self.session.scalar(stmt)
        return result

    async def latest_finished(self) -> BrainRun | None:
        stmt = (
            self.select()
            .where(BrainRun.status.in_((RunStatus.succeeded.value, RunStatus.failed.value)))
            .order_by(BrainRun.finished_at.desc(), BrainRun.id.desc())
            .limit(1)
        )
        result: BrainRun | None = await self.session.scalar(stmt)
        return result

    async def fresh(self, run_id: uuid.UUID) -> BrainRun | None:
        """The run re-read from the database (another transaction may have changed it)."""
        stmt = self.select().where(BrainRun.id == run_id)
        result: BrainRun | None = await self.session.scalar(
            stmt.execution_options(populate_existing=True)
        )
        return result

    def history(self, status: str | None = None) -> Select[Any]:
        stmt = self.select()
        if status is not None:
            stmt = stmt.where(BrainRun.status == status)
        return stmt


class ModuleOutputRepository(TenantRepository[BrainModuleOutput]):
    model = BrainModuleOutput
    label = "Module output"

    async def for_run(self, run_id: uuid.UUID, module: str) -> BrainModuleOutput | None:
        stmt = self.select().where(
            BrainModuleOutput.run_id == run_id, BrainModuleOutput.module == module
        )
        result: BrainModuleOutput | None = await self.session.scalar(stmt)
        return result

    async def modules_of(self, run_id: uuid.UUID) -> list[str]:
        stmt = scope_to_tenant(
            select(BrainModuleOutput.module), BrainModuleOutput, self.auth
        ).where(BrainModuleOutput.run_id == run_id)
        return list((await self.session.scalars(stmt)).all())


def pipeline_context(organization_id: uuid.UUID, run_id: uuid.UUID) -> AuthContext:
    """The `AuthContext` the pipeline job acts with for its tenant (an analyst's rights)."""
    return AuthContext(
        organization_id=organization_id,
        role=Role.analyst,
        permissions=permissions_for(Role.analyst),
        subject_type=SubjectType.job,
        subject_id=run_id,
    )
