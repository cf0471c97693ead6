"""Usage per tenant per day: one row per (day, meter, dimension), added to in place."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin


class UsageDaily(IdMixin, TenantMixin, Base):
    """How much of one meter (e.g. `llm_tokens_in`, dimension = the model) a tenant used on
    one UTC day."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        UniqueConstraint("organization_id", "day", "meter", "dimension"),
        Index("ix_usage_daily_org_day", "organization_id", "day"),
    )

    day: Mapped[date]
    meter: Mapped[str] = mapped_column(String(40))
    # "" when the meter has no dimension (NULL would defeat the unique constraint).
    dimension: Mapped[str] = mapped_column(String(100), default="")
    amount: Mapped[float] = mapped_column(Float, default=0.0)
