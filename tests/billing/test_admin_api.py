"""The operators' HTTP API: plan overrides per organization (list, add, revoke; audited;
effective at once), the tenants list, and the webhook dead letters of every tenant (list,
replay). Platform operators only: 401 without a credential, 403 `operator-required` for
tenant owners and API keys; a missing organization or object is a 404 problem; bad input a
422 problem naming the field."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.billing.models import BillingAccount
from brain.billing.overrides import force_plan, set_operator
from brain.billing.quotas import consume
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.finops.metering import record_usage
from brain.webhooks.models import WebhookDeadLetter, WebhookDelivery
from tests.factories import Tenant
from tests.integrations.helpers import RecordingDispatcher
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem
from tests.platform.tenant_objects import seed_objects


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    """Jobs are recorded, not run (a replayed delivery would really be attempted)."""
    return RecordingDispatcher()


@pytest.fixture
async def operator(db: AsyncSession, clock: FrozenClock) -> Person:
    person = await add_person(db, clock, None, "viewer")
    await set_operator(db, person.email, enabled=True, clock=clock)
    await db.commit()
    return person


def _iso(clock: FrozenClock, **delta: float) -> str:
    return (clock.now() + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def _body(clock: FrozenClock, **fields: Any) -> dict[str, Any]:
    return {"kind": "quota", "key": "brain_runs_per_day", "value": 500,
            "expires_at": _iso(clock, days=30), "reason": "pilot of the daily schedule",
            **fields}


async def test_admin_routes_are_for_operators_only(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, clock: FrozenClock,
) -> None:
    overrides = f"/api/v1/admin/organizations/{tenant.id}/overrides"
    calls = [("GET", overrides, None), ("POST", overrides, _body(clock)),
             ("DELETE", f"{overrides}/{uuid.uuid4()}", None),
             ("GET", "/api/v1/admin/organizations", None),
             ("GET", "/api/v1/admin/dead-letters", None),
             ("POST", f"/api/v1/admin/dead-letters/{uuid.uuid4()}/replay", None)]
    for method, url, body in calls:
        problem(await client.request(method, url, json=body), 401, "unauthorized")
        for headers in (tenant.admin, owner.headers):
            problem(await client.request(method, url, json=body, headers=headers), 403,
                    "operator-required")


async def test_operators_add_list_and_revoke_overrides(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    operator: Person, clock: FrozenClock,
) -> None:
    url = f"/api/v1/admin/organizations/{tenant.id}/overrides"
    plan = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert plan["quotas"]["brain_runs_per_day"]["limit"] == 10  # the trial's
    assert plan["entitlements"]["modules"]["voice"] is False
    created = await client.post(url, json=_body(clock), headers=operator.headers)
    quota = ok(created, 201)
    assert created.headers["location"] == f"{url}/{quota['id']}"
    assert (quota["kind"], quota["key"], quota["value"], quota["active"]) == (
        "quota", "brain_runs_per_day", 500, True)
    assert quota["created_by"] == f"operator:{operator.email}"
    voice = ok(await client.post(url, headers=operator.headers, json={
        "kind": "module", "key": "voice", "expires_at": _iso(clock, days=7),
        "reason": "VOICE pilot"}), 201)
    trial = ok(await client.post(url, headers=operator.headers, json={
        "kind": "trial", "key": "trial", "value": 7, "expires_at": _iso(clock, days=20),
        "reason": "sales asked"}), 201)
    # Effective at once (the cached plan state is evicted).
    plan_after = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert plan_after["quotas"]["brain_runs_per_day"]["limit"] == 500
    assert plan_after["entitlements"]["modules"]["voice"] is True
    assert plan_after["trial_ends_at"] > plan["trial_ends_at"]
    # Audited, with the operator as the actor.
    added = await audit_events(db, tenant.id, "billing.override_added")
    assert len(added) == 3
    assert {(e.actor_type, e.actor_id) for e in added} == {("operator", operator.user_id)}
    assert added[0].details["reason"] == "pilot of the daily schedule"
    # Listed newest first; pages; filtered by `active`.
    listed = ok(await client.get(url, headers=operator.headers))
    assert [o["id"] for o in listed["data"]] == [trial["id"], voice["id"], quota["id"]]
    first = ok(await client.get(f"{url}?limit=1", headers=operator.headers))
    assert first["has_more"] is True
    assert ok(await client.get(f"{url}?limit=1&cursor={first['next_cursor']}",
                               headers=operator.headers))["data"][0]["id"] == voice["id"]
    # Revoked: kept in the list, no longer in force, audited.
    assert (await client.delete(f"{url}/{voice['id']}", headers=operator.headers)
            ).status_code == 204
    problem(await client.delete(f"{url}/{voice['id']}", headers=operator.headers), 409)
    problem(await client.delete(f"{url}/{uuid.uuid4()}", headers=operator.headers), 404,
            "not-found")
    other_url = f"/api/v1/admin/organizations/{other_tenant.id}/overrides"
    problem(await client.delete(f"{other_url}/{quota['id']}", headers=operator.headers), 404)
    revoked = ok(await client.get(f"{url}?active=false", headers=operator.headers))["data"]
    assert [(o["id"], o["active"]) for o in revoked] == [(voice["id"], False)]
    assert revoked[0]["revoked_at"] is not None
    active = ok(await client.get(f"{url}?active=true", headers=operator.headers))["data"]
    assert {o["id"] for o in active} == {quota["id"], trial["id"]}
    plan_now = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert plan_now["entitlements"]["modules"]["voice"] is False
    [event] = await audit_events(db, tenant.id, "billing.override_revoked")
    assert (event.actor_type, event.details["key"]) == ("operator", "voice")
    assert ok(await client.get(other_url, headers=operator.headers))["data"] == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "coupon"}, "kind"),
    ({"key": "coffee_per_day"}, "key"),
    ({"value": -1}, "value"),
    ({"kind": "module", "key": "telepathy"}, "key"),
    ({"kind": "module", "key": "voice", "value": 5}, "value"),
    ({"kind": "feature", "key": "sso_enforcement", "value": 1, "expires_at": "yesterday"},
     "expires_at"),
    ({"kind": "trial", "key": "trial", "value": None}, "value"),
    ({"kind": "trial", "key": "trial", "value": 400}, "value"),
    ({"kind": "trial", "key": "brain_runs_per_day", "value": 3}, "key"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"reason": "x"}, "reason"),
    ({"reason": "<b>loud</b>"}, "reason"),
    ({"surprise": True}, "surprise"),
])
async def test_bad_overrides_are_422_problems(
    client: httpx.AsyncClient, tenant: Tenant, operator: Person, clock: FrozenClock,
    fields: dict[str, Any], field: str,
) -> None:
    url = f"/api/v1/admin/organizations/{tenant.id}/overrides"
    body = problem(await client.post(url, json=_body(clock, **fields),
                                     headers=operator.headers), 422)
    assert any(error["loc"][-1] == field for error in body["errors"]), body
    assert ok(await client.get(url, headers=operator.headers))["data"] == []


async def test_overrides_of_a_missing_organization_are_404(
    client: httpx.AsyncClient, operator: Person, clock: FrozenClock,
) -> None:
    url = f"/api/v1/admin/organizations/{uuid.uuid4()}/overrides"
    problem(await client.get(url, headers=operator.headers), 404, "not-found")
    problem(await client.post(url, json=_body(clock), headers=operator.headers), 404,
            "not-found")
    problem(await client.get("/api/v1/admin/organizations/not-a-uuid/overrides",
                             headers=operator.headers), 422)


async def test_the_tenants_list_shows_plan_status_seats_usage_and_margin(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    owner: Person, operator: Person, clock: FrozenClock,
) -> None:
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    db.add(BillingAccount(organization_id=other_tenant.id, status="past_due", seat_quantity=0,
                          cancel_at_period_end=False, subscription_event_created=0,
                          grace_ends_at=clock.now() - timedelta(hours=1)))
    await consume(db, tenant.id, "events_per_month", 1234, clock=clock)
    await record_usage(db, tenant.id, "llm_tokens_out", 1_000_000, dimension="gpt-x",
                       clock=clock)
    await record_usage(db, tenant.id, "rows_ingested", 1234, clock=clock)
    await db.commit()
    url = "/api/v1/admin/organizations"
    body = ok(await client.get(url, headers=operator.headers))
    rows = {row["id"]: row for row in body["data"]}
    a, b = rows[str(tenant.id)], rows[str(other_tenant.id)]
    assert (a["name"], a["plan"], a["status"], a["read_only"]) == (
        "Tenant A", "starter", "active", False)
    assert a["seats"] == {"included": 3, "used": 1, "max": 10}  # the owner
    assert a["events_this_month"]["used"] == 1234
    assert a["events_this_month"]["limit"] == 100_000
    assert a["usage_this_month"]["rows_ingested"] == 1234
    days = clock.now().day
    assert a["cost_usd"] == pytest.approx(1.5 + 1234 * 1e-6)
    assert a["revenue_usd"] == pytest.approx(499 * days / 30, rel=1e-5)
    assert a["margin_usd"] == pytest.approx(a["revenue_usd"] - a["cost_usd"], abs=1e-5)
    assert (b["plan"], b["status"], b["read_only"]) == ("trial", "restricted", True)
    assert b["revenue_usd"] == 0
    starters = ok(await client.get(f"{url}?plan=starter", headers=operator.headers))["data"]
    assert str(tenant.id) in {r["id"] for r in starters}
    assert str(other_tenant.id) not in {r["id"] for r in starters}
    found = ok(await client.get(f"{url}?q=ANT%20b", headers=operator.headers))["data"]
    assert [r["id"] for r in found] == [str(other_tenant.id)]
    assert ok(await client.get(f"{url}?q=%25", headers=operator.headers))["data"] == []
    problem(await client.get(f"{url}?plan=platinum", headers=operator.headers), 422)
    problem(await client.get(f"{url}?sort=cost", headers=operator.headers), 422)


async def test_dead_letters_of_every_tenant_are_listed_and_replayed(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    operator: Person, dispatcher: RecordingDispatcher,
) -> None:
    a = await seed_objects(db, tenant, "Alpha")
    b = await seed_objects(db, other_tenant, "Beta")
    await db.commit()
    url = "/api/v1/admin/dead-letters"
    listed = ok(await client.get(url, headers=operator.headers))["data"]
    ids = {row["id"]: row for row in listed}
    assert {a.ids["dead_letter_id"], b.ids["dead_letter_id"]} <= set(ids)
    assert ids[a.ids["dead_letter_id"]]["organization_id"] == str(tenant.id)
    assert ids[a.ids["dead_letter_id"]]["direction"] == "outbound"
    only_b = ok(await client.get(f"{url}?organization_id={other_tenant.id}",
                                 headers=operator.headers))["data"]
    assert [row["id"] for row in only_b] == [b.ids["dead_letter_id"]]
    assert ok(await client.get(f"{url}?direction=inbound&organization_id={tenant.id}",
                               headers=operator.headers))["data"] == []
    replay = f"{url}/{a.ids['dead_letter_id']}/replay"
    replayed = ok(await client.post(replay, headers=operator.headers), 202)
    assert replayed["replayed_at"] is not None
    problem(await client.post(replay, headers=operator.headers), 409)
    problem(await client.post(f"{url}/{uuid.uuid4()}/replay", headers=operator.headers), 404)
    await set_system_mode(db, True)
    letter = await db.get(WebhookDeadLetter, uuid.UUID(a.ids["dead_letter_id"]),
                          populate_existing=True)
    assert letter is not None
    delivery = await db.get(WebhookDelivery, letter.delivery_id, populate_existing=True)
    assert delivery is not None
    assert delivery.status == "pending"
    assert ("webhooks.deliver", {"delivery_id": str(delivery.id)}) in dispatcher.sent
    waiting = ok(await client.get(f"{url}?replayed=false", headers=operator.headers))["data"]
    assert a.ids["dead_letter_id"] not in {row["id"] for row in waiting}
    actions = set((await db.scalars(select(AuditEvent.action).where(
        AuditEvent.organization_id == tenant.id))).all())
    assert {"webhook.dead_letter_replayed", "platform.dead_letter_replayed"} <= actions
