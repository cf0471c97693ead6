"""Background jobs of the brain: execute a run, and the daily schedule of runs."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from brain.billing.gates import BRAIN_RUN_ENTITLEMENT, REFUSALS, admit_job, admit_machine_run
from brain.brain_modules.pipeline import execute_run
from brain.brain_modules.runs.models import RunStatus, RunTrigger
from brain.brain_modules.runs.repository import BrainRunRepository, pipeline_context
from brain.brain_modules.runs.service import enqueue_brain_run
from brain.core.db import system_session, tenant_session
from brain.core.jobs import JobBuffer, job
from brain.core.runtime import Runtime
from brain.finops.metering import record_job_usage
from brain.organizations.models import Organization

logger = logging.getLogger("brain.brain_modules.tasks")


@job("brain.run_pipeline")
async def run_pipeline(runtime: Runtime, *, run_id: str, organization_id: str) -> None:
    """Execute one queued brain run (features -> MEMORY -> ORACLE -> CURIOSITY -> FACE)."""
    if not await _plan_allows_run(runtime, uuid.UUID(organization_id), uuid.UUID(run_id)):
        return
    status = await execute_run(
        runtime, organization_id=uuid.UUID(organization_id), run_id=uuid.UUID(run_id)
    )
    logger.info("brain run %s of %s: %s", run_id, organization_id, status)
    if status != "skipped":
        await _meter_run(runtime, uuid.UUID(organization_id), uuid.UUID(run_id))


async def _meter_run(runtime: Runtime, organization_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Meter the run's compute (`brain_cpu_seconds`): the seconds its modules took, which
    are CPU-bound work on one core each."""
    async with tenant_session(runtime.session_factory, organization_id) as session:
        run = await BrainRunRepository(session, pipeline_context(organization_id, run_id)) \
            .fresh(run_id)
        modules = dict(run.modules or {}) if run is not None else {}
    seconds = sum(float(m.get("seconds") or 0.0) for m in modules.values()
                  if isinstance(m, dict))
    await record_job_usage(runtime, organization_id, "brain_cpu_seconds", seconds)


async def _plan_allows_run(
    runtime: Runtime, organization_id: uuid.UUID, run_id: uuid.UUID
) -> bool:
    """When the run starts, the plan must still include the brain and the organization must
    not be read-only; otherwise the queued run fails with the reason (its quota was counted
    when it was accepted)."""
    async with tenant_session(runtime.session_factory, organization_id) as session:
        try:
            await admit_job(session, organization_id, entitlement=BRAIN_RUN_ENTITLEMENT,
                            clock=runtime.clock)
        except REFUSALS as exc:
            repo = BrainRunRepository(session, pipeline_context(organization_id, run_id))
            run = await repo.fresh(run_id)
            if run is not None and run.status == RunStatus.queued.value:
                run.status = RunStatus.failed.value
                run.finished_at = runtime.clock.now()
                run.error = f"Not run: {exc.detail}"[:1900]
            logger.info("brain run %s of %s refused: %s", run_id, organization_id, exc.detail)
            return False
    return True


@job("brain.schedule_daily_runs")
async def schedule_daily_runs(runtime: Runtime) -> None:
    """Queue a scheduled run for every live organization that has none queued or running,
    when its plan allows one more brain run today (and it is not read-only)."""
    from brain.core.jobs import CeleryDispatcher

    async with system_session(runtime.session_factory) as session:
        org_ids = list((await session.scalars(
            select(Organization.id).where(Organization.deleted_at.is_(None))
        )).all())
    dispatcher = CeleryDispatcher()
    for org_id in org_ids:
        jobs = JobBuffer()
        async with tenant_session(runtime.session_factory, org_id) as session:
            if await admit_machine_run(session, org_id, clock=runtime.clock, jobs=jobs):
                await enqueue_brain_run(session, org_id, RunTrigger.schedule, jobs=jobs)
        await jobs.flush(dispatcher)
