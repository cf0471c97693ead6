"""Rows that tick (or do not tick) the onboarding steps, written directly."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.runs.models import BrainRun
from brain.core.db import set_system_mode
from brain.integrations.models import Connection, SyncRun
from brain.organizations.models import Invite
from brain.warehouse.models import Channel, DailyMetric, ImportJob, daily_metric_id

DAY = date(2026, 3, 1)


async def add_connection(
    db: AsyncSession, org: uuid.UUID, *, status: str = "active", revoked_at: datetime | None = None
) -> Connection:
    await set_system_mode(db, True)
    connection = Connection(organization_id=org, provider="meta_ads", name="Meta (sandbox)",
                            status=status, sandbox=True, revoked_at=revoked_at)
    db.add(connection)
    await db.commit()
    return connection


async def add_sync(
    db: AsyncSession, connection: Connection, *, status: str, finished_at: datetime | None
) -> SyncRun:
    await set_system_mode(db, True)
    run = SyncRun(organization_id=connection.organization_id, connection_id=connection.id,
                  mode="backfill", status=status, start_date=DAY, end_date=DAY,
                  finished_at=finished_at)
    db.add(run)
    await db.commit()
    return run


async def add_import(
    db: AsyncSession, org: uuid.UUID, *, status: str, finished_at: datetime | None
) -> ImportJob:
    await set_system_mode(db, True)
    job = ImportJob(organization_id=org, kind="daily_metrics", status=status,
                    filename="march.csv", finished_at=finished_at)
    db.add(job)
    await db.commit()
    return job


async def add_metric(db: AsyncSession, org: uuid.UUID, *, created_at: datetime) -> DailyMetric:
    await set_system_mode(db, True)
    channel = Channel(organization_id=org, name="Meta Ads", platform="meta")
    db.add(channel)
    await db.flush()
    metric = DailyMetric(id=daily_metric_id(org, DAY, channel.id, None, None),
                         organization_id=org, date=DAY, channel_id=channel.id,
                         impressions=100, clicks=5, spend=10.0, conversions=1.0, revenue=30.0,
                         created_at=created_at, updated_at=created_at)
    db.add(metric)
    await db.commit()
    return metric


async def add_brain_run(
    db: AsyncSession, org: uuid.UUID, *, status: str, finished_at: datetime | None
) -> BrainRun:
    await set_system_mode(db, True)
    run = BrainRun(organization_id=org, status=status, finished_at=finished_at,
                   started_at=finished_at - timedelta(minutes=1) if finished_at else None)
    db.add(run)
    await db.commit()
    return run


async def add_invite(
    db: AsyncSession, org: uuid.UUID, *, created_at: datetime,
    deleted_at: datetime | None = None, accepted_at: datetime | None = None,
) -> Invite:
    await set_system_mode(db, True)
    invite = Invite(organization_id=org, email=f"mate-{secrets.token_hex(3)}@example.com",
                    role="analyst", token_hash=secrets.token_hex(32),
                    expires_at=created_at + timedelta(days=7), created_at=created_at,
                    updated_at=created_at, deleted_at=deleted_at, accepted_at=accepted_at)
    db.add(invite)
    await db.commit()
    return invite
