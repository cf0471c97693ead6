"""The organization's security settings on GET/PATCH /api/v1/organizations/{org_id}: MFA
required and the idle/absolute session timeouts are returned and updated within their bounds
(idle 5 min to 24 h, absolute 1 h to 30 days, idle no longer than absolute), changes are audited,
and the usual 401/403/404 hold."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.db import set_system_mode
from brain.identity.models import WebAuthnCredential
from tests.factories import Tenant
from tests.organizations.helpers import Person, audit_events, ok, problem


async def test_get_returns_the_security_settings(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = ok(await client.get(tenant.path(), headers=tenant.viewer))
    assert body["mfa_required"] is False
    assert body["session_idle_minutes"] == 30
    assert body["session_absolute_hours"] == 12


async def _give_passkey(db: AsyncSession, person: Person) -> None:
    await set_system_mode(db, True)
    db.add(WebAuthnCredential(user_id=person.user_id, credential_id=secrets.token_urlsafe(32),
                              public_key=b"\xa0", name="Laptop"))
    await db.commit()


async def test_patch_updates_and_audits(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession
) -> None:
    await _give_passkey(db, owner)
    response = await client.patch(tenant.path(), headers=owner.headers, json={
        "mfa_required": True, "session_idle_minutes": 15, "session_absolute_hours": 720,
    })
    body = ok(response)
    assert (body["mfa_required"], body["session_idle_minutes"],
            body["session_absolute_hours"]) == (True, 15, 720)
    assert response.headers["etag"]
    again = ok(await client.get(tenant.path(), headers=tenant.viewer))
    assert again["session_idle_minutes"] == 15
    [event] = await audit_events(db, tenant.id, "organization.update")
    assert event.actor_id == owner.user_id
    assert event.details == {"changes": {
        "mfa_required": {"from": False, "to": True},
        "session_idle_minutes": {"from": 30, "to": 15},
        "session_absolute_hours": {"from": 12, "to": 720},
    }}
    # Sending the current values changes nothing and is not audited again.
    ok(await client.patch(tenant.path(), headers=owner.headers,
                          json={"session_idle_minutes": 15}))
    assert len(await audit_events(db, tenant.id, "organization.update")) == 1


async def test_requiring_mfa_without_your_own_second_factor_is_a_409(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession
) -> None:
    refused = problem(await client.patch(tenant.path(), headers=owner.headers,
                                         json={"mfa_required": True}), 409, "conflict")
    assert "lock you out" in refused["detail"]
    assert ok(await client.get(tenant.path(), headers=owner.headers))["mfa_required"] is False
    await _give_passkey(db, owner)
    assert ok(await client.patch(tenant.path(), headers=owner.headers,
                                 json={"mfa_required": True}))["mfa_required"] is True
    # An API key has no second factor to lose: it may set the policy.
    ok(await client.patch(tenant.path(), headers=tenant.admin, json={"mfa_required": False}))
    ok(await client.patch(tenant.path(), headers=tenant.admin, json={"mfa_required": True}))


@pytest.mark.parametrize(("body", "field"), [
    ({"session_idle_minutes": 4}, "session_idle_minutes"),
    ({"session_idle_minutes": 1441}, "session_idle_minutes"),
    ({"session_absolute_hours": 0}, "session_absolute_hours"),
    ({"session_absolute_hours": 721}, "session_absolute_hours"),
    ({"mfa_required": "sometimes"}, "mfa_required"),
])
async def test_out_of_bounds_values_are_422(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object], field: str
) -> None:
    detail = problem(await client.patch(tenant.path(), headers=tenant.admin, json=body), 422,
                     "validation-error")
    assert detail["errors"][0]["loc"] == ["body", field]


async def test_the_bounds_themselves_are_accepted(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = ok(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_idle_minutes": 1440, "session_absolute_hours": 24}))
    assert (body["session_idle_minutes"], body["session_absolute_hours"]) == (1440, 24)
    body = ok(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_idle_minutes": 5, "session_absolute_hours": 1}))
    assert (body["session_idle_minutes"], body["session_absolute_hours"]) == (5, 1)


async def test_idle_longer_than_absolute_is_a_422_problem(
    client: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    both = problem(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_idle_minutes": 180, "session_absolute_hours": 2}), 422, "validation-error")
    assert both["errors"][0]["loc"] == ["body", "session_idle_minutes"]
    # Against the stored value: the absolute timeout is 12 h.
    idle_only = problem(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_idle_minutes": 13 * 60}), 422, "validation-error")
    assert idle_only["errors"][0]["loc"] == ["body", "session_idle_minutes"]
    ok(await client.patch(tenant.path(), headers=tenant.admin,
                          json={"session_idle_minutes": 60}))
    absolute_only = problem(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_absolute_hours": 0}), 422)
    assert absolute_only["errors"][0]["loc"] == ["body", "session_absolute_hours"]
    # 60 minutes idle fit in 1 hour absolute; nothing was changed by the refused requests.
    body = ok(await client.patch(tenant.path(), headers=tenant.admin,
                                 json={"session_absolute_hours": 1}))
    assert (body["session_idle_minutes"], body["session_absolute_hours"]) == (60, 1)
    refused = problem(await client.patch(tenant.path(), headers=tenant.admin, json={
        "session_idle_minutes": 61}), 422)
    assert "absolute" in refused["detail"]


async def test_401_403_404(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    problem(await client.get(tenant.path()), 401, "unauthorized")
    problem(await client.patch(tenant.path(), json={"mfa_required": True}), 401)
    for role in ("viewer", "analyst"):
        headers = getattr(tenant, role)
        forbidden = problem(await client.patch(tenant.path(), headers=headers,
                                               json={"session_idle_minutes": 10}), 403,
                            "forbidden")
        assert forbidden["required_permission"] == "organization:manage"
    problem(await client.get(other_tenant.path(), headers=tenant.admin), 404, "not-found")
    problem(await client.patch(other_tenant.path(), headers=tenant.admin,
                               json={"mfa_required": True}), 404, "not-found")
    body = ok(await client.get(other_tenant.path(), headers=other_tenant.viewer))
    assert body["mfa_required"] is False
