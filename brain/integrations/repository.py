"""Tenant-scoped queries of the integrations domain (all through `TenantRepository`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update

from brain.core.tenancy import TenantRepository
from brain.integrations.models import (
    Connection,
    ConnectionStatus,
    ConnectionStreamState,
    OAuthState,
    SyncRun,
    SyncStatus,
)


class ConnectionRepository(TenantRepository[Connection]):
    model = Connection
    label = "Connection"

    def select(self) -> Select[Connection]:
        """Live connections (revoked ones stay only for their sync history)."""
        return super().select().where(Connection.status != ConnectionStatus.revoked.value)

    def list_statement(self, *, provider: str | None = None) -> Select[Any]:
        stmt = self.select()
        if provider is not None:
            stmt = stmt.where(Connection.provider == provider)
        return stmt


class SyncRunRepository(TenantRepository[SyncRun]):
    model = SyncRun
    label = "Sync"

    def list_statement(self, connection_id: uuid.UUID) -> Select[Any]:
        return self.select().where(SyncRun.connection_id == connection_id)

    async def get_for_connection(
        self, connection_id: uuid.UUID, sync_id: uuid.UUID
    ) -> SyncRun | None:
        result: SyncRun | None = await self.session.scalar(
            self.select().where(SyncRun.connection_id == connection_id, SyncRun.id == sync_id)
        )
        return result

    async def update_progress(
        self,
        run_id: uuid.UUID,
        *,
        rows_read: int,
        rows_written: int,
        streams: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Write a run's counters in one statement (the sync engine's checkpoint path)."""
        result = await self.session.execute(
            update(SyncRun)
            .where(SyncRun.organization_id == self.auth.organization_id, SyncRun.id == run_id)
            .values(rows_read=rows_read, rows_written=rows_written, streams=streams,
                    updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def active(self, connection_id: uuid.UUID) -> SyncRun | None:
        """The connection's queued or running sync, if any."""
        result: SyncRun | None = await self.session.scalar(
            self.select()
            .where(
                SyncRun.connection_id == connection_id,
                SyncRun.status.in_([SyncStatus.queued.value, SyncStatus.running.value]),
            )
            .order_by(SyncRun.created_at.desc())
            .limit(1)
        )
        return result


class StreamStateRepository(TenantRepository[ConnectionStreamState]):
    model = ConnectionStreamState
    label = "Stream state"

    async def get_stream(
        self, connection_id: uuid.UUID, stream: str
    ) -> ConnectionStreamState | None:
        result: ConnectionStreamState | None = await self.session.scalar(
            self.select().where(
                ConnectionStreamState.connection_id == connection_id,
                ConnectionStreamState.stream == stream,
            )
        )
        return result

    async def update_state(
        self,
        connection_id: uuid.UUID,
        stream: str,
        state: dict[str, Any],
        sync_run_id: uuid.UUID,
        now: datetime,
    ) -> bool:
        """Overwrite a stream's checkpoint in one statement; False when it has none yet."""
        result = await self.session.execute(
            update(ConnectionStreamState)
            .where(
                ConnectionStreamState.organization_id == self.auth.organization_id,
                ConnectionStreamState.connection_id == connection_id,
                ConnectionStreamState.stream == stream,
            )
            .values(state=state, sync_run_id=sync_run_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def for_connection(self, connection_id: uuid.UUID) -> list[ConnectionStreamState]:
        rows = await self.session.scalars(
            self.select().where(ConnectionStreamState.connection_id == connection_id)
        )
        return list(rows.all())


class OAuthStateRepository(TenantRepository[OAuthState]):
    model = OAuthState
    label = "Authorization"


async def find_oauth_state(session: Any, state_hash: str) -> OAuthState | None:
    """The authorization in flight with this state hash, across tenants (the callback comes
    before the tenant is known; the caller must run in system mode)."""
    result: OAuthState | None = await session.scalar(
        select(OAuthState).where(OAuthState.state_hash == state_hash)
    )
    return result
