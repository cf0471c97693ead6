"""The plan endpoint: owners switch plans; a plan whose limits the organization exceeds is a
409 listing what must change."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.organizations import plans
from brain.organizations.models import Organization, SsoConnection
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem


async def _org(db: AsyncSession, tenant: Tenant) -> Organization:
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    return org


async def test_owner_changes_the_plan(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person
) -> None:
    url = tenant.path("/plan")
    body = ok(await client.post(url, json={"plan": "growth"}, headers=owner.headers))
    assert body["plan"] == "growth"
    assert body["previous_plan"] == "trial"
    assert body["limits"]["max_integrations"] == 4
    assert body["members"] == 1
    assert body["billable_extra_seats"] == 0
    assert (await _org(db, tenant)).plan == "growth"
    body = ok(await client.post(url, json={"plan": "scale"}, headers=owner.headers))
    assert body["limits"]["max_integrations"] is None
    # The same plan again changes nothing and is not audited again.
    ok(await client.post(url, json={"plan": "scale"}, headers=owner.headers))
    events = await audit_events(db, tenant.id, "organization.plan_change")
    assert [e.details for e in events] == [{"from": "trial", "to": "growth"},
                                          {"from": "growth", "to": "scale"}]
    problem(await client.post(url, json={"plan": "platinum"}, headers=owner.headers), 422)
    problem(await client.post(url, json={"plan": "trial"}, headers=owner.headers), 422)


async def test_only_billing_managers_change_plans(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant
) -> None:
    admin = await add_person(db, clock, tenant.id, "admin")
    for headers in (admin.headers, tenant.admin):
        body = problem(await client.post(tenant.path("/plan"), json={"plan": "starter"},
                                         headers=headers), 403, "forbidden")
        assert body["required_permission"] == "billing:manage"


async def test_too_many_members_for_the_target_plan(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    members = [await add_person(db, clock, tenant.id, "viewer") for _ in range(10)]
    body = problem(await client.post(tenant.path("/plan"), json={"plan": "starter"},
                                     headers=owner.headers), 409)
    assert body["target_plan"] == "starter"
    assert body["violations"] == [{
        "limit": "members", "current": 11, "allowed": 10,
        "action": "Remove 1 member(s): the starter plan allows 10.",
    }]
    assert "Remove 1 member(s)" in body["detail"]
    assert (await _org(db, tenant)).plan == "trial"
    # Remove one: it fits; extra seats above the 3 included are billable.
    assert (await client.delete(tenant.path(f"/members/{members[0].member_id}"),
                                headers=owner.headers)).status_code == 204
    body = ok(await client.post(tenant.path("/plan"), json={"plan": "starter"},
                                headers=owner.headers))
    assert body["billable_extra_seats"] == 7


async def test_pending_invites_count_towards_seats(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    for _ in range(8):
        await add_person(db, clock, tenant.id, "viewer")
    for n in range(2):
        ok(await client.post(tenant.path("/invites"), json={"email": f"p{n}@example.com"},
                             headers=owner.headers), 201)
    body = problem(await client.post(tenant.path("/plan"), json={"plan": "starter"},
                                     headers=owner.headers), 409)
    assert body["violations"][0]["limit"] == "members_and_pending_invites"
    assert "Revoke 1 pending invite(s)" in body["violations"][0]["action"]


async def test_enterprise_features_must_be_turned_off_first(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person
) -> None:
    org = await _org(db, tenant)
    org.data_retention_days = 3650
    db.add(SsoConnection(organization_id=tenant.id, issuer="https://idp.example.com",
                         client_id="brain", client_secret_encrypted="x", enforced=True))
    await db.commit()
    body = problem(await client.post(tenant.path("/plan"), json={"plan": "scale"},
                                     headers=owner.headers), 409)
    assert {v["limit"] for v in body["violations"]} == {"sso_enforcement",
                                                       "data_retention_days"}
    ok(await client.post(tenant.path("/plan"), json={"plan": "enterprise"},
                         headers=owner.headers))


@pytest.fixture
def integrations_probe() -> Iterator[dict[str, int]]:
    """A stand-in for the integrations domain's usage probe."""
    usage = {"integrations": 0}

    async def probe(session: AsyncSession, auth: AuthContext) -> int:
        return usage["integrations"]

    previous = plans.USAGE_PROBES.get("integrations")
    plans.register_usage_probe("integrations", probe)
    yield usage
    if previous is None:
        plans.USAGE_PROBES.pop("integrations", None)
    else:
        plans.USAGE_PROBES["integrations"] = previous


async def test_too_many_integrations_for_the_target_plan(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person,
    integrations_probe: dict[str, int],
) -> None:
    integrations_probe["integrations"] = 3
    body = problem(await client.post(tenant.path("/plan"), json={"plan": "starter"},
                                     headers=owner.headers), 409)
    assert body["violations"] == [{
        "limit": "integrations", "current": 3, "allowed": 2,
        "action": "Disconnect 1 integration(s): the starter plan allows 2.",
    }]
    ok(await client.post(tenant.path("/plan"), json={"plan": "growth"}, headers=owner.headers))
