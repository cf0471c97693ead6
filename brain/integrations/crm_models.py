"""The CRM lifecycle table: HubSpot contacts and deals, Salesforce leads and opportunities,
one row per CRM object with where it stands in the funnel.

Rows are upserted by their natural key (organization, source, kind, external id) whenever
a sync reads the object again, so the table always holds each object's latest stage. The
person behind a record is kept only as a SHA-256 of the lower-cased e-mail (never the
address) and, when the warehouse knows them, as a link to their `customers` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ColumnElement, Float, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin
from brain.integrations import models as _connections  # noqa: F401  (the FK target table)
from brain.warehouse.models import Customer


class CrmSource(StrEnum):
    hubspot = "hubspot"
    salesforce = "salesforce"


class CrmKind(StrEnum):
    contact = "contact"
    deal = "deal"
    lead = "lead"
    opportunity = "opportunity"


class FunnelStage(StrEnum):
    """Provider stages mapped onto one funnel, in funnel order (`lost` and `other` last)."""

    subscriber = "subscriber"
    lead = "lead"
    mql = "mql"
    sql = "sql"
    opportunity = "opportunity"
    customer = "customer"
    lost = "lost"
    other = "other"


FUNNEL_ORDER: tuple[FunnelStage, ...] = tuple(FunnelStage)


class CrmRecord(IdMixin, TenantMixin, TimestampMixin, Base):
    """One CRM object's latest lifecycle state."""

    __tablename__ = "crm_records"
    __table_args__ = (
        Index("uq_crm_records_org_source_kind_external", "organization_id", "source", "kind",
              "external_id", unique=True),
        Index("ix_crm_records_org_updated", "organization_id", "updated_at", "id"),
        Index("ix_crm_records_org_funnel", "organization_id", "funnel_stage"),
        Index("ix_crm_records_connection_fk", "connection_id"),
        Index("ix_crm_records_customer_fk", "customer_id"),
    )

    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None)
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    # A deal's or opportunity's name (contacts and leads keep none: they are people).
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    email_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), default=None)
    # The contact of a deal, the account of an opportunity (the provider's id).
    related_external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    stage: Mapped[str] = mapped_column(String(100))  # the provider's own stage value
    funnel_stage: Mapped[str] = mapped_column(String(20))
    amount: Mapped[float | None] = mapped_column(Float, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    source_created_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # {funnel stage: when the record entered it} as far as the provider says.
    stage_dates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    # {property: when the change applied from a webhook event happened} since the last read
    # (a sync's upsert clears it): an older event of the same property is not applied.
    property_changed_at: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    @classmethod
    def channel_scope(cls, channel_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows a member restricted to `channel_ids` may see: records of their customers."""
        return cls.customer_id.in_(
            select(Customer.id).where(Customer.acquisition_channel_id.in_(channel_ids))
        )
