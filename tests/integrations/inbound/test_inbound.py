"""Inbound webhooks: per-provider signatures, the inbox (stored once per event id),
processing with retries, dead letters and replay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.auth import AuthContext
from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from brain.integrations import inbound
from brain.integrations.inbound_models import InboundWebhookEvent
from brain.warehouse.models import Customer, Order
from brain.webhooks.signing import signature_headers
from tests.factories import Tenant
from tests.integrations.inbound.conftest import Hooked, hooked_connection
from tests.integrations.inbound.signers import hubspot_headers, shopify_headers, stripe_headers

ORDER = {
    "id": 820982911946154508, "name": "#9999", "email": "jon@example.com",
    "created_at": "2026-11-20T12:00:00-05:00", "processed_at": "2026-11-20T12:00:00-05:00",
    "updated_at": "2026-11-20T12:00:00-05:00", "total_price": "199.65", "currency": "USD",
    "financial_status": "paid", "cancelled_at": None, "test": False,
    "landing_site": "/?utm_source=facebook", "customer": {"id": 115310627314723954,
                                                          "email": "jon@example.com"},
}


async def events_of(db: AsyncSession, tenant: Tenant) -> list[InboundWebhookEvent]:
    return list((await db.scalars(
        select(InboundWebhookEvent).where(InboundWebhookEvent.organization_id == tenant.id)
        .order_by(InboundWebhookEvent.received_at, InboundWebhookEvent.id)
        .execution_options(populate_existing=True))).all())


@pytest.fixture
def processing_jobs_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processing jobs never run (the message is lost, or the worker dies holding it): stored
    events stay pending until claimed by the test."""
    from brain.core.jobs import JOB_REGISTRY

    async def lost(runtime: Runtime, **_: Any) -> None:
        """The job is taken and never runs."""

    monkeypatch.setitem(JOB_REGISTRY, inbound.PROCESS_JOB, lost)


async def post_shopify(client: httpx.AsyncClient, hooked: Hooked, payload: dict[str, Any],
                       *, topic: str = "orders/create", event_id: str = "evt-1",
                       secret: str | None = None) -> httpx.Response:
    body = orjson.dumps(payload)
    headers = shopify_headers(secret or hooked.secret, body, topic=topic, event_id=event_id)
    return await client.post(hooked.url(), content=body, headers=headers)


async def test_a_shopify_order_is_stored_acknowledged_and_upserted_once(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    first = await post_shopify(client, shopify, ORDER)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "stored": 1}
    replay = await post_shopify(client, shopify, ORDER)
    assert replay.json() == {"received": 1, "stored": 0}
    events = await events_of(db, tenant)
    assert [(e.status, e.attempts, e.event_type) for e in events] == [
        ("processed", 1, "orders/create")]
    orders = (await db.scalars(select(Order).where(Order.organization_id == tenant.id))).all()
    assert [(o.external_id, o.revenue) for o in orders] == [("shopify:820982911946154508",
                                                             199.65)]


