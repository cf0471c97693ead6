"""Fixtures of the MFA tests: a frozen clock on the runtime, members of each role, and
logged-in cookie sessions created directly (no dependency on the login route)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.runtime import Runtime
from brain.identity import mfa
from brain.identity.models import User
from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE, new_csrf_token, start_session
from brain.organizations.models import Membership
from brain.organizations.permissions import Role
from tests.factories import Tenant

# Mid-step (…:15 past the half minute), so ±1-step windows are easy to reason about.
START = datetime(2026, 1, 5, 9, 0, 15, tzinfo=UTC)
STEP = timedelta(seconds=mfa.TOTP_PERIOD_SECONDS)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def runtime(runtime: Runtime, clock: FrozenClock) -> Runtime:
    """The shared runtime with the frozen clock, set before any app is built on it."""
    runtime.clock = clock
    return runtime


@dataclass
class Member:
    user: User
    membership_id: uuid.UUID
    organization_id: uuid.UUID


@dataclass
class LoggedIn:
    """A cookie session of one user, sent explicitly on each request."""

    user: User
    token: str
    csrf: str
    session_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Cookie": f"{SESSION_COOKIE}={self.token}; {CSRF_COOKIE}={self.csrf}",
            "X-CSRF-Token": self.csrf,
        }


async def make_member(
    db: AsyncSession, tenant: Tenant, role: Role, *, email: str | None = None
) -> Member:
    # A request in between may have left its tenant settings on the shared connection.
    await set_system_mode(db, True)
    user = User(
        email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
        name=f"{role.value.title()} Person",
        email_verified_at=START,
    )
    db.add(user)
    await db.flush()
    membership = Membership(organization_id=tenant.id, user_id=user.id, role=role.value)
    db.add(membership)
    await db.flush()
    await db.commit()
    return Member(user=user, membership_id=membership.id, organization_id=tenant.id)


async def log_in(
    db: AsyncSession, clock: FrozenClock, user: User, *, method: str = "password"
) -> LoggedIn:
    row, token = await start_session(
        db, user=user, clock=clock, ip="127.0.0.1", user_agent="pytest", method=method
    )
    await db.commit()
    return LoggedIn(user=user, token=token, csrf=new_csrf_token(), session_id=row.id)


def code_at(secret: str, clock: FrozenClock, *, step_offset: int = 0) -> str:
    """The TOTP code an authenticator app would show now (or `step_offset` steps away)."""
    moment = clock.now().timestamp() + step_offset * mfa.TOTP_PERIOD_SECONDS
    return mfa.totp(mfa.secret_bytes(secret), moment)


@pytest_asyncio.fixture
async def alice(db: AsyncSession, tenant: Tenant) -> Member:
    return await make_member(db, tenant, Role.analyst, email="alice@example.com")


@pytest_asyncio.fixture
async def alice_session(db: AsyncSession, clock: FrozenClock, alice: Member) -> LoggedIn:
    return await log_in(db, clock, alice.user)


@dataclass
class Enrolled:
    """A logged-in user with a confirmed authenticator app."""

    session: LoggedIn
    secret: str
    recovery_codes: list[str]


async def enrol(
    client: httpx.AsyncClient, clock: FrozenClock, session: LoggedIn
) -> Enrolled:
    """Set up and confirm TOTP through the API; the clock moves one step past the confirm."""
    setup = await client.post("/api/v1/auth/mfa/totp/setup", headers=session.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    confirm = await client.post(
        "/api/v1/auth/mfa/totp/confirm", headers=session.headers,
        json={"code": code_at(secret, clock)},
    )
    assert confirm.status_code == 200, confirm.text
    clock.advance(STEP)
    return Enrolled(session=session, secret=secret,
                    recovery_codes=confirm.json()["recovery_codes"])


@pytest_asyncio.fixture
async def enrolled(
    client: httpx.AsyncClient, clock: FrozenClock, alice_session: LoggedIn
) -> Enrolled:
    return await enrol(client, clock, alice_session)
