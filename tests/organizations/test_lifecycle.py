"""An organization's lifecycle: members leave (not the last owner), owners delete it (soft, at
once), and the purge job erases it after its retention period."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import JOB_REGISTRY
from brain.core.runtime import Runtime
from brain.identity.models import ApiKey, User
from brain.models_registry import metadata
from brain.organizations.models import Organization
from brain.worker import BEAT_SCHEDULE
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem
from tests.platform.tenant_objects import seed_objects


async def test_a_member_leaves(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant, owner: Person,
) -> None:
    analyst = await add_person(db, clock, tenant.id, "analyst")
    await set_system_mode(db, True)
    user = await db.get(User, analyst.user_id)
    assert user is not None
    user.default_organization_id = tenant.id
    await db.commit()
    ok(await client.get(tenant.path(), headers=analyst.headers))
    response = await client.post(tenant.path("/leave"), headers=analyst.headers)
    assert response.status_code == 204, response.text
    problem(await client.get(tenant.path(), headers=analyst.headers), 404)
    problem(await client.get(tenant.path(f"/members/{analyst.member_id}"),
                             headers=owner.headers), 404)
    await set_system_mode(db, True)
    await db.refresh(user)
    assert user.default_organization_id is None
    [event] = await audit_events(db, tenant.id, "member.leave")
    assert event.actor_id == analyst.user_id


async def test_the_last_owner_cannot_leave(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    body = problem(await client.post(tenant.path("/leave"), headers=owner.headers), 409)
    assert "another member an owner" in body["detail"]
    second = await add_person(db, clock, tenant.id, "owner")
    assert (await client.post(tenant.path("/leave"), headers=owner.headers)).status_code == 204
    problem(await client.post(tenant.path("/leave"), headers=second.headers), 409)


async def test_api_keys_cannot_leave(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = problem(await client.post(tenant.path("/leave"), headers=tenant.admin), 403)
    assert body["required_subject"] == "user"
    problem(await client.post(tenant.path("/leave")), 401)


async def test_owner_deletes_the_organization(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant, owner: Person,
) -> None:
    admin = await add_person(db, clock, tenant.id, "admin")
    # The owner also belongs to another organization.
    await set_system_mode(db, True)
    from brain.organizations.models import Membership

    db.add(Membership(organization_id=other_tenant.id, user_id=owner.user_id, role="viewer"))
    await db.commit()
    # Warm the caches: the member contexts and the API key.
    ok(await client.get(tenant.path(), headers=admin.headers))
    ok(await client.get(tenant.path(), headers=tenant.viewer))

    problem(await client.delete(tenant.path(), headers=admin.headers), 403, "forbidden")
    problem(await client.delete(tenant.path(), headers=tenant.admin), 403, "forbidden")
    problem(await client.delete(tenant.path(), headers={**owner.headers, "If-Match": '"x"'}),
            412)
    etag = (await client.get(tenant.path(), headers=owner.headers)).headers["etag"]
    response = await client.delete(tenant.path(), headers={**owner.headers, "If-Match": etag})
    body = ok(response, 202)
    assert body["id"] == str(tenant.id)
    retention = timedelta(days=730)
    assert body["deleted_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert body["purge_after"] == (clock.now() + retention).isoformat().replace("+00:00", "Z")

    # Gone for everyone at once, API keys included; the owner's session still works elsewhere.
    for headers in (owner.headers, admin.headers):
        problem(await client.get(tenant.path(), headers=headers), 404)
    problem(await client.get(tenant.path(), headers=tenant.viewer), 401)
    ok(await client.get(other_tenant.path(), headers=owner.headers))
    problem(await client.delete(tenant.path(), headers=owner.headers), 404)
    [event] = await audit_events(db, tenant.id, "organization.delete")
    assert event.actor_id == owner.user_id


async def _row_counts(db: AsyncSession, organization_id: uuid.UUID) -> dict[str, int]:
    await set_system_mode(db, True)
    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        column = table.c.get("organization_id")
        if column is None:
            continue
        counts[table.name] = int(await db.scalar(
            select(func.count()).select_from(table).where(column == organization_id)) or 0)
    return counts


async def test_purge_erases_deleted_organizations_after_their_retention(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, runtime: Runtime,
    tenant: Tenant, other_tenant: Tenant, owner: Person,
) -> None:
    assert "organizations.purge_deleted" in JOB_REGISTRY
    assert any(e["task"] == "organizations.purge_deleted" for e in BEAT_SCHEDULE.values())
    await set_system_mode(db, True)
    await seed_objects(db, tenant, "Doomed")
    await seed_objects(db, other_tenant, "Kept")
    await db.commit()
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.data_retention_days = 30
    await db.commit()
    assert (await client.delete(tenant.path(), headers=owner.headers)).status_code == 202
    before = await _row_counts(db, tenant.id)
    kept_before = await _row_counts(db, other_tenant.id)
    assert before["channels"] == before["resource_grants"] == 1
    assert before["memberships"] == 2
    assert before["audit_events"] >= 1

    purge: Any = JOB_REGISTRY["organizations.purge_deleted"]
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    await purge(runtime)
    await set_system_mode(db, True)
    db.expire_all()
    assert await db.get(Organization, tenant.id) is not None

    clock.advance(timedelta(seconds=1))
    await purge(runtime)
    db.expire_all()
    await set_system_mode(db, True)
    assert await db.scalar(select(Organization.id).where(Organization.id == tenant.id)) is None
    after = await _row_counts(db, tenant.id)
    assert set(after.values()) == {0}, after
    assert await db.scalar(select(func.count(ApiKey.id)).where(
        ApiKey.organization_id == tenant.id)) == 0
    assert await db.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.organization_id == tenant.id)) == 0
    # Users are people, not tenant rows: the owner still exists. The other tenant is intact.
    assert await db.get(User, owner.user_id) is not None
    assert await _row_counts(db, other_tenant.id) == kept_before
    ok(await client.get(other_tenant.path(), headers=other_tenant.admin))
