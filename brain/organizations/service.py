"""Creating and updating organizations."""

from __future__ import annotations

import re
import secrets

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.core.db import set_tenant
from brain.organizations.models import CustomRole, Membership, Organization, ResourceGrant
from brain.organizations.permissions import parse_permissions, permissions_for
from brain.organizations.schemas import OrganizationUpdate


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return slug or "org"


async def create_organization(
    session: AsyncSession, *, name: str, demo_vertical: str | None = None
) -> Organization:
    """A new organization with a unique slug (the session must be in system mode)."""
    base = slugify(name)
    slug = base
    while await session.scalar(select(Organization.id).where(Organization.slug == slug)):
        slug = f"{base}-{secrets.token_hex(3)}"
    org = Organization(name=name, slug=slug, demo_vertical=demo_vertical)
    session.add(org)
    await session.flush()
    return org


def update_organization(org: Organization, *, changes: OrganizationUpdate) -> Organization:
    for field, value in changes.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(org, field, value)
    return org


async def member_context(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    session_id: uuid.UUID | None,
) -> AuthContext | None:
    """A user's `AuthContext` in an organization, or None if they are not a member of it."""
    await set_tenant(session, organization_id)
    row = (
        await session.execute(
            select(Membership, CustomRole.permissions)
            .join(Organization, Organization.id == Membership.organization_id)
            .outerjoin(
                CustomRole,
                (CustomRole.id == Membership.custom_role_id) & CustomRole.deleted_at.is_(None),
            )
            .where(
                Membership.organization_id == organization_id,
                Membership.user_id == user_id,
                Organization.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    membership, custom_permissions = row
    if membership.custom_role_id is not None:
        permissions = parse_permissions(custom_permissions or [])
    else:
        permissions = permissions_for(membership.role)
    channel_ids = None
    if membership.restricted:
        grants = await session.scalars(
            select(ResourceGrant.resource_id).where(
                ResourceGrant.membership_id == membership.id,
                ResourceGrant.resource_type == "channel",
            )
        )
        channel_ids = frozenset(grants.all())
    return AuthContext(
        organization_id=organization_id,
        role=membership.role,
        permissions=permissions,
        subject_type=SubjectType.user,
        subject_id=user_id,
        channel_ids=channel_ids,
        session_id=session_id,
    )
