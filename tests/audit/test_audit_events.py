"""The audit trail: `GET …/audit-events` (newest first, filtered, paged, tenant-scoped), API-key
events, and the table being append-only for the application on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.audit.service import record_audit
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode, set_tenant
from tests.factories import Tenant

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _events(db: AsyncSession, tenant: Tenant, other: Tenant) -> list[uuid.UUID]:
    """Five events of `tenant` a minute apart, one of `other`, one of no organization."""
    clock = FrozenClock(START)
    actor = uuid.uuid4()
    specs = [
        ("auth.login", "success", "user", str(actor)),
        ("auth.login", "failure", "user", str(actor)),
        ("member.role_change", "success", "member", "m-1"),
        ("member.remove", "success", "member", "m-2"),
        ("api_key.create", "success", "api_key", "k-1"),
    ]
    for action, outcome, target_type, target_id in specs:
        await record_audit(db, clock=clock, action=action, outcome=outcome,
                           organization_id=tenant.id, actor_type="user",
                           actor_id=actor if target_type != "api_key" else None,
                           target_type=target_type, target_id=target_id,
                           details={"password": "never stored", "note": "kept"})
        clock.advance(timedelta(minutes=1))
    await record_audit(db, clock=clock, action="auth.login", organization_id=other.id,
                       actor_type="user")
    await record_audit(db, clock=clock, action="auth.login", outcome="failure")
    await db.commit()
    return [actor]


async def test_list_is_newest_first_and_paged(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _events(db, tenant, other_tenant)
    url = tenant.path("/audit-events")
    first = (await client.get(url, params={"limit": 3}, headers=tenant.admin)).json()
    assert [e["action"] for e in first["data"]] == [
        "api_key.create", "member.remove", "member.role_change"]
    assert first["has_more"] is True
    second = (await client.get(url, params={"limit": 3, "cursor": first["next_cursor"]},
                               headers=tenant.admin)).json()
    assert [e["action"] for e in second["data"]] == ["auth.login", "auth.login"]
    assert second["has_more"] is False
    event = first["data"][0]
    assert set(event) == {"id", "created_at", "action", "outcome", "actor_type", "actor_id",
                          "target_type", "target_id", "ip", "user_agent", "details"}
    assert event["created_at"] == _z(START + timedelta(minutes=4))
    assert event["details"] == {"note": "kept"}


async def test_filters(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    [actor] = await _events(db, tenant, other_tenant)
    url = tenant.path("/audit-events")

    async def actions(**params: str) -> list[str]:
        response = await client.get(url, params=params, headers=tenant.admin)
        assert response.status_code == 200, response.text
        return [e["action"] for e in response.json()["data"]]

    assert await actions(action="auth.login") == ["auth.login", "auth.login"]
    assert await actions(outcome="failure") == ["auth.login"]
    assert await actions(actor_id=str(actor)) == [
        "member.remove", "member.role_change", "auth.login", "auth.login"]
    assert await actions(target_type="member") == ["member.remove", "member.role_change"]
    assert await actions(target_type="member", target_id="m-1") == ["member.role_change"]
    assert await actions(created_after=_z(START + timedelta(minutes=3))) == [
        "api_key.create", "member.remove"]
    assert await actions(created_before=_z(START + timedelta(minutes=1))) == ["auth.login"]
    assert await actions(created_after=_z(START + timedelta(minutes=1)),
                         created_before=_z(START + timedelta(minutes=3))) == [
        "member.role_change", "auth.login"]
    for bad in ({"outcome": "maybe"}, {"actor_id": "nope"},
                {"created_after": "2026-03-02T08:00:00"},  # no time zone
                {"created_after": _z(START), "created_before": _z(START)}):
        response = await client.get(url, params=bad, headers=tenant.admin)
        assert response.status_code == 422, (bad, response.text)


async def test_only_audit_readers_see_only_their_organization(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _events(db, tenant, other_tenant)
    response = await client.get(tenant.path("/audit-events"), headers=tenant.analyst)
    assert response.status_code == 403
    assert response.json()["required_permission"] == "audit:read"
    other = (await client.get(other_tenant.path("/audit-events"),
                              headers=other_tenant.admin)).json()
    assert [e["action"] for e in other["data"]] == ["auth.login"]
    response = await client.get(other_tenant.path("/audit-events"), headers=tenant.admin)
    assert response.status_code == 404
    assert (await client.get(tenant.path("/audit-events"))).status_code == 401


async def test_api_key_create_and_revoke_are_audited(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    created = await client.post(tenant.path("/api-keys"), json={"name": "ETL", "role": "analyst"},
                                headers={**tenant.admin, "User-Agent": "audit-test"})
    assert created.status_code == 201
    key = created.json()
    assert (await client.delete(tenant.path(f"/api-keys/{key['id']}"),
                                headers=tenant.admin)).status_code == 204
    # Revoking again changes nothing and is not audited twice.
    assert (await client.delete(tenant.path(f"/api-keys/{key['id']}"),
                                headers=tenant.admin)).status_code == 204
    page = (await client.get(tenant.path("/audit-events"), headers=tenant.admin)).json()
    assert [e["action"] for e in page["data"]] == ["api_key.revoke", "api_key.create"]
    revoke, create = page["data"]
    assert create["target_type"] == "api_key"
    assert create["target_id"] == key["id"]
    assert create["actor_type"] == "api_key"
    assert create["user_agent"] == "audit-test"
    assert create["details"] == {"name": "ETL", "role": "analyst"}
    assert key["api_key"] not in str(page)
    assert revoke["target_id"] == key["id"]


@pytest.mark.postgres
async def test_the_audit_table_is_append_only_for_the_application(
    db: AsyncSession, tenant: Tenant, other_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("privileges exist only on PostgreSQL")
    await _events(db, tenant, other_tenant)
    await set_system_mode(db, True)
    event_id = await db.scalar(select(AuditEvent.id).where(
        AuditEvent.organization_id == tenant.id).limit(1))
    assert event_id is not None
    user = await db.scalar(text("SELECT current_user"))
    assert user == "brain_app"
    for statement in ("UPDATE audit_events SET action = 'forged' WHERE id = :id",
                      "DELETE FROM audit_events WHERE id = :id"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.begin_nested():
                await db.execute(text(statement), {"id": event_id})
    # Inserting stays possible, within the tenant's own rows.
    await set_tenant(db, tenant.id)
    async with db.begin_nested():
        await record_audit(db, clock=FrozenClock(START), action="still.appendable",
                           organization_id=tenant.id, actor_type="system")
