"""Tables of inbound webhooks: the inbox of received events and the per-connection signing
secret (sealed with the keyring, bound to the connection)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin
from brain.integrations import models as _connections  # noqa: F401  (the FK target table)


class InboundWebhookEvent(IdMixin, TenantMixin, Base):
    """One received event, stored before it is acknowledged; unique per provider event id
    so a replayed delivery is stored (and processed) once."""

    __tablename__ = "inbound_webhook_events"
    __table_args__ = (
        Index("uq_inbound_webhook_events_org_conn_event", "organization_id", "connection_id",
              "provider_event_id", unique=True),
        Index("ix_inbound_webhook_events_org_received", "organization_id", "received_at", "id"),
        # The processor's cross-tenant scan for due work.
        Index("ix_inbound_webhook_events_due", "status", "next_attempt_at"),
        Index("ix_inbound_webhook_events_connection_fk", "connection_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40))
    provider_event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column()
    # pending | processing | processed | ignored | dead
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class InboundWebhookSecret(IdMixin, TenantMixin, TimestampMixin, Base):
    """The secret a connection's provider signs its webhooks with (one per connection)."""

    __tablename__ = "inbound_webhook_secrets"
    __table_args__ = (
        Index("uq_inbound_webhook_secrets_org_connection", "organization_id", "connection_id",
              unique=True),
        Index("uq_inbound_webhook_secrets_connection", "connection_id", unique=True),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"))
    secret_encrypted: Mapped[str] = mapped_column(String(1000))
