"""Creating and updating organizations."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.organizations.models import Organization
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
