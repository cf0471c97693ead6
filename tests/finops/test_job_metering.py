"""Jobs meter what they cost: a sync job its worker minutes (`sync_minutes`), a brain run
the seconds its modules took (`brain_cpu_seconds`); work not done is not metered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.runs.models import BrainRun
from brain.brain_modules.runs.service import enqueue_brain_run
from brain.brain_modules.runs.tasks import run_pipeline
from brain.core.db import set_system_mode, tenant_session
from brain.core.runtime import Runtime
from brain.finops.models import UsageDaily
from brain.integrations.engine import SyncResult
from brain.integrations.tasks import run_sync
from tests.factories import Tenant


async def _metered(db: AsyncSession, tenant: Tenant, meter: str) -> list[float]:
    await set_system_mode(db, True)
    db.expire_all()
    return list((await db.scalars(select(UsageDaily.amount).where(
        UsageDaily.organization_id == tenant.id, UsageDaily.meter == meter))).all())


async def test_a_brain_run_meters_its_modules_seconds(
    db: AsyncSession, tenant: Tenant, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = await enqueue_brain_run(db, tenant.id, "schedule", executed_by_caller=True)
    await db.commit()

    async def execute(runtime: Runtime, *, organization_id: uuid.UUID,
                      run_id: uuid.UUID) -> str:
        async with tenant_session(runtime.session_factory, organization_id) as session:
            stored = await session.scalar(select(BrainRun).where(BrainRun.id == run_id))
            assert stored is not None
            stored.status = "succeeded"
            stored.modules = {"features": {"seconds": 0.5}, "memory": {"seconds": 12.25},
                              "oracle": {"seconds": 3.0}, "curiosity": {"seconds": None}}
        return "succeeded"

    monkeypatch.setattr("brain.brain_modules.runs.tasks.execute_run", execute)
    await run_pipeline(runtime, run_id=str(run.id), organization_id=str(tenant.id))
    assert await _metered(db, tenant, "brain_cpu_seconds") == [15.75]


@pytest.mark.parametrize(("status", "metered"), [("succeeded", True), ("failed", True),
                                                 ("busy", False), ("missing", False)])
async def test_a_sync_job_meters_its_minutes(
    status: str, metered: bool, db: AsyncSession, tenant: Tenant, runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Engine:
        def __init__(self, runtime: Runtime, **_: Any) -> None:
            pass

        async def run(self, *, sync_run_id: uuid.UUID,
                      organization_id: uuid.UUID) -> SyncResult:
            return SyncResult(status=status)

    monkeypatch.setattr("brain.integrations.tasks.SyncEngine", Engine)
    await run_sync(runtime, sync_run_id=str(uuid.uuid4()), organization_id=str(tenant.id))
    minutes = await _metered(db, tenant, "sync_minutes")
    if metered:
        assert len(minutes) == 1
        assert 0 < minutes[0] < 1
    else:
        assert minutes == []
