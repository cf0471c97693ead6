"""The organization (tenant) table."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, SoftDeleteMixin, TimestampMixin

DEFAULT_RETENTION_DAYS = 730


class Organization(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    data_retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    # Set on tenants created by `brain seed`: the simulator vertical they hold.
    demo_vertical: Mapped[str | None] = mapped_column(String(40), default=None)