async def test_a_bad_signature_is_401_and_stores_only_an_audit_event(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    forged = await post_shopify(client, shopify, ORDER, secret="not-the-shop-secret")
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    unsigned = await client.post(shopify.url(), content=orjson.dumps(ORDER),
                                 headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert await events_of(db, tenant) == []
    assert await db.scalar(select(func.count()).select_from(Order).where(
        Order.organization_id == tenant.id)) == 0
    audits = (await db.scalars(select(AuditEvent).where(
        AuditEvent.organization_id == tenant.id,
        AuditEvent.action == "webhook.inbound_rejected"))).all()
    assert len(audits) == 2
    assert all(a.outcome == "failure" for a in audits)
    assert audits[0].target_id == str(shopify.connection.id)


async def test_wrong_provider_or_unknown_connection_is_404(
    client: httpx.AsyncClient, shopify: Hooked, clock: FrozenClock,
) -> None:
    body = orjson.dumps(ORDER)
    headers = shopify_headers(shopify.secret, body, topic="orders/create", event_id="e")
    assert (await client.post(shopify.url("hubspot"), content=body,
                              headers=headers)).status_code == 404
    missing = f"/api/v1/webhooks/in/shopify/{shopify.connection.organization_id}"
    assert (await client.post(missing, content=body, headers=headers)).status_code == 404
    assert (await client.post("/api/v1/webhooks/in/BAD!/x", content=body,
                              headers=headers)).status_code in (
        404, 422)


async def test_hubspot_v3_batches_are_split_and_unknown_types_ignored(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    # Companies and tickets are not kept by Brain: acknowledged, stored, ignored.
    batch = [
        {"eventId": 100, "subscriptionType": "company.creation", "objectId": 1},
        {"eventId": 101, "subscriptionType": "ticket.propertyChange", "objectId": 2,
         "propertyName": "subject", "propertyValue": "Help"},
    ]
    body = orjson.dumps(batch)
    uri = runtime.settings.public_url.rstrip("/") + hubspot.url()
    now_ms = int(clock.now().timestamp() * 1000)
    headers = hubspot_headers(hubspot.secret, method="POST", uri=uri, body=body,
                              timestamp_ms=now_ms)
    response = await client.post(hubspot.url(), content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 2, "stored": 2}
    events = await events_of(db, tenant)
    # The dedupe key is HubSpot's eventId qualified by what a retry repeats unchanged.
    assert sorted((e.provider_event_id.split("/", 1)[0], e.status) for e in events) == [
        ("100", "ignored"), ("101", "ignored")]
    stale = hubspot_headers(hubspot.secret, method="POST", uri=uri, body=body,
                            timestamp_ms=now_ms - 301_000)
    assert (await client.post(hubspot.url(), content=body, headers=stale)).status_code == 401
    other_uri = hubspot_headers(hubspot.secret, method="POST", uri=uri + "x", body=body,
                                timestamp_ms=now_ms)
    assert (await client.post(hubspot.url(), content=body,
                              headers=other_uri)).status_code == 401


async def test_stripe_style_signatures(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    hooked = await hooked_connection(runtime, tenant, "ga4", "whsec_stripe_style_secret")
    body = orjson.dumps({"id": "evt_1", "type": "invoice.paid", "data": {}})
    now = int(clock.now().timestamp())
    url = hooked.url("stripe")
    ok = await client.post(url, content=body,
                           headers=stripe_headers(hooked.secret, body, timestamp=now))
    assert ok.status_code == 200, ok.text
    late = stripe_headers(hooked.secret, body, timestamp=now - 301)
    assert (await client.post(url, content=body, headers=late)).status_code == 401
    tampered = body.replace(b"invoice.paid", b"invoice.void")
    signed_other = stripe_headers(hooked.secret, body, timestamp=now)
    assert (await client.post(url, content=tampered,
                              headers=signed_other)).status_code == 401
    assert [e.provider_event_id for e in await events_of(db, tenant)] == ["evt_1"]


async def test_generic_senders_use_standard_webhooks_with_a_generated_secret(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    hooked = await hooked_connection(runtime, tenant, "ga4", "placeholder-secret")
    configured = await client.post(
        tenant.path(f"/connections/{hooked.connection.id}/webhook-secret"),
        headers=tenant.admin, json={})
    assert configured.status_code == 200, configured.text
    answer = configured.json()
    assert answer["scheme"] == "standard"
    assert answer["secret"].startswith("whsec_")
    assert answer["url"].endswith(f"/api/v1/webhooks/in/generic/{hooked.connection.id}")
    body = orjson.dumps({"type": "conversion.created", "data": {"value": 3}})
    headers = signature_headers([answer["secret"]], "msg_42", int(clock.now().timestamp()),
                                body)
    sent = await client.post(hooked.url("generic"), content=body,
                             headers={**headers, "Content-Type": "application/json"})
    assert sent.status_code == 200, sent.text
    events = await events_of(db, tenant)
    assert [(e.provider_event_id, e.event_type, e.status) for e in events] == [
        ("msg_42", "conversion.created", "ignored")]
    # The old secret no longer works; viewers cannot set secrets.
    old = {**signature_headers(["whsec_" + "A" * 32], "msg_43", int(clock.now().timestamp()),
                               body), "Content-Type": "application/json"}
    assert (await client.post(hooked.url("generic"), content=body,
                              headers=old)).status_code == 401
    denied = await client.post(
        tenant.path(f"/connections/{hooked.connection.id}/webhook-secret"),
        headers=tenant.viewer, json={})
    assert denied.status_code == 403


async def test_a_poison_event_ends_in_the_dead_letters_and_can_be_replayed(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = {"fail": True}
    calls: list[int] = []

    async def flaky(session: AsyncSession, auth: AuthContext, payload: Any) -> None:
        calls.append(1)
        if broken["fail"]:
            raise RuntimeError("the warehouse said no")
        session.add(Customer(organization_id=auth.organization_id, external_id="fixed"))

    monkeypatch.setitem(inbound.INBOUND_HANDLERS, ("shopify", "customers/create"), flaky)
    response = await post_shopify(client, shopify, {"id": 5}, topic="customers/create",
                                  event_id="poison")
    assert response.status_code == 200
    for _ in range(10):  # far more rounds than attempts: it must not loop
        clock.advance(timedelta(hours=2))
        await inbound.process_due(runtime)
    assert len(calls) == inbound.MAX_PROCESSING_ATTEMPTS
    [event] = await events_of(db, tenant)
    assert event.status == "dead"
    assert "the warehouse said no" in (event.last_error or "")
    listed = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin,
                              params={"direction": "inbound"})
    [letter] = listed.json()["data"]
    assert letter["inbound_event_id"] == str(event.id)
    assert letter["attempts"] == inbound.MAX_PROCESSING_ATTEMPTS
    broken["fail"] = False
    replay = await client.post(tenant.path(f"/webhooks/dead-letters/{letter['id']}/replay"),
                               headers=tenant.admin)
    assert replay.status_code == 202, replay.text
    [event] = await events_of(db, tenant)
    assert event.status == "processed"
    assert await db.scalar(select(func.count()).select_from(Customer).where(
        Customer.organization_id == tenant.id, Customer.external_id == "fixed")) == 1


async def test_retries_back_off_before_giving_up(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    response = await post_shopify(client, shopify, {"no_id": True}, event_id="bad-order")
    assert response.status_code == 200
    [event] = await events_of(db, tenant)
    assert event.status == "pending"
    assert event.attempts == 1
    assert event.next_attempt_at is not None
    wait = event.next_attempt_at - clock.now()
    assert timedelta(seconds=10) <= wait <= timedelta(seconds=11)
    assert await inbound.process_due(runtime) == 0  # not due yet
    clock.advance(wait)
    assert await inbound.process_due(runtime) == 1


async def test_an_event_held_by_a_dead_worker_is_processed_after_its_lease(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock, processing_jobs_lost: None,
) -> None:
    response = await post_shopify(client, shopify, ORDER, event_id="held")
    assert response.status_code == 200
    assert await inbound._claim(runtime, None, 10)  # claimed, then the worker dies
    assert await inbound.process_due(runtime) == 0  # leased: nobody else takes it
    clock.advance(inbound.PROCESSING_LEASE)
    assert await inbound.process_due(runtime) == 1
    [event] = await events_of(db, tenant)
    assert (event.status, event.attempts) == ("processed", 2)


async def test_events_named_by_a_job_are_claimed_only_while_due_and_in_order(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock, processing_jobs_lost: None,
) -> None:
    for n in range(3):
        response = await post_shopify(client, shopify, {**ORDER, "id": 1000 + n},
                                      event_id=f"named-{n}")
        assert response.status_code == 200
    first, second, third = [e.id for e in await events_of(db, tenant)]
    assert await inbound.process_due(runtime, event_ids=[first]) == 1
    # Read by id: the processed event is skipped, the others come in the order received.
    claimed = await inbound._claim(runtime, [third, first, second], 10)
    assert [c.id for c in claimed] == [second, third]
    assert await inbound._claim(runtime, [second, third], 10) == []  # leased
    clock.advance(inbound.PROCESSING_LEASE)
    assert [c.id for c in await inbound._claim(runtime, [third], 10)] == [third]


async def test_the_pump_takes_expired_leases_then_due_events_oldest_first(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock, processing_jobs_lost: None,
) -> None:
    for n in range(3):
        await post_shopify(client, shopify, {**ORDER, "id": 2000 + n}, event_id=f"pump-{n}")
        clock.advance(timedelta(seconds=1))
    first, second, third = [e.id for e in await events_of(db, tenant)]
    assert [c.id for c in await inbound._claim(runtime, None, 1)] == [first]
    clock.advance(inbound.PROCESSING_LEASE)
    assert [c.id for c in await inbound._claim(runtime, None, 2)] == [first, second]
    assert [c.id for c in await inbound._claim(runtime, None, 5)] == [third]
    assert await inbound._claim(runtime, None, 5) == []


def _claimed_run(count: int) -> list[Any]:
    import uuid

    org, connection = uuid.uuid4(), uuid.uuid4()
    return [inbound._Claimed(uuid.uuid4(), org, connection, "shopify", "orders/create")
            for _ in range(count)]


@pytest.mark.parametrize(("paced", "busy", "units"), [
    (True, True, [50, 50, 20]),   # the embedded worker while requests are served
    (True, False, [120]),         # the embedded worker, the API idle
    (False, True, [120]),         # a separate worker process never cuts runs
])
async def test_a_paced_worker_processes_in_pieces_only_while_requests_are_served(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, paced: bool, busy: bool,
    units: list[int],
) -> None:
    from brain.core import pacing

    sizes: list[int] = []
    pauses: list[float] = []

    async def batch(runtime: Runtime, group: list[Any]) -> bool:
        sizes.append(len(group))
        return True

    async def give_way(busy_seconds: float) -> float:
        pauses.append(busy_seconds)
        return 0.0

    monkeypatch.setattr(inbound, "_process_batch", batch)
    monkeypatch.setattr(pacing, "give_way", give_way)
    monkeypatch.setattr(pacing, "is_paced", lambda: paced)
    monkeypatch.setattr(pacing.REQUESTS, "in_flight", 3 if busy else 0)
    monkeypatch.setattr(pacing.REQUESTS, "last_end", 0.0)
    await inbound.process_claimed(runtime, _claimed_run(120))
    assert sizes == units
    assert len(pauses) == len(units)  # a chance to give way after every piece
