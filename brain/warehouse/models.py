"""Tables of the marketing data store (every row belongs to one organization)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, SoftDeleteMixin, TenantMixin, TimestampMixin

# Money is exact in PostgreSQL (NUMERIC) and handled as float in Python and JSON.
Money = Numeric(18, 4, asdecimal=False)


class Platform(StrEnum):
    meta = "meta"
    google = "google"
    youtube = "youtube"
    tiktok = "tiktok"
    ga4 = "ga4"
    hubspot = "hubspot"
    salesforce = "salesforce"
    shopify = "shopify"
    other = "other"


class CreativeFormat(StrEnum):
    image = "image"
    video = "video"
    carousel = "carousel"
    text = "text"


class ImportKind(StrEnum):
    daily_metrics = "daily_metrics"
    orders = "orders"


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


def _live_unique(name: str, *columns: str) -> Index:
    """Unique among rows that are not soft-deleted (partial index on both dialects)."""
    where = text("deleted_at IS NULL")
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


class Channel(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    """An ad or data platform account (platform + external account id)."""

    __tablename__ = "channels"
    __table_args__ = (
        _live_unique("uq_channels_org_name", "organization_id", "name"),
        Index("ix_channels_org_created", "organization_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20))
    external_account_id: Mapped[str | None] = mapped_column(String(200), default=None)

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.id.in_(channel_ids)


class Campaign(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        _live_unique("uq_campaigns_org_channel_name", "organization_id", "channel_id", "name"),
        Index("ix_campaigns_org_created", "organization_id", "created_at", "id"),
        Index("ix_campaigns_org_channel", "organization_id", "channel_id"),
        Index("ix_campaigns_channel_fk", "channel_id"),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str | None] = mapped_column(String(100), default=None)

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.channel_id.in_(channel_ids)


class AdSet(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "ad_sets"
    __table_args__ = (
        _live_unique("uq_ad_sets_org_campaign_name", "organization_id", "campaign_id", "name"),
        Index("ix_ad_sets_org_created", "organization_id", "created_at", "id"),
        Index("ix_ad_sets_org_campaign", "organization_id", "campaign_id"),
        Index("ix_ad_sets_campaign_fk", "campaign_id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.campaign_id.in_(
            select(Campaign.id).where(Campaign.channel_id.in_(channel_ids))
        )


class Creative(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "creatives"
    __table_args__ = (
        _live_unique("uq_creatives_org_campaign_name", "organization_id", "campaign_id", "name"),
        Index("ix_creatives_org_created", "organization_id", "created_at", "id"),
        Index("ix_creatives_org_campaign", "organization_id", "campaign_id"),
        Index("ix_creatives_campaign_fk", "campaign_id"),
        Index("ix_creatives_ad_set_fk", "ad_set_id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    ad_set_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ad_sets.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    copy_length: Mapped[int | None] = mapped_column(default=None)
    cta: Mapped[str | None] = mapped_column(String(100), default=None)
    launched_on: Mapped[date | None] = mapped_column(default=None)

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.campaign_id.in_(
            select(Campaign.id).where(Campaign.channel_id.in_(channel_ids))
        )


class DailyMetric(IdMixin, TenantMixin, TimestampMixin, Base):
    """Delivery and results of one day at channel, campaign or creative grain.

    The id is derived from the natural key (organization, date, channel, campaign, creative),
    so upserts conflict on the primary key on both dialects.
    """

    __tablename__ = "daily_metrics"
    __table_args__ = (
        Index("ix_daily_metrics_org_date", "organization_id", "date", "id"),
        Index("ix_daily_metrics_org_created", "organization_id", "created_at", "id"),
        Index("ix_daily_metrics_org_channel_date", "organization_id", "channel_id", "date"),
        Index("ix_daily_metrics_org_creative_date", "organization_id", "creative_id", "date"),
    )

    date: Mapped[date]
    # No foreign keys on the entity columns (ADR 0002): references are checked by the
    # service before every write, and deleting an entity deletes its metric rows.
    channel_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    creative_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    spend: Mapped[float] = mapped_column(Money, default=0.0)
    conversions: Mapped[float] = mapped_column(Float, default=0.0)
    revenue: Mapped[float] = mapped_column(Money, default=0.0)
    frequency: Mapped[float | None] = mapped_column(Float, default=None)
    video_views: Mapped[int | None] = mapped_column(BigInteger, default=None)

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.channel_id.in_(channel_ids)


_METRIC_KEY_NAMESPACE = uuid.UUID("6f1c2a2e-5b7d-4c1e-9a52-0d3b8e7f4a10")


def daily_metric_id(
    organization_id: uuid.UUID,
    day: date,
    channel_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    creative_id: uuid.UUID | None,
) -> uuid.UUID:
    """The deterministic id of a daily-metric row from its natural key."""
    parts = (organization_id, day.isoformat(), channel_id, campaign_id or "-", creative_id or "-")
    key = "|".join(str(p) for p in parts)
    return uuid.uuid5(_METRIC_KEY_NAMESPACE, key)


class Customer(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        _live_unique("uq_customers_org_external", "organization_id", "external_id"),
        Index("ix_customers_org_created", "organization_id", "created_at", "id"),
        Index("ix_customers_acquisition_channel_fk", "acquisition_channel_id"),
    )

    external_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    first_order_on: Mapped[date | None] = mapped_column(default=None)
    acquisition_channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), default=None
    )

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.acquisition_channel_id.in_(channel_ids)


class Order(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        _live_unique("uq_orders_org_external", "organization_id", "external_id"),
        Index("ix_orders_org_created", "organization_id", "created_at", "id"),
        Index("ix_orders_org_date", "organization_id", "order_date", "id"),
        Index("ix_orders_org_customer", "organization_id", "customer_id"),
        # Leads with the foreign key; a customer's earliest order is its range's first entry.
        Index("ix_orders_customer_date", "customer_id", "order_date"),
        Index("ix_orders_channel_fk", "channel_id"),
    )

    external_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE")
    )
    order_date: Mapped[date]
    revenue: Mapped[float] = mapped_column(Money)
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), default=None
    )

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see."""
        return cls.channel_id.in_(channel_ids)


class ImportJob(IdMixin, TenantMixin, TimestampMixin, Base):
    """A CSV upload being (or having been) imported."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_org_created", "organization_id", "created_at", "id"),)

    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.queued.value)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    file_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_processed: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    # The first rejected rows as [{line, message}] (capped; rows_rejected has the total).
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failure_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
