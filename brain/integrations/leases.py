"""The "one running sync per connection" lock: a lease row with an expiry, in the database.

A worker takes the lease when there is none or the existing one has expired (its holder died
or hung), renews it in every checkpoint transaction, and deletes it when the run ends. Because
renewal happens in the same transaction as the records and state it commits, a worker whose
lease was taken over can never commit another batch: its renewal matches no row and the
transaction is rolled back (`LeaseLost`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from brain.integrations.models import SyncLease


class LeaseLost(Exception):
    """Another worker holds the connection's lease now; this worker must stop writing."""


async def acquire_lease(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    sync_run_id: uuid.UUID,
    holder: str,
    now: datetime,
    ttl: timedelta,
) -> SyncLease | None:
    """Take the connection's lease for `sync_run_id`, or None when a live holder has it.

    A live lease already held by this `holder` is renewed. Runs in the caller's
    transaction; the caller commits at once so others see the lease.
    """
    result = await session.execute(
        update(SyncLease)
        .where(
            SyncLease.connection_id == connection_id,
            (SyncLease.expires_at < now) | (SyncLease.holder == holder),
        )
        .values(sync_run_id=sync_run_id, holder=holder, acquired_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return await session.get(SyncLease, connection_id, populate_existing=True)
    existing = await session.scalar(
        select(SyncLease).where(SyncLease.connection_id == connection_id)
    )
    if existing is not None:
        return None
    lease = SyncLease(
        organization_id=organization_id,
        connection_id=connection_id,
        sync_run_id=sync_run_id,
        holder=holder,
        acquired_at=now,
        expires_at=now + ttl,
    )
    try:
        async with session.begin_nested():
            session.add(lease)
    except IntegrityError:
        return None  # another worker inserted it a moment ago
    return lease


async def renew_lease(
    session: AsyncSession, *, connection_id: uuid.UUID, holder: str, now: datetime, ttl: timedelta
) -> None:
    """Extend our lease in the caller's transaction; `LeaseLost` if it is no longer ours."""
    result = await session.execute(
        update(SyncLease)
        .where(SyncLease.connection_id == connection_id, SyncLease.holder == holder)
        .values(expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LeaseLost(str(connection_id))


async def release_lease(session: AsyncSession, *, connection_id: uuid.UUID, holder: str) -> None:
    """Drop our lease (no-op if someone else holds it now)."""
    await session.execute(
        delete(SyncLease)
        .where(SyncLease.connection_id == connection_id, SyncLease.holder == holder)
        .execution_options(synchronize_session=False)
    )
