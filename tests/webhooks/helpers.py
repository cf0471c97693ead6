"""Shared steps of the webhook tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant


async def create_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, url: str,
    events: list[str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        tenant.path("/webhook-endpoints"), headers=tenant.admin,
        json={"url": url, "events": events or ["sync.completed"]},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
