"""Factories of the organization tests: people with a membership and a logged-in session."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.clock import Clock
from brain.core.db import set_system_mode
from brain.identity.models import User
from brain.identity.passwords import hash_password
from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE, start_session
from brain.organizations.models import Membership

PASSWORD = "correct horse battery staple 42"


@dataclass
class Person:
    """A user, maybe a member of one organization, with a live session."""

    user_id: uuid.UUID
    email: str
    name: str
    membership_id: uuid.UUID | None
    token: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def headers(self) -> dict[str, str]:
        """Cookie authentication, with the CSRF double-submit header."""
        return {
            "Cookie": f"{SESSION_COOKIE}={self.token}; {CSRF_COOKIE}={self.csrf}",
            "X-CSRF-Token": self.csrf,
        }

    @property
    def member_id(self) -> str:
        assert self.membership_id is not None
        return str(self.membership_id)


async def add_person(
    db: AsyncSession,
    clock: Clock,
    organization_id: uuid.UUID | None,
    role: str = "viewer",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
    custom_role_id: uuid.UUID | None = None,
    restricted: bool = False,
) -> Person:
    """A user (a member of `organization_id` with `role` unless it is None) logged in."""
    await set_system_mode(db, True)
    label = secrets.token_hex(4)
    user = User(
        email=email or f"{role}-{label}@example.com",
        name=name or f"{role.title()} {label}",
        password_hash=hash_password(password) if password else None,
        email_verified_at=clock.now(),
    )
    db.add(user)
    await db.flush()
    membership_id = None
    if organization_id is not None:
        membership = Membership(
            organization_id=organization_id, user_id=user.id,
            role="custom" if custom_role_id else role, custom_role_id=custom_role_id,
            restricted=restricted,
        )
        db.add(membership)
        await db.flush()
        membership_id = membership.id
    _, token = await start_session(db, user=user, clock=clock, ip="127.0.0.1",
                                   user_agent="tests")
    # start_session leaves system mode; the test's session keeps arranging data in it.
    await set_system_mode(db, True)
    await db.commit()
    return Person(user_id=user.id, email=user.email, name=user.name,
                  membership_id=membership_id, token=token)


async def audit_events(
    db: AsyncSession, organization_id: uuid.UUID, action: str | None = None
) -> list[AuditEvent]:
    await set_system_mode(db, True)
    db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.organization_id == organization_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list((await db.scalars(stmt.order_by(AuditEvent.created_at, AuditEvent.id))).all())


def problem(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    """The problem body of `response`, asserting its status (and kind)."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if kind is not None:
        assert body["type"] == f"/api/v1/problems/{kind}", body
    return body


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    return response.json() if response.content else None
