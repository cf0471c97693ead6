"""Background jobs of the integrations domain: run a sync, and the per-connection schedule.

`integrations.schedule_syncs` runs every minute from beat: every active connection whose
`next_sync_at` has come (its own `schedule_minutes` apart) gets a delta sync queued, a
connection whose inbound webhooks marked streams for a sync gets one run of those streams
(`brain.integrations.webhook_syncs`), and sync runs whose worker died (status queued/running,
lease missing or expired) are sent again — the engine resumes them from their last
checkpoint.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import Quota
from brain.billing.gates import admit_job
from brain.core.db import system_session
from brain.core.jobs import CeleryDispatcher, Dispatcher, job
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.finops.metering import record_job_usage
from brain.integrations.engine import SyncEngine
from brain.integrations.loaders import job_auth
from brain.integrations.models import (
    Connection,
    ConnectionStatus,
    SyncKind,
    SyncLease,
    SyncRun,
    SyncStatus,
)
from brain.integrations.repository import SyncRunRepository
from brain.integrations.service import request_sync
from brain.integrations.webhook_syncs import (
    WEBHOOK_SYNC_RETRY,
    WEBHOOK_TRIGGER,
    clear_webhook_sync,
    webhook_streams,
)

logger = logging.getLogger("brain.integrations.tasks")

RUN_SYNC_JOB = "integrations.run_sync"
SCHEDULE_JOB = "integrations.schedule_syncs"
_SCHEDULE_BATCH = 200


@job(RUN_SYNC_JOB)
async def run_sync(runtime: Runtime, *, sync_run_id: str, organization_id: str) -> None:
    """Run (or resume) one sync run; its worker time is metered (`sync_minutes`)."""
    started = time.monotonic()
    result = await SyncEngine(runtime).run(
        sync_run_id=uuid.UUID(sync_run_id), organization_id=uuid.UUID(organization_id)
    )
    logger.info("sync %s finished with %s", sync_run_id, result.status)
    if result.status not in ("busy", "missing"):
        await record_job_usage(runtime, uuid.UUID(organization_id), "sync_minutes",
                               (time.monotonic() - started) / 60)


async def schedule_due_syncs(runtime: Runtime, dispatcher: Dispatcher | None = None) -> int:
    """Queue delta syncs that are due and re-send orphaned runs; returns how many were sent."""
    now = utcnow()
    stale_before = now - timedelta(seconds=2 * runtime.settings.integrations_sync_lease_seconds)
    to_send: list[tuple[uuid.UUID, uuid.UUID]] = []
    async with system_session(runtime.session_factory) as session:
        due = await session.scalars(
            select(Connection)
            .where(
                Connection.status.in_(
                    [ConnectionStatus.active.value, ConnectionStatus.error.value]
                ),
                Connection.schedule_minutes.is_not(None),
                Connection.next_sync_at.is_not(None),
                Connection.next_sync_at <= now,
            )
            .limit(_SCHEDULE_BATCH)
        )
        for connection in due.all():
            assert connection.schedule_minutes is not None
            connection.next_sync_at = now + timedelta(minutes=connection.schedule_minutes)
            try:
                async with session.begin_nested():
                    # Not for a read-only organization; one of the plan's syncs per day, and
                    # the month's events must have room (refusals are logged and skipped).
                    await admit_job(session, connection.organization_id,
                                    quota=Quota.syncs_per_day, room=Quota.events_per_month,
                                    clock=runtime.clock)
                    run = await request_sync(
                        session,
                        job_auth(connection.organization_id, connection.id),
                        connection,
                        mode=SyncKind.delta,
                        start_date=None,
                        end_date=None,
                        trigger="schedule",
                    )
            except Exception as exc:  # a sync already in flight, or refused: skip this round
                logger.info("connection %s not scheduled: %s", connection.id, exc)
                continue
            to_send.append((run.id, connection.organization_id))
        to_send.extend(await _queue_webhook_syncs(session, runtime, now))
        orphans = await session.execute(
            select(SyncRun.id, SyncRun.organization_id)
            .outerjoin(SyncLease, SyncLease.connection_id == SyncRun.connection_id)
            .where(
                SyncRun.status.in_([SyncStatus.queued.value, SyncStatus.running.value]),
                SyncRun.updated_at < stale_before,
                (SyncLease.connection_id.is_(None)) | (SyncLease.expires_at < now),
            )
            .limit(_SCHEDULE_BATCH)
        )
        to_send.extend((run_id, org) for run_id, org in orphans.all())
    sender = dispatcher or CeleryDispatcher()
    for run_id, org in to_send:
        await sender.dispatch(
            RUN_SYNC_JOB, {"sync_run_id": str(run_id), "organization_id": str(org)}
        )
    return len(to_send)


async def _queue_webhook_syncs(
    session: AsyncSession, runtime: Runtime, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """One delta run per connection whose webhook-marked streams are due (see
    `brain.integrations.webhook_syncs`), through today, of those streams only."""
    queued: list[tuple[uuid.UUID, uuid.UUID]] = []
    due = await session.scalars(
        select(Connection)
        .where(
            Connection.status.in_([ConnectionStatus.active.value, ConnectionStatus.error.value]),
            Connection.webhook_sync_at.is_not(None),
            Connection.webhook_sync_at <= now,
        )
        .order_by(Connection.webhook_sync_at)
        .limit(_SCHEDULE_BATCH)
    )
    for connection in due.all():
        streams = webhook_streams(connection)
        if not streams:
            clear_webhook_sync(connection)
            continue
        auth = job_auth(connection.organization_id, connection.id)
        if await SyncRunRepository(session, auth).active(connection.id) is not None:
            continue  # after the run in flight (it may have started before the events)
        try:
            async with session.begin_nested():
                await admit_job(session, connection.organization_id,
                                quota=Quota.syncs_per_day, room=Quota.events_per_month,
                                clock=runtime.clock)
                run = await request_sync(
                    session, auth, connection, mode=SyncKind.delta, start_date=None,
                    end_date=now.date(), trigger=WEBHOOK_TRIGGER, only_streams=streams,
                )
        except Exception as exc:  # refused by the plan: try again later
            logger.info("connection %s: webhook sync not queued: %s", connection.id, exc)
            connection.webhook_sync_at = now + WEBHOOK_SYNC_RETRY
            continue
        clear_webhook_sync(connection)
        queued.append((run.id, connection.organization_id))
    return queued


@job(SCHEDULE_JOB)
async def schedule_syncs(runtime: Runtime) -> None:
    """Beat: queue the connections' scheduled delta syncs and resume orphaned runs."""
    sent = await schedule_due_syncs(runtime)
    if sent:
        logger.info("sent %d sync run(s)", sent)
