"""The organization (tenant) table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, SoftDeleteMixin, TenantMixin, TimestampMixin

DEFAULT_RETENTION_DAYS = 730


class Organization(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    data_retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    # Set on tenants created by `brain seed`: the simulator vertical they hold.
    demo_vertical: Mapped[str | None] = mapped_column(String(40), default=None)
    plan: Mapped[str] = mapped_column(String(20), default="trial")
    mfa_required: Mapped[bool] = mapped_column(default=False)
    session_idle_minutes: Mapped[int] = mapped_column(default=30)
    session_absolute_hours: Mapped[int] = mapped_column(default=12)


class Membership(IdMixin, TenantMixin, TimestampMixin, Base):
    """A user's place in an organization: a built-in role or a custom role."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        Index("ix_memberships_org_created", "organization_id", "created_at", "id"),
        Index("ix_memberships_user", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A built-in role name (owner, admin, analyst, viewer), or "custom".
    role: Mapped[str] = mapped_column(String(20))
    custom_role_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="RESTRICT"), default=None
    )
    # When true, the member sees only the resources granted in `resource_grants`.
    restricted: Mapped[bool] = mapped_column(default=False)


class CustomRole(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    """An organization's own role: a named set of `resource:action` permissions."""

    __tablename__ = "custom_roles"
    __table_args__ = (
        Index("ix_custom_roles_org_created", "organization_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class ResourceGrant(IdMixin, TenantMixin, TimestampMixin, Base):
    """Access for a restricted member to one resource (a channel or an integration)."""

    __tablename__ = "resource_grants"
    __table_args__ = (
        UniqueConstraint("organization_id", "membership_id", "resource_type", "resource_id"),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE")
    )
    resource_type: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[uuid.UUID]


class Invite(IdMixin, TenantMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_org_created", "organization_id", "created_at", "id"),)

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    custom_role_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="CASCADE"), default=None
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)


class SsoConnection(IdMixin, TenantMixin, TimestampMixin, Base):
    """An organization's OpenID Connect identity provider."""

    __tablename__ = "sso_connections"
    __table_args__ = (UniqueConstraint("organization_id"),)

    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret_encrypted: Mapped[str] = mapped_column(String(2000))
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_role: Mapped[str] = mapped_column(String(20), default="viewer")
    role_claim: Mapped[str | None] = mapped_column(String(100), default=None)
    # {claim value: role}
    role_mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    enforced: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
