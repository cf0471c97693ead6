"""Dead letters filtered by connection (inbound) and endpoint (outbound), and the catalogue
of event types endpoints can subscribe to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import get_args

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import utcnow
from brain.integrations.inbound_models import InboundWebhookEvent
from brain.integrations.models import Connection
from brain.webhooks.events import DESCRIPTIONS, EventType
from brain.webhooks.models import (
    WebhookDeadLetter,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.factories import Tenant


@dataclass(frozen=True)
class Letters:
    connections: list[uuid.UUID]
    endpoints: list[uuid.UUID]
    # dead letter ids by the connection / endpoint they came from
    by_source: dict[uuid.UUID, list[str]]


async def bury(db: AsyncSession, tenant: Tenant, *, connections: int, endpoints: int,
               each: int = 1) -> Letters:
    """Dead letters of `connections` inbound connections and `endpoints` outbound endpoints."""
    now = utcnow()
    by_source: dict[uuid.UUID, list[str]] = {}
    connection_ids, endpoint_ids = [], []
    for n in range(connections):
        connection = Connection(organization_id=tenant.id, provider="shopify",
                                name=f"shop {n}", status="active", sandbox=True)
        db.add(connection)
        await db.flush()
        connection_ids.append(connection.id)
        for i in range(each):
            event = InboundWebhookEvent(
                organization_id=tenant.id, connection_id=connection.id, provider="shopify",
                provider_event_id=f"evt-{n}-{i}", event_type="orders/create", headers={},
                body=b"{}", received_at=now, status="dead", attempts=5)
            db.add(event)
            await db.flush()
            letter = WebhookDeadLetter(organization_id=tenant.id, direction="inbound",
                                       inbound_event_id=event.id, event_type="orders/create",
                                       attempts=5, error="boom", created_at=now)
            db.add(letter)
            await db.flush()
            by_source.setdefault(connection.id, []).append(str(letter.id))
    for n in range(endpoints):
        endpoint = WebhookEndpoint(organization_id=tenant.id, url=f"https://hooks.example/{n}",
                                   events=["sync.completed"], secret_encrypted="v1:x")
        out = WebhookEvent(organization_id=tenant.id, event_type="sync.completed", payload={},
                           created_at=now, dispatched_at=now)
        db.add_all([endpoint, out])
        await db.flush()
        endpoint_ids.append(endpoint.id)
        for _ in range(each):
            delivery = WebhookDelivery(organization_id=tenant.id, endpoint_id=endpoint.id,
                                       event_id=out.id, event_type="sync.completed",
                                       status="dead", attempt_count=8, created_at=now)
            db.add(delivery)
            await db.flush()
            letter = WebhookDeadLetter(organization_id=tenant.id, direction="outbound",
                                       delivery_id=delivery.id, event_type="sync.completed",
                                       attempts=8, error="HTTP 500", created_at=now)
            db.add(letter)
            await db.flush()
            by_source.setdefault(endpoint.id, []).append(str(letter.id))
    await db.commit()
    return Letters(connection_ids, endpoint_ids, by_source)


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: str) -> list[str]:
    response = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin,
                                params=params)
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["data"])


async def test_dead_letters_filter_by_connection_and_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: AsyncSession,
) -> None:
    ours = await bury(db, tenant, connections=2, endpoints=2)
    theirs = await bury(db, other_tenant, connections=1, endpoints=1)
    c1, c2 = ours.connections
    e1, e2 = ours.endpoints
    assert len(await listed(client, tenant)) == 4
    assert await listed(client, tenant, connection_id=str(c1)) == ours.by_source[c1]
    assert await listed(client, tenant, connection_id=str(c2)) == ours.by_source[c2]
    assert await listed(client, tenant, endpoint_id=str(e2)) == ours.by_source[e2]
    assert await listed(client, tenant, direction="inbound",
                        connection_id=str(c1)) == ours.by_source[c1]
    assert await listed(client, tenant, direction="outbound", connection_id=str(c1)) == []
    assert await listed(client, tenant, direction="outbound",
                        endpoint_id=str(e1)) == ours.by_source[e1]
    assert await listed(client, tenant, connection_id=str(c1), endpoint_id=str(e1)) == []
    # Another tenant's ids are not an error: they just match nothing here.
    assert await listed(client, tenant, connection_id=str(theirs.connections[0])) == []
    assert await listed(client, tenant, endpoint_id=str(theirs.endpoints[0])) == []
    assert await listed(client, tenant, connection_id=str(uuid.uuid4())) == []
    bad = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin,
                           params={"connection_id": "not-a-uuid"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_a_filtered_list_pages_within_the_filter(
    client: httpx.AsyncClient, tenant: Tenant, db: AsyncSession,
) -> None:
    ours = await bury(db, tenant, connections=2, endpoints=1, each=3)
    wanted = ours.connections[0]
    seen: list[str] = []
    params = {"connection_id": str(wanted), "limit": "2"}
    while True:
        response = await client.get(tenant.path("/webhooks/dead-letters"),
                                    headers=tenant.admin, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            break
        params = {**params, "cursor": page["next_cursor"]}
    assert sorted(seen) == ours.by_source[wanted]


async def test_only_webhook_managers_list_dead_letters(
    client: httpx.AsyncClient, tenant: Tenant,
) -> None:
    path = tenant.path("/webhooks/dead-letters")
    assert (await client.get(path, params={"endpoint_id": str(uuid.uuid4())})).status_code == 401
    denied = await client.get(path, headers=tenant.analyst,
                              params={"connection_id": str(uuid.uuid4())})
    assert denied.status_code == 403


async def test_event_type_catalogue(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/api/v1/webhooks/event-types", headers=tenant.viewer)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    # The one list of types the endpoints accept, in its order, each with a description.
    assert [item["type"] for item in data] == list(get_args(EventType))
    assert data[0] == {"type": "sync.completed", "description": DESCRIPTIONS["sync.completed"]}
    assert all(item["description"] for item in data)
    for role_headers in (tenant.admin, tenant.analyst):
        assert (await client.get("/api/v1/webhooks/event-types",
                                 headers=role_headers)).json()["data"] == data
    # Whatever the catalogue lists, an endpoint can subscribe to.
    created = await client.post(tenant.path("/webhook-endpoints"), headers=tenant.admin,
                                json={"url": "http://127.0.0.1:9/hook",
                                      "events": [item["type"] for item in data]})
    assert created.status_code == 201, created.text


async def test_event_type_catalogue_needs_a_credential(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer brn_not-a-real-key"}):
        response = await client.get("/api/v1/webhooks/event-types", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")
