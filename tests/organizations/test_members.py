"""Members: list, read, role changes with the owner and last-owner rules, removal, and the
cached member context evicted by every change."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.organizations.models import CustomRole
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem


async def test_list_members_pages_and_filters_by_role(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    viewers = [await add_person(db, clock, tenant.id, "viewer") for _ in range(3)]
    await add_person(db, clock, tenant.id, "analyst")
    page = ok(await client.get(tenant.path("/members"), params={"limit": 2},
                               headers=owner.headers))
    assert len(page["data"]) == 2
    assert page["has_more"] is True
    seen = [m["id"] for m in page["data"]]
    rest = ok(await client.get(tenant.path("/members"),
                               params={"limit": 2, "cursor": page["next_cursor"]},
                               headers=owner.headers))
    seen += [m["id"] for m in rest["data"]]
    rest2 = ok(await client.get(tenant.path("/members"),
                                params={"limit": 2, "cursor": rest["next_cursor"]},
                                headers=owner.headers))
    seen += [m["id"] for m in rest2["data"]]
    assert rest2["has_more"] is False
    assert len(seen) == len(set(seen)) == 5

    only = ok(await client.get(tenant.path("/members"), params={"role": "viewer"},
                               headers=tenant.viewer))
    assert {m["user_id"] for m in only["data"]} == {str(v.user_id) for v in viewers}
    member = only["data"][0]
    assert set(member) == {"id", "user_id", "email", "name", "role", "custom_role_id",
                           "restricted", "created_at", "updated_at"}
    assert member["role"] == "viewer"
    assert member["restricted"] is False
    problem(await client.get(tenant.path("/members"), params={"role": "boss"},
                             headers=owner.headers), 422, "validation-error")


async def test_get_member(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person
) -> None:
    response = await client.get(tenant.path(f"/members/{owner.member_id}"),
                                headers=owner.headers)
    body = ok(response)
    assert body["email"] == owner.email
    assert body["role"] == "owner"
    assert response.headers["etag"]


async def test_admin_changes_roles_below_owner_and_it_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    admin = await add_person(db, clock, tenant.id, "admin")
    viewer = await add_person(db, clock, tenant.id, "viewer")
    url = tenant.path(f"/members/{viewer.member_id}")
    body = ok(await client.patch(url, json={"role": "analyst"}, headers=admin.headers))
    assert body["role"] == "analyst"
    events = await audit_events(db, tenant.id, "member.role_change")
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == admin.user_id
    assert event.actor_type == "user"
    assert event.target_type == "member"
    assert event.target_id == viewer.member_id
    assert event.details["before"]["role"] == "viewer"
    assert event.details["after"]["role"] == "analyst"
    assert event.ip == "127.0.0.1"
    # The same through an admin API key.
    assert ok(await client.patch(url, json={"role": "admin"}, headers=tenant.admin))["role"] \
        == "admin"
    # A no-op change is not audited again.
    ok(await client.patch(url, json={"role": "admin"}, headers=tenant.admin))
    assert len(await audit_events(db, tenant.id, "member.role_change")) == 2


async def test_only_owners_grant_or_take_away_owner(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    admin = await add_person(db, clock, tenant.id, "admin")
    viewer = await add_person(db, clock, tenant.id, "viewer")
    body = problem(await client.patch(tenant.path(f"/members/{viewer.member_id}"),
                                      json={"role": "owner"}, headers=admin.headers), 403)
    assert body["required_role"] == "owner"
    problem(await client.patch(tenant.path(f"/members/{viewer.member_id}"),
                               json={"role": "owner"}, headers=tenant.admin), 403)
    problem(await client.patch(tenant.path(f"/members/{owner.member_id}"),
                               json={"role": "viewer"}, headers=admin.headers), 403)
    problem(await client.delete(tenant.path(f"/members/{owner.member_id}"),
                                headers=admin.headers), 403)
    problem(await client.patch(tenant.path(f"/members/{owner.member_id}"),
                               json={"restricted": True}, headers=admin.headers), 403)
    # The owner may.
    assert ok(await client.patch(tenant.path(f"/members/{viewer.member_id}"),
                                 json={"role": "owner"}, headers=owner.headers))["role"] == "owner"


async def test_the_last_owner_cannot_be_demoted_or_removed(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    url = tenant.path(f"/members/{owner.member_id}")
    body = problem(await client.patch(url, json={"role": "admin"}, headers=owner.headers), 409)
    assert "last owner" in body["detail"]
    assert "make another member an owner" in body["detail"]
    assert body["required_change"] == "make another member an owner"
    problem(await client.delete(url, headers=owner.headers), 409)
    # With a second owner, the first may step down.
    second = await add_person(db, clock, tenant.id, "owner")
    assert ok(await client.patch(url, json={"role": "admin"}, headers=owner.headers))["role"] \
        == "admin"
    # Now `second` is the last one.
    problem(await client.delete(tenant.path(f"/members/{second.member_id}"),
                                headers=second.headers), 409)


async def test_owners_cannot_be_restricted(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    second = await add_person(db, clock, tenant.id, "owner")
    problem(await client.patch(tenant.path(f"/members/{second.member_id}"),
                               json={"restricted": True}, headers=owner.headers), 409)


async def test_custom_role_assignment_and_no_escalation(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant, owner: Person,
) -> None:
    await set_system_mode(db, True)
    people_manager = CustomRole(organization_id=tenant.id, name="People manager",
                                permissions=["organization:read", "members:read",
                                             "members:manage"])
    writer = CustomRole(organization_id=tenant.id, name="Writer",
                        permissions=["organization:read", "data:read", "data:write"])
    foreign = CustomRole(organization_id=other_tenant.id, name="Foreign",
                         permissions=["organization:read"])
    db.add_all([people_manager, writer, foreign])
    await db.commit()
    manager = await add_person(db, clock, tenant.id, custom_role_id=people_manager.id)
    viewer = await add_person(db, clock, tenant.id, "viewer")
    url = tenant.path(f"/members/{viewer.member_id}")

    # The custom-role member may manage members, but not hand out what they lack.
    body = problem(await client.patch(url, json={"role": "analyst"}, headers=manager.headers),
                   403)
    assert "data:write" in body["missing_permissions"]
    problem(await client.patch(url, json={"custom_role_id": str(writer.id)},
                               headers=manager.headers), 403)
    # Another organization's role is not found.
    problem(await client.patch(url, json={"custom_role_id": str(foreign.id)},
                               headers=owner.headers), 404)
    problem(await client.patch(url, json={"role": "admin", "custom_role_id": str(writer.id)},
                               headers=owner.headers), 422)
    body = ok(await client.patch(url, json={"custom_role_id": str(writer.id)},
                                 headers=owner.headers))
    assert body["role"] == "custom"
    assert body["custom_role_id"] == str(writer.id)
    # The viewer now writes data (the cached context was evicted).
    ok(await client.post(tenant.path("/channels"), json={"name": "Writer's", "platform": "meta"},
                         headers=viewer.headers), 201)
    # A built-in role clears the custom one.
    body = ok(await client.patch(url, json={"role": "viewer"}, headers=owner.headers))
    assert body["custom_role_id"] is None
    problem(await client.post(tenant.path("/channels"), json={"name": "Again", "platform": "meta"},
                              headers=viewer.headers), 403, "forbidden")


async def test_a_role_change_applies_to_the_next_request(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    """The member's context is cached, and evicted by the change."""
    admin = await add_person(db, clock, tenant.id, "admin")
    ok(await client.get(tenant.path("/audit-events"), headers=admin.headers))
    ok(await client.get(tenant.path("/audit-events"), headers=admin.headers))
    ok(await client.patch(tenant.path(f"/members/{admin.member_id}"), json={"role": "viewer"},
                          headers=owner.headers))
    problem(await client.get(tenant.path("/audit-events"), headers=admin.headers), 403)


