"""Small helpers that create warehouse objects through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant


async def post_ok(
    client: httpx.AsyncClient, tenant: Tenant, collection: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POST a create body as the tenant's analyst and return the created object."""
    response = await client.post(tenant.path(f"/{collection}"), json=body, headers=tenant.analyst)
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()
    return data


async def make_channel(
    client: httpx.AsyncClient, tenant: Tenant, name: str = "Meta Ads", platform: str = "meta"
) -> dict[str, Any]:
    return await post_ok(client, tenant, "channels", {"name": name, "platform": platform})


async def make_campaign(
    client: httpx.AsyncClient, tenant: Tenant, channel_id: str, name: str = "Spring sale"
) -> dict[str, Any]:
    return await post_ok(client, tenant, "campaigns", {"name": name, "channel_id": channel_id})


async def make_ad_set(
    client: httpx.AsyncClient, tenant: Tenant, campaign_id: str, name: str = "Lookalikes"
) -> dict[str, Any]:
    return await post_ok(client, tenant, "ad-sets", {"name": name, "campaign_id": campaign_id})


async def make_creative(
    client: httpx.AsyncClient,
    tenant: Tenant,
    campaign_id: str,
    name: str = "Hero video",
    **extra: Any,
) -> dict[str, Any]:
    body = {"name": name, "campaign_id": campaign_id, "format": "video", **extra}
    return await post_ok(client, tenant, "creatives", body)


async def make_customer(
    client: httpx.AsyncClient, tenant: Tenant, external_id: str = "cust-1", **extra: Any
) -> dict[str, Any]:
    return await post_ok(client, tenant, "customers", {"external_id": external_id, **extra})


async def make_order(
    client: httpx.AsyncClient,
    tenant: Tenant,
    customer_id: str,
    external_id: str = "order-1",
    order_date: str = "2024-03-01",
    revenue: float = 42.5,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "external_id": external_id,
        "customer_id": customer_id,
        "order_date": order_date,
        "revenue": revenue,
        **extra,
    }
    return await post_ok(client, tenant, "orders", body)


def metric_row(channel_id: str, day: str = "2024-03-01", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "date": day,
        "channel_id": channel_id,
        "impressions": 1000,
        "clicks": 25,
        "spend": 12.5,
        "conversions": 2,
        "revenue": 80.0,
    }
    row.update(extra)
    return row


async def make_metric(
    client: httpx.AsyncClient, tenant: Tenant, channel_id: str, **extra: Any
) -> dict[str, Any]:
    return await post_ok(client, tenant, "metrics/daily", metric_row(channel_id, **extra))


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def all_pages(
    client: httpx.AsyncClient, tenant: Tenant, path: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every item of a paginated list, following `next_cursor`."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        response = await client.get(tenant.path(path), params=query, headers=tenant.viewer)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["data"])
        if not page["has_more"]:
            return items
        query["cursor"] = page["next_cursor"]


async def upload_csv(
    client: httpx.AsyncClient,
    tenant: Tenant,
    kind: str,
    content: str | bytes,
    *,
    filename: str = "upload.csv",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a CSV file to the imports collection (as the analyst unless headers are given)."""
    data = content.encode() if isinstance(content, str) else content
    return await client.post(
        tenant.path("/imports"),
        data={"kind": kind},
        files={"file": (filename, data, "text/csv")},
        headers=tenant.analyst if headers is None else headers,
    )
