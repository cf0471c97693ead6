"""Starting brain runs: the one-run-per-tenant rule, stale-run recovery and enqueueing.

A tenant has at most one queued-or-running run. The database enforces it (a partial unique
index on `brain_runs(organization_id) WHERE status IN ('queued','running')`); this module
turns a collision into a 409 problem for people (`start_run`) and into "reuse the run that
is already coming" for machines (`enqueue_brain_run`, used by the scheduler and by syncs).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from brain.brain_modules.runs.models import BrainRun, RunStatus, RunTrigger
from brain.brain_modules.runs.repository import BrainRunRepository, pipeline_context
from brain.core.auth import AuthContext
from brain.core.errors import ProblemError
from brain.core.jobs import CeleryDispatcher, JobBuffer
from brain.core.models import utcnow

logger = logging.getLogger("brain.brain_modules.runs")

RUN_JOB = "brain.run_pipeline"
MODULES = ("features", "memory", "oracle", "curiosity", "face")
DEFAULT_RUN_TIMEOUT = timedelta(minutes=60)
# Tasks spawned after commit for callers without a request's job buffer (kept referenced).
_background: set[asyncio.Task[None]] = set()


class RunInProgress(ProblemError):
    """409: the tenant already has a queued or running run (its id is in `run_id`)."""

    def __init__(self, run: BrainRun) -> None:
        super().__init__(
            409,
            f"A brain run is already {run.status} for this organization; "
            "follow it at the URL in run_url, or wait for it to finish.",
            extra={
                "run_id": str(run.id),
                "run_url": f"/api/v1/organizations/{run.organization_id}/brain/runs/{run.id}",
            },
        )


def initial_modules() -> dict[str, Any]:
    return {
        name: {
            "status": "pending",
            "progress": 0.0,
            "started_at": None,
            "finished_at": None,
            "seconds": None,
            "error": None,
            "model_version": None,
            "notes": [],
        }
        for name in MODULES
    }


async def _expire_stale(
    session: AsyncSession, repo: BrainRunRepository, stale_after: timedelta, now: datetime
) -> BrainRun | None:
    """The active run, after failing it if it has been stuck longer than `stale_after`."""
    active = await repo.active()
    if active is None:
        return None
    since = active.started_at or active.created_at
    if now - since <= stale_after:
        return active
    active.status = RunStatus.failed.value
    active.finished_at = now
    active.error = (
        f"The run did not finish within {int(stale_after.total_seconds() // 60)} minutes; "
        "its worker was presumably lost."
    )
    await session.flush()
    return None


async def _insert_run(
    session: AsyncSession, repo: BrainRunRepository, trigger: RunTrigger,
    requested_by: uuid.UUID | None,
) -> BrainRun | None:
    """Insert a queued run; None when another transaction took the tenant's slot first."""
    run = BrainRun(
        trigger=trigger.value,
        status=RunStatus.queued.value,
        modules=initial_modules(),
        requested_by=requested_by,
    )
    try:
        async with session.begin_nested():
            repo.add(run)
            await session.flush()
    except IntegrityError:
        return None
    return run


async def start_run(
    session: AsyncSession,
    auth: AuthContext,
    *,
    jobs: JobBuffer,
    trigger: RunTrigger = RunTrigger.manual,
    stale_after: timedelta = DEFAULT_RUN_TIMEOUT,
    now: datetime | None = None,
) -> BrainRun:
    """Queue a run for the caller's organization; 409 (`RunInProgress`) if one is active."""
    repo = BrainRunRepository(session, auth)
    now = now or utcnow()
    active = await _expire_stale(session, repo, stale_after, now)
    if active is not None:
        raise RunInProgress(active)
    run = await _insert_run(session, repo, trigger, auth.user_id)
    if run is None:
        active = await repo.active()
        if active is not None:
            raise RunInProgress(active)
        raise ProblemError(409, "Another brain run was started at the same moment; retry.")
    jobs.enqueue(RUN_JOB, run_id=str(run.id), organization_id=str(auth.organization_id))
    return run


def _dispatch_after_commit(session: AsyncSession, run_id: uuid.UUID, org: uuid.UUID) -> None:
    """Send the run's job once `session` commits (for callers without a request buffer)."""

    def send(_session: Session) -> None:
        dispatcher = CeleryDispatcher()
        kwargs = {"run_id": str(run_id), "organization_id": str(org)}
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - always inside the async session's loop
            logger.warning("no event loop to enqueue brain run %s", run_id)
            return
        task = loop.create_task(dispatcher.dispatch(RUN_JOB, kwargs))
        _background.add(task)
        task.add_done_callback(_background.discard)

    event.listen(session.sync_session, "after_commit", send, once=True)


async def enqueue_brain_run(
    session: AsyncSession,
    organization_id: uuid.UUID,
    trigger: RunTrigger | str,
    *,
    jobs: JobBuffer | None = None,
    stale_after: timedelta = DEFAULT_RUN_TIMEOUT,
    executed_by_caller: bool = False,
) -> BrainRun:
    """Make sure a run of `organization_id` is coming, and return it.

    For the daily schedule and for the sync engine ("run after each successful sync"):
    when a run is already queued or running it is returned unchanged (the fresh data will
    be read by it or by the next one), otherwise a new queued run is inserted. The job is
    sent after the caller's transaction commits: through `jobs` when given, else straight
    to Celery; with `executed_by_caller` nothing is sent (`brain run` executes the run in
    its own process). The caller commits; the session must be allowed to see the tenant's
    rows (bound to the tenant, or in system mode).
    """
    auth = pipeline_context(organization_id, organization_id)
    repo = BrainRunRepository(session, auth)
    active = await _expire_stale(session, repo, stale_after, utcnow())
    if active is not None:
        return active
    run = await _insert_run(session, repo, RunTrigger(str(trigger)), None)
    if run is None:
        active = await repo.active()
        if active is None:
            raise RuntimeError("brain run slot taken and released concurrently")
        return active
    if executed_by_caller:
        return run
    if jobs is not None:
        jobs.enqueue(RUN_JOB, run_id=str(run.id), organization_id=str(organization_id))
    else:
        _dispatch_after_commit(session, run.id, organization_id)
    return run
