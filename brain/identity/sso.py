"""Organization single sign-on (OpenID Connect): which organizations enforce it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.db import set_system_mode
from brain.organizations.models import Organization, SsoConnection


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


async def sso_enforced_for_email(session: AsyncSession, email: str) -> SsoConnection | None:
    """The enforcing SSO connection whose allowed domains include the email's, if any."""
    domain = email_domain(email)
    await set_system_mode(session, True)
    try:
        connections = (
            await session.scalars(
                select(SsoConnection)
                .join(Organization, Organization.id == SsoConnection.organization_id)
                .where(
                    SsoConnection.enforced.is_(True),
                    SsoConnection.enabled.is_(True),
                    Organization.deleted_at.is_(None),
                )
            )
        ).all()
    finally:
        await set_system_mode(session, False)
    for connection in connections:
        if domain in {d.lower() for d in connection.allowed_domains}:
            return connection
    return None
