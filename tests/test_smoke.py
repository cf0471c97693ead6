from __future__ import annotations

import httpx

from tests.factories import Tenant


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["etag"]


async def test_get_organization(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = await client.get(tenant.path(), headers=tenant.viewer)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(tenant.id)
    response = await client.get(other_tenant.path(), headers=tenant.viewer)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