async def test_remove_member(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    viewer = await add_person(db, clock, tenant.id, "viewer")
    ok(await client.get(tenant.path(), headers=viewer.headers))
    url = tenant.path(f"/members/{viewer.member_id}")
    response = await client.delete(url, headers=owner.headers)
    assert response.status_code == 204
    problem(await client.get(url, headers=owner.headers), 404)
    # The removed member's (cached) access is gone at once.
    problem(await client.get(tenant.path(), headers=viewer.headers), 404)
    [event] = await audit_events(db, tenant.id, "member.remove")
    assert event.target_id == viewer.member_id
    assert event.details["user_id"] == str(viewer.user_id)


async def test_if_match_guards_member_writes(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    viewer = await add_person(db, clock, tenant.id, "viewer")
    url = tenant.path(f"/members/{viewer.member_id}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    problem(await client.patch(url, json={"role": "analyst"},
                               headers={**owner.headers, "If-Match": '"stale"'}), 412)
    problem(await client.delete(url, headers={**owner.headers, "If-Match": '"stale"'}), 412)
    response = await client.patch(url, json={"role": "analyst"},
                                  headers={**owner.headers, "If-Match": etag})
    assert ok(response)["role"] == "analyst"
    problem(await client.delete(url, headers={**owner.headers, "If-Match": etag}), 412)
    fresh = response.headers["etag"]
    assert (await client.delete(url, headers={**owner.headers, "If-Match": fresh})).status_code \
        == 204


async def test_member_routes_need_a_member_and_the_permission(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant, owner: Person,
) -> None:
    url = tenant.path(f"/members/{owner.member_id}")
    problem(await client.get(url), 401)
    stranger = await add_person(db, clock, other_tenant.id, "owner")
    problem(await client.get(url, headers=stranger.headers), 404)
    problem(await client.patch(url, json={"role": "viewer"}, headers=tenant.analyst), 403,
            "forbidden")
    # A session's write without the CSRF header is refused.
    no_csrf = {"Cookie": owner.headers["Cookie"]}
    problem(await client.patch(url, json={"role": "viewer"}, headers=no_csrf), 403,
            "csrf-failed")
