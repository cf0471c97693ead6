"""The onboarding endpoints: who may call them (401, 403, cross-tenant 404) and dismissing
the checklist (a member's own, persisted and audited preference)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.onboarding.models import OnboardingPreference
from brain.organizations.models import CustomRole, Membership
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem

DISMISS = "/onboarding/dismiss"


async def test_no_credentials_is_401(client: httpx.AsyncClient, tenant: Tenant) -> None:
    problem(await client.get(tenant.path("/onboarding")), 401, "unauthorized")
    problem(await client.post(tenant.path(DISMISS)), 401, "unauthorized")
    bad = {"Authorization": "Bearer brn_not-a-real-key"}
    problem(await client.get(tenant.path("/onboarding"), headers=bad), 401, "unauthorized")


async def test_every_built_in_role_may_read_and_dismiss(
    client: httpx.AsyncClient, tenant: Tenant, db: AsyncSession, clock: FrozenClock
) -> None:
    for role in ("viewer", "analyst", "admin", "owner"):
        member = await add_person(db, clock, tenant.id, role)
        assert ok(await client.get(tenant.path("/onboarding"), headers=member.headers))
        assert ok(await client.post(tenant.path(DISMISS), headers=member.headers))["dismissed"]


async def test_a_custom_role_without_organization_read_is_403(
    client: httpx.AsyncClient, tenant: Tenant, db: AsyncSession, clock: FrozenClock
) -> None:
    await set_system_mode(db, True)
    role = CustomRole(organization_id=tenant.id, name="Data only", permissions=["data:read"])
    db.add(role)
    await db.commit()
    member = await add_person(db, clock, tenant.id, custom_role_id=role.id)
    body = problem(await client.get(tenant.path("/onboarding"), headers=member.headers), 403,
                   "forbidden")
    assert body["required_permission"] == "organization:read"
    problem(await client.post(tenant.path(DISMISS), headers=member.headers), 403, "forbidden")


async def test_api_keys_may_read_but_not_dismiss(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert ok(await client.get(tenant.path("/onboarding"), headers=tenant.admin))
    body = problem(await client.post(tenant.path(DISMISS), headers=tenant.admin), 403,
                   "forbidden")
    assert body["required_subject"] == "user"


async def test_another_tenants_organization_is_404(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, owner: Person
) -> None:
    for headers in (owner.headers, tenant.admin):
        problem(await client.get(other_tenant.path("/onboarding"), headers=headers), 404,
                "not-found")
        problem(await client.post(other_tenant.path(DISMISS), headers=headers), 404,
                "not-found")
    missing = f"/api/v1/organizations/{uuid.uuid4()}/onboarding"
    problem(await client.get(missing, headers=owner.headers), 404, "not-found")
    problem(await client.get("/api/v1/organizations/not-a-uuid/onboarding",
                             headers=owner.headers), 422)


async def test_dismissing_needs_the_csrf_header(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person
) -> None:
    headers = {k: v for k, v in owner.headers.items() if k != "X-CSRF-Token"}
    problem(await client.post(tenant.path(DISMISS), headers=headers), 403, "csrf-failed")


async def test_dismiss_is_the_members_own_persisted_and_audited(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    teammate = await add_person(db, clock, tenant.id, "analyst")
    body = ok(await client.post(tenant.path(DISMISS), headers=owner.headers))
    assert body["dismissed"] is True
    assert body["steps"][0]["id"] == "verify_email"
    assert ok(await client.get(tenant.path("/onboarding"), headers=owner.headers))["dismissed"]
    # Another member of the same organization still sees the checklist.
    assert not ok(await client.get(tenant.path("/onboarding"),
                                   headers=teammate.headers))["dismissed"]

    await set_system_mode(db, True)
    rows = (await db.scalars(select(OnboardingPreference).where(
        OnboardingPreference.organization_id == tenant.id))).all()
    assert [(r.user_id, r.dismissed_at) for r in rows] == [(owner.user_id, clock.now())]
    events = await audit_events(db, tenant.id, "onboarding.dismiss")
    assert len(events) == 1
    assert events[0].actor_id == owner.user_id
    assert events[0].target_id == str(owner.user_id)

    # Again: nothing changes, no second audit event.
    clock.advance(timedelta(minutes=5))
    assert ok(await client.post(tenant.path(DISMISS), headers=owner.headers))["dismissed"]
    await set_system_mode(db, True)
    db.expire_all()
    row = await db.scalar(select(OnboardingPreference).where(
        OnboardingPreference.user_id == owner.user_id))
    assert row is not None
    assert row.dismissed_at == clock.now() - timedelta(minutes=5)
    assert len(await audit_events(db, tenant.id, "onboarding.dismiss")) == 1


async def test_dismissing_in_one_organization_leaves_the_others(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    member = await add_person(db, clock, tenant.id, "owner")
    await set_system_mode(db, True)
    db.add(Membership(organization_id=other_tenant.id, user_id=member.user_id, role="viewer"))
    await db.commit()
    ok(await client.post(tenant.path(DISMISS), headers=member.headers))
    assert not ok(await client.get(other_tenant.path("/onboarding"),
                                   headers=member.headers))["dismissed"]
