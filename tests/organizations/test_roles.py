"""Roles: built-in ones listed read-only; custom roles created, changed and deleted, validated
against the permission list, never carrying more than their creator holds."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.organizations.models import CustomRole, Invite
from brain.organizations.permissions import ROLE_PERMISSIONS, Role
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem


async def test_list_roles_shows_builtin_roles_first(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person
) -> None:
    created = ok(await client.post(tenant.path("/roles"), json={
        "name": "Media buyer", "description": "Reads data and runs the brain.",
        "permissions": ["data:read", "brain:run", "organization:read", "data:read"],
    }, headers=owner.headers), 201)
    assert created["builtin"] is False
    assert created["permissions"] == ["brain:run", "data:read", "organization:read"]
    page = ok(await client.get(tenant.path("/roles"), headers=tenant.admin))
    builtin = [r for r in page["data"] if r["builtin"]]
    assert [r["id"] for r in builtin] == ["owner", "admin", "analyst", "viewer"]
    assert builtin[3]["permissions"] == sorted(p.value for p in ROLE_PERMISSIONS[Role.viewer])
    assert [r["name"] for r in page["data"] if not r["builtin"]] == ["Media buyer"]
    problem(await client.get(tenant.path("/roles"), headers=tenant.analyst), 403)


async def test_custom_role_crud_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person
) -> None:
    created = ok(await client.post(tenant.path("/roles"), json={
        "name": "Reporter", "permissions": ["organization:read", "data:read"],
    }, headers=owner.headers), 201)
    url = tenant.path(f"/roles/{created['id']}")
    read = await client.get(url, headers=owner.headers)
    assert ok(read)["name"] == "Reporter"
    problem(await client.patch(url, json={"name": "Stale"},
                               headers={**owner.headers, "If-Match": '"stale"'}), 412)
    updated = ok(await client.patch(url, json={
        "name": "Senior reporter", "permissions": ["organization:read", "data:read",
                                                   "audit:read"],
        "description": "Also reads the audit trail.",
    }, headers={**owner.headers, "If-Match": read.headers["etag"]}))
    assert updated["name"] == "Senior reporter"
    assert "audit:read" in updated["permissions"]
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    problem(await client.get(url, headers=owner.headers), 404)
    actions = [e.action for e in await audit_events(db, tenant.id)]
    assert actions == ["role.create", "role.update", "role.delete"]


async def test_role_validation(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person
) -> None:
    url = tenant.path("/roles")
    body = problem(await client.post(url, json={"name": "X", "permissions": ["data:fly"]},
                                     headers=owner.headers), 422, "validation-error")
    assert body["errors"][0]["loc"][:2] == ["body", "permissions"]
    problem(await client.post(url, json={"name": "X", "permissions": []},
                              headers=owner.headers), 422)
    problem(await client.post(url, json={"name": "<b>X</b>", "permissions": ["data:read"]},
                              headers=owner.headers), 422)
    problem(await client.post(url, json={"name": "X" * 101, "permissions": ["data:read"]},
                              headers=owner.headers), 422)
    owner_only = problem(await client.post(url, json={
        "name": "Treasurer", "permissions": ["billing:manage"]}, headers=owner.headers), 422)
    assert "owner-only" in owner_only["detail"]
    problem(await client.post(url, json={"name": "Admin", "permissions": ["data:read"]},
                              headers=owner.headers), 409)
    ok(await client.post(url, json={"name": "Unique", "permissions": ["data:read"]},
                         headers=owner.headers), 201)
    problem(await client.post(url, json={"name": "unique", "permissions": ["data:read"]},
                              headers=owner.headers), 409)


async def test_nobody_creates_a_role_with_more_than_they_hold(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    await set_system_mode(db, True)
    role_manager = CustomRole(organization_id=tenant.id, name="Role manager",
                              permissions=["organization:read", "roles:manage"])
    db.add(role_manager)
    await db.commit()
    manager = await add_person(db, clock, tenant.id, custom_role_id=role_manager.id)
    body = problem(await client.post(tenant.path("/roles"), json={
        "name": "Writer", "permissions": ["data:write"]}, headers=manager.headers), 403)
    assert body["missing_permissions"] == ["data:write"]
    ok(await client.post(tenant.path("/roles"), json={
        "name": "Reader", "permissions": ["organization:read"]}, headers=manager.headers), 201)
    # Nor widen or delete a role that holds more than they do.
    writer = ok(await client.post(tenant.path("/roles"), json={
        "name": "Writer", "permissions": ["data:write"]}, headers=owner.headers), 201)
    problem(await client.patch(tenant.path(f"/roles/{writer['id']}"), json={"name": "W"},
                               headers=manager.headers), 403)
    problem(await client.delete(tenant.path(f"/roles/{writer['id']}"),
                                headers=manager.headers), 403)


async def test_changing_a_role_changes_its_members_at_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    role = ok(await client.post(tenant.path("/roles"), json={
        "name": "Auditor", "permissions": ["organization:read", "audit:read"]},
        headers=owner.headers), 201)
    auditor = await add_person(db, clock, tenant.id,
                               custom_role_id=uuid.UUID(role["id"]))
    ok(await client.get(tenant.path("/audit-events"), headers=auditor.headers))
    ok(await client.patch(tenant.path(f"/roles/{role['id']}"),
                          json={"permissions": ["organization:read"]}, headers=owner.headers))
    problem(await client.get(tenant.path("/audit-events"), headers=auditor.headers), 403)
    # A role in use cannot be deleted; nor one a pending invite offers.
    body = problem(await client.delete(tenant.path(f"/roles/{role['id']}"),
                                       headers=owner.headers), 409)
    assert body["members"] == 1
    ok(await client.patch(tenant.path(f"/members/{auditor.member_id}"), json={"role": "viewer"},
                          headers=owner.headers))
    await set_system_mode(db, True)
    db.add(Invite(organization_id=tenant.id, email="later@example.com", role="custom",
                  custom_role_id=uuid.UUID(role["id"]), token_hash="x" * 64,
                  expires_at=clock.now()))
    await db.commit()
    body = problem(await client.delete(tenant.path(f"/roles/{role['id']}"),
                                       headers=owner.headers), 409)
    assert body["pending_invites"] == 1


async def test_another_organizations_role_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    owner: Person,
) -> None:
    await set_system_mode(db, True)
    foreign = CustomRole(organization_id=other_tenant.id, name="Foreign",
                         permissions=["organization:read"])
    db.add(foreign)
    await db.commit()
    for method in ("GET", "PATCH", "DELETE"):
        body = {"name": "Mine now"} if method == "PATCH" else None
        problem(await client.request(method, tenant.path(f"/roles/{foreign.id}"),
                                     headers=owner.headers, json=body), 404)
