"""The endpoint API: create (secret shown once), read, update, delete, rotate."""

from __future__ import annotations

from datetime import timedelta

import httpx

from brain.core.clock import FrozenClock
from tests.factories import Tenant
from tests.webhooks.helpers import create_endpoint


async def test_create_returns_the_secret_once(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create_endpoint(client, tenant, "http://127.0.0.1:9/hook",
                                 ["sync.completed", "sync.failed", "sync.completed"])
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["sync.completed", "sync.failed"]
    assert body["enabled"] is True
    fetched = await client.get(tenant.path(f"/webhook-endpoints/{body['id']}"),
                               headers=tenant.admin)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    listed = await client.get(tenant.path("/webhook-endpoints"), headers=tenant.admin)
    assert [e["id"] for e in listed.json()["data"]] == [body["id"]]
    assert body["secret"] not in listed.text


async def test_bad_input_is_a_422(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cases = [
        {"url": "http://127.0.0.1:9/hook", "events": ["no.such.event"]},
        {"url": "http://127.0.0.1:9/hook", "events": []},
        {"url": "http://10.0.0.5/hook", "events": ["sync.completed"]},
        {"url": "http://169.254.169.254/latest", "events": ["sync.completed"]},
        {"url": "gopher://127.0.0.1/x", "events": ["sync.completed"]},
        {"url": "http://no-such-host.invalid/x", "events": ["sync.completed"]},
    ]
    for payload in cases:
        response = await client.post(tenant.path("/webhook-endpoints"), headers=tenant.admin,
                                     json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_only_admins_manage_webhooks(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        tenant.path("/webhook-endpoints"), headers=tenant.analyst,
        json={"url": "http://127.0.0.1:9/hook", "events": ["sync.completed"]},
    )
    assert response.status_code == 403


async def test_update_disable_enable_and_delete(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    body = await create_endpoint(client, tenant, "http://127.0.0.1:9/hook")
    path = tenant.path(f"/webhook-endpoints/{body['id']}")
    current = await client.get(path, headers=tenant.admin)
    stale = await client.patch(path, headers={**tenant.admin, "If-Match": '"stale"'},
                               json={"enabled": False})
    assert stale.status_code == 412
    updated = await client.patch(
        path, headers={**tenant.admin, "If-Match": current.headers["etag"]},
        json={"events": ["quota.warning"], "description": "ops", "enabled": False},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["events"] == ["quota.warning"]
    assert updated.json()["disabled_reason"] == "manual"
    enabled = await client.patch(path, headers=tenant.admin, json={"enabled": True})
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] is None
    # Another tenant's endpoint does not exist for this one.
    foreign = await client.get(other_tenant.path(f"/webhook-endpoints/{body['id']}"),
                               headers=other_tenant.admin)
    assert foreign.status_code == 404
    assert (await client.delete(path, headers=tenant.admin)).status_code == 204
    assert (await client.get(path, headers=tenant.admin)).status_code == 404


async def test_rotation_returns_a_new_secret_with_an_overlap(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    body = await create_endpoint(client, tenant, "http://127.0.0.1:9/hook")
    rotated = await client.post(tenant.path(f"/webhook-endpoints/{body['id']}/rotate-secret"),
                                headers=tenant.admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != body["secret"]
    expected = clock.now() + timedelta(hours=24)
    assert new["previous_secret_expires_at"] == expected.isoformat().replace("+00:00", "Z")
