"""Small factory functions for tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.core.db import BYPASS_INFO_KEY
from brain.identity.service import issue_api_key
from brain.organizations.permissions import ApiKeyRole, Role
from brain.organizations.service import create_organization


@dataclass
class Tenant:
    """An organization with one API key per role."""

    id: uuid.UUID
    name: str
    tokens: dict[Role | ApiKeyRole, str] = field(default_factory=dict)

    def headers(self, role: Role | ApiKeyRole = Role.admin, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    @property
    def admin(self) -> dict[str, str]:
        return self.headers(Role.admin)

    @property
    def analyst(self) -> dict[str, str]:
        return self.headers(Role.analyst)

    @property
    def viewer(self) -> dict[str, str]:
        return self.headers(Role.viewer)

    def path(self, rest: str = "") -> str:
        return f"/api/v1/organizations/{self.id}{rest}"


async def make_tenant(factory: async_sessionmaker[AsyncSession], name: str) -> Tenant:
    async with factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        org = await create_organization(session, name=name)
        tenant = Tenant(id=org.id, name=name)
        for role in ApiKeyRole:
            _, token = await issue_api_key(
                session, organization_id=org.id, name=f"{role} key", role=role
            )
            tenant.tokens[role] = token
        await session.commit()
    return tenant


async def make_member_session(
    factory: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, role: str = "owner"
) -> dict[str, str]:
    """A user with `role` in the organization, logged in: headers carrying the session
    cookie and the CSRF double-submit token."""
    from brain.core.clock import SystemClock
    from brain.core.models import utcnow
    from brain.identity.models import User
    from brain.identity.sessions import start_session
    from brain.organizations.models import Membership

    async with factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        user = User(email=f"{role}-{uuid.uuid4().hex[:8]}@example.com", name=f"Test {role}",
                    email_verified_at=utcnow())
        session.add(user)
        await session.flush()
        session.add(Membership(organization_id=organization_id, user_id=user.id, role=role))
        await session.flush()
        _, token = await start_session(
            session, user=user, clock=SystemClock(), ip="127.0.0.1", user_agent="tests"
        )
        await session.commit()
    csrf = "test-csrf-" + uuid.uuid4().hex
    return {"Cookie": f"brain_session={token}; brain_csrf={csrf}", "X-CSRF-Token": csrf}


async def put_on_plan(
    factory: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, plan: str
) -> None:
    """Move the organization to `plan` directly, for tests that use a plan's features (e.g.
    Enterprise's custom data retention); the default test organization is on the trial."""
    from brain.organizations.models import Organization

    async with factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        org = await session.get(Organization, organization_id)
        assert org is not None
        org.plan = plan
        await session.commit()
