"""An organization admin resets a member's MFA: permissions, tenancy, owners, effects."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.clock import FrozenClock
from brain.core.email import EMAIL_SEND_JOB
from brain.core.jobs import InlineDispatcher
from brain.identity import mfa
from brain.identity.models import RecoveryCode, TotpFactor, UserSession
from brain.organizations.permissions import Role
from tests.factories import Tenant
from tests.identity.mfa.conftest import (
    Enrolled,
    Member,
    enrol,
    log_in,
    make_member,
)


def _reset_path(org_id: uuid.UUID | str, member_id: uuid.UUID | str) -> str:
    return f"/api/v1/organizations/{org_id}/members/{member_id}/mfa/reset"


async def _has_factor(db: AsyncSession, member: Member) -> bool:
    row = await db.scalar(select(TotpFactor.id).where(TotpFactor.user_id == member.user.id))
    return row is not None


async def _live_sessions(db: AsyncSession, member: Member) -> int:
    rows = await db.scalars(
        select(UserSession.id).where(
            UserSession.user_id == member.user.id, UserSession.revoked_at.is_(None)
        )
    )
    return len(rows.all())


async def test_an_admin_resets_a_members_mfa(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: FrozenClock,
    tenant: Tenant,
    alice: Member,
    enrolled: Enrolled,
    dispatcher: InlineDispatcher,
) -> None:
    admin = await make_member(db, tenant, Role.admin)
    admin_session = await log_in(db, clock, admin.user)
    await log_in(db, clock, alice.user)
    assert await _live_sessions(db, alice) == 2

    response = await client.post(_reset_path(tenant.id, alice.membership_id),
                                 headers=admin_session.headers)
    assert response.status_code == 204, response.text
    assert not await _has_factor(db, alice)
    assert not (await db.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == alice.user.id))).all()
    assert await _live_sessions(db, alice) == 0
    assert not await mfa.user_has_mfa(db, alice.user.id)
    # Alice's session cookie stops working at once (the session cache is evicted too).
    mfa_status = await client.get("/api/v1/auth/mfa", headers=enrolled.session.headers)
    assert mfa_status.status_code == 401

    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.mfa.admin_reset")
    )
    assert event is not None
    assert event.organization_id == tenant.id
    assert event.actor_type == "user"
    assert event.actor_id == admin.user.id
    assert event.target_type == "user"
    assert event.target_id == str(alice.user.id)
    assert event.details["membership_id"] == str(alice.membership_id)
    emails = [kw for name, kw in dispatcher.sent if name == EMAIL_SEND_JOB]
    assert [e["to"] for e in emails][-1] == "alice@example.com"
    assert all(enrolled.secret not in str(e) for e in emails)

    # Alice can enrol again afterwards.
    again = await log_in(db, clock, alice.user)
    await enrol(client, clock, again)
    assert await mfa.user_has_mfa(db, alice.user.id)


async def test_an_admin_api_key_may_reset(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, alice: Member,
    enrolled: Enrolled,
) -> None:
    response = await client.post(_reset_path(tenant.id, alice.membership_id),
                                 headers=tenant.admin)
    assert response.status_code == 204, response.text
    assert not await _has_factor(db, alice)
    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.mfa.admin_reset")
    )
    assert event is not None
    assert event.actor_type == "api_key"


async def test_roles_without_members_manage_get_403(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member, enrolled: Enrolled,
) -> None:
    path = _reset_path(tenant.id, alice.membership_id)
    sessions = [await log_in(db, clock, (await make_member(db, tenant, role)).user)
                for role in (Role.viewer, Role.analyst)]
    for headers in (tenant.analyst, tenant.viewer, *(s.headers for s in sessions)):
        response = await client.post(path, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["required_permission"] == "members:manage"
    assert await _has_factor(db, alice)


async def test_no_credentials_is_401(
    client: httpx.AsyncClient, tenant: Tenant, alice: Member, enrolled: Enrolled
) -> None:
    path = _reset_path(tenant.id, alice.membership_id)
    for headers in ({}, {"Authorization": "Bearer brn_nope"},
                    {"Cookie": "brain_session=nope; brain_csrf=x", "X-CSRF-Token": "x"}):
        response = await client.post(path, headers=headers)
        assert response.status_code == 401


async def test_another_organizations_member_is_404(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: FrozenClock,
    tenant: Tenant,
    other_tenant: Tenant,
    alice: Member,
    enrolled: Enrolled,
) -> None:
    bob = await make_member(db, other_tenant, Role.analyst)
    bob_enrolled = await enrol(client, clock, await log_in(db, clock, bob.user))
    admin = await make_member(db, tenant, Role.admin)
    admin_session = await log_in(db, clock, admin.user)
    for headers in (tenant.admin, admin_session.headers):
        # Tenant A's organization, tenant B's member.
        response = await client.post(_reset_path(tenant.id, bob.membership_id), headers=headers)
        assert response.status_code == 404, response.text
        # Tenant B's organization (the caller is not a member).
        response = await client.post(_reset_path(other_tenant.id, bob.membership_id),
                                     headers=headers)
        assert response.status_code == 404
        response = await client.post(_reset_path(other_tenant.id, alice.membership_id),
                                     headers=headers)
        assert response.status_code == 404
        response = await client.post(_reset_path(tenant.id, uuid.uuid4()), headers=headers)
        assert response.status_code == 404
    assert await _has_factor(db, bob)
    assert await _has_factor(db, alice)
    assert bob_enrolled.secret


async def test_only_an_owner_may_reset_an_owner(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant
) -> None:
    owner = await make_member(db, tenant, Role.owner)
    await enrol(client, clock, await log_in(db, clock, owner.user))
    admin = await make_member(db, tenant, Role.admin)
    admin_session = await log_in(db, clock, admin.user)
    path = _reset_path(tenant.id, owner.membership_id)
    for headers in (admin_session.headers, tenant.admin):
        response = await client.post(path, headers=headers)
        assert response.status_code == 403, response.text
        assert "owner" in response.json()["detail"]
    assert await _has_factor(db, owner)

    co_owner = await make_member(db, tenant, Role.owner)
    co_owner_session = await log_in(db, clock, co_owner.user)
    response = await client.post(path, headers=co_owner_session.headers)
    assert response.status_code == 204, response.text
    assert not await _has_factor(db, owner)


async def test_nobody_resets_their_own_mfa_this_way(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant
) -> None:
    admin = await make_member(db, tenant, Role.admin)
    admin_session = await log_in(db, clock, admin.user)
    await enrol(client, clock, admin_session)
    response = await client.post(_reset_path(tenant.id, admin.membership_id),
                                 headers=admin_session.headers)
    assert response.status_code == 403
    assert await _has_factor(db, admin)


async def test_reset_of_a_member_without_mfa_still_signs_them_out(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member,
) -> None:
    await log_in(db, clock, alice.user)
    response = await client.post(_reset_path(tenant.id, alice.membership_id),
                                 headers=tenant.admin)
    assert response.status_code == 204
    assert await _live_sessions(db, alice) == 0
    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.mfa.admin_reset")
    )
    assert event is not None
    assert event.details["had_factor"] is False
