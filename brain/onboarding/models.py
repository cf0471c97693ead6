"""A member's onboarding preference in one organization (the checklist hidden or not)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin


class OnboardingPreference(IdMixin, TenantMixin, TimestampMixin, Base):
    """One row per member who has dismissed the checklist of the organization."""

    __tablename__ = "onboarding_preferences"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        Index("ix_onboarding_preferences_user", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dismissed_at: Mapped[datetime | None] = mapped_column(default=None)
