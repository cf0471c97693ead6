"""Background jobs of the brain: execute a run, and the daily schedule of runs."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from brain.brain_modules.pipeline import execute_run
from brain.brain_modules.runs.models import RunTrigger
from brain.brain_modules.runs.service import enqueue_brain_run
from brain.core.db import system_session, tenant_session
from brain.core.jobs import JobBuffer, job
from brain.core.runtime import Runtime
from brain.organizations.models import Organization

logger = logging.getLogger("brain.brain_modules.tasks")


@job("brain.run_pipeline")
async def run_pipeline(runtime: Runtime, *, run_id: str, organization_id: str) -> None:
    """Execute one queued brain run (features -> MEMORY -> ORACLE -> CURIOSITY -> FACE)."""
    status = await execute_run(
        runtime, organization_id=uuid.UUID(organization_id), run_id=uuid.UUID(run_id)
    )
    logger.info("brain run %s of %s: %s", run_id, organization_id, status)


@job("brain.schedule_daily_runs")
async def schedule_daily_runs(runtime: Runtime) -> None:
    """Queue a scheduled run for every live organization that has none queued or running."""
    from brain.core.jobs import CeleryDispatcher

    async with system_session(runtime.session_factory) as session:
        org_ids = list((await session.scalars(
            select(Organization.id).where(Organization.deleted_at.is_(None))
        )).all())
    dispatcher = CeleryDispatcher()
    for org_id in org_ids:
        jobs = JobBuffer()
        async with tenant_session(runtime.session_factory, org_id) as session:
            await enqueue_brain_run(session, org_id, RunTrigger.schedule, jobs=jobs)
        await jobs.flush(dispatcher)
