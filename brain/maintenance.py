"""Periodic housekeeping jobs run by Celery beat."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select

from brain.core.db import system_session
from brain.core.idempotency import purge_expired
from brain.core.jobs import job
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.organizations.models import Organization
from brain.warehouse.models import DailyMetric, Order

logger = logging.getLogger("brain.maintenance")


@job("maintenance.purge_idempotency_records")
async def purge_idempotency_records(runtime: Runtime) -> None:
    """Delete stored idempotent responses older than their time to live."""
    async with system_session(runtime.session_factory) as session:
        removed = await purge_expired(
            session, timedelta(hours=runtime.settings.idempotency_ttl_hours)
        )
    logger.info("purged %d idempotency records", removed)


@job("maintenance.apply_data_retention")
async def apply_data_retention(runtime: Runtime) -> None:
    """Delete each organization's facts older than its `data_retention_days`."""
    async with system_session(runtime.session_factory) as session:
        orgs = (
            await session.execute(
                select(Organization.id, Organization.data_retention_days).where(
                    Organization.deleted_at.is_(None)
                )
            )
        ).all()
        today = utcnow().date()
        for org_id, days in orgs:
            cutoff = today - timedelta(days=days)
            await session.execute(
                delete(DailyMetric).where(
                    DailyMetric.organization_id == org_id, DailyMetric.date < cutoff
                )
            )
            await session.execute(
                delete(Order).where(Order.organization_id == org_id, Order.order_date < cutoff)
            )
