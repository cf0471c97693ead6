"""Tables of outbound webhooks (and the dead letters both directions share)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, SoftDeleteMixin, TenantMixin, TimestampMixin


class WebhookEndpoint(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A tenant's receiver URL, the event types it subscribes to and its signing secret."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org_created", "organization_id",
                            "created_at", "id"),)

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    # After a rotation the old secret signs too, until it expires.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(500), default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    # Start of the current run of failed attempts (None after a success).
    failing_since: Mapped[datetime | None] = mapped_column(default=None)


class WebhookEvent(IdMixin, TenantMixin, Base):
    """The transactional outbox: one row per event, written in the producer's transaction;
    the dispatcher fans it out to the subscribed endpoints and stamps `dispatched_at`."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_org_created", "organization_id", "created_at", "id"),
        Index("ix_webhook_events_undispatched", "dispatched_at", "created_at"),
    )

    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDelivery(IdMixin, TenantMixin, Base):
    """One event to one endpoint: its state in the retry schedule and its lease."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_org_endpoint", "organization_id", "endpoint_id",
              "created_at", "id"),
        # The dispatcher's cross-tenant scan for due work.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(100))
    # pending | delivering | succeeded | dead
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDeliveryAttempt(IdMixin, TenantMixin, Base):
    """The delivery log: one row per HTTP attempt, with its outcome and timing."""

    __tablename__ = "webhook_delivery_attempts"
    __table_args__ = (
        Index("ix_webhook_delivery_attempts_org_endpoint", "organization_id", "endpoint_id",
              "requested_at", "id"),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(100))
    attempt_number: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDeadLetter(IdMixin, TenantMixin, Base):
    """A message that exhausted its retries, in or out; visible and replayable."""

    __tablename__ = "webhook_dead_letters"
    __table_args__ = (
        Index("ix_webhook_dead_letters_org_created", "organization_id", "created_at", "id"),
    )

    # outbound (a delivery) | inbound (a received event)
    direction: Mapped[str] = mapped_column(String(10))
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), default=None)
    inbound_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inbound_webhook_events.id", ondelete="CASCADE"), default=None)
    event_type: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column()
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)
