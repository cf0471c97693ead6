"""Tables of the integrations domain: connections, OAuth states, stream state, sync runs, leases.

Credentials are never stored in clear: `Connection.credentials_encrypted` holds the JSON of
`brain.integrations.base.Credentials` sealed with the runtime keyring (AES-GCM) and bound to
the connection's id as associated data, so a ciphertext copied onto another row won't open.
Use `seal_credentials` / `open_credentials` rather than touching the column.

Stream state (`ConnectionStreamState`) is written by the sync engine in the SAME transaction
as the records it covers. The one-running-sync-per-connection rule is a lease row
(`SyncLease`) with an expiry that the running worker keeps extending: a worker that dies
stops extending it and the next worker takes it over once it expires.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.crypto import Keyring
from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin
from brain.integrations.base import Credentials


class ConnectionStatus(StrEnum):
    """Lifecycle of a connection."""

    pending = "pending"  # waiting for the OAuth callback or an API key
    active = "active"
    needs_reauth = "needs_reauth"  # token refresh failed / revoked by the user at the provider
    error = "error"  # the last sync failed for a reason other than auth
    revoked = "revoked"  # deleted by the tenant (kept for the sync history)


class SyncStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class SyncKind(StrEnum):
    backfill = "backfill"
    delta = "delta"


class Connection(IdMixin, TenantMixin, TimestampMixin, Base):
    """A tenant's link to one provider account (real or sandbox)."""

    __tablename__ = "connections"
    __table_args__ = (
        Index("ix_connections_org_created", "organization_id", "created_at", "id"),
        Index("ix_connections_org_provider", "organization_id", "provider"),
        # The scheduler's cross-tenant scan for syncs inbound webhooks asked for.
        Index("ix_connections_webhook_sync_at", "webhook_sync_at"),
    )

    provider: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.pending.value)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    # Provider config (account ids, start date, …) — never secrets.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    granted_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Streams switched off by the tenant; every other stream of the connector is synced.
    disabled_streams: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Minutes between scheduled delta syncs; null = no schedule.
    schedule_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    backfill_start: Mapped[date | None] = mapped_column(default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    next_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Streams inbound webhooks want re-read (events without the object's data), gathered
    # until `webhook_sync_at`, when the scheduler queues one delta run of them all.
    webhook_sync_streams: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    webhook_sync_at: Mapped[datetime | None] = mapped_column(default=None)


def credentials_context(connection_id: uuid.UUID) -> str:
    """The AES-GCM associated data binding a ciphertext to its connection."""
    return f"integrations.connection:{connection_id}"


def seal_credentials(keyring: Keyring, connection: Connection, credentials: Credentials) -> None:
    """Encrypt `credentials` onto the connection (and mirror the non-secret expiry/scopes)."""
    connection.credentials_encrypted = keyring.encrypt(
        json.dumps(credentials.to_json()), context=credentials_context(connection.id)
    )
    connection.token_expires_at = credentials.expires_at
    if credentials.scopes:
        connection.granted_scopes = list(credentials.scopes)


def open_credentials(keyring: Keyring, connection: Connection) -> Credentials:
    """The connection's decrypted credentials (empty when it has none yet)."""
    if not connection.credentials_encrypted:
        return Credentials()
    plain = keyring.decrypt(
        connection.credentials_encrypted, context=credentials_context(connection.id)
    )
    return Credentials.from_json(json.loads(plain))


class OAuthState(IdMixin, TenantMixin, Base):
    """An authorization request in flight: the `state` (hashed) bound to the user's session."""

    __tablename__ = "oauth_states"
    __table_args__ = (
        Index("ix_oauth_states_org_connection", "organization_id", "connection_id"),
        Index("uq_oauth_states_state_hash", "state_hash", unique=True),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE")
    )
    state_hash: Mapped[str] = mapped_column(String(64))
    # The user session (or API key) that started the flow; the callback must present it.
    session_binding: Mapped[str] = mapped_column(String(64))
    code_verifier_encrypted: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ConnectionStreamState(IdMixin, TenantMixin, Base):
    """The last committed checkpoint of one stream of one connection (opaque JSON)."""

    __tablename__ = "connection_stream_states"
    __table_args__ = (
        Index(
            "uq_connection_stream_states_org_conn_stream",
            "organization_id",
            "connection_id",
            "stream",
            unique=True,
        ),
        Index("ix_connection_stream_states_connection_fk", "connection_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE")
    )
    stream: Mapped[str] = mapped_column(String(100))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sync_run_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]


class SyncRun(IdMixin, TenantMixin, TimestampMixin, Base):
    """One backfill or delta run of a connection, with per-stream counts."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_org_created", "organization_id", "created_at", "id"),
        Index("ix_sync_runs_org_connection", "organization_id", "connection_id", "created_at"),
        Index("ix_sync_runs_connection_fk", "connection_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE")
    )
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=SyncStatus.queued.value)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    start_date: Mapped[date]
    end_date: Mapped[date]
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    # {stream: {"rows_read": n, "rows_written": n, "status": ..., "through": day,
    #           "started_at": iso, "finished_at": iso, "seconds": s}}
    streams: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Only these streams (a run inbound webhooks asked for); None = every enabled stream.
    only_streams: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(2000), default=None)
    error_kind: Mapped[str | None] = mapped_column(String(40), default=None)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncLease(TenantMixin, Base):
    """The lock "one running sync per connection": held until `expires_at` unless renewed."""

    __tablename__ = "sync_leases"
    __table_args__ = (Index("ix_sync_leases_org_connection", "organization_id", "connection_id"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    sync_run_id: Mapped[uuid.UUID]
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
