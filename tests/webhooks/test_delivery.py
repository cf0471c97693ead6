"""Deliveries to a real receiver on loopback: signatures, the outbox, the retry schedule,
Retry-After, 410, timeouts, auto-disable, dead letters with replay, worker restarts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import ORG_INFO_KEY, tenant_session
from brain.core.runtime import Runtime
from brain.webhooks.models import WebhookDeadLetter, WebhookDelivery, WebhookEndpoint
from brain.webhooks.outbox import enqueue_event
from brain.webhooks.retry import MAX_ATTEMPTS, RETRY_DELAYS
from brain.webhooks.signing import verify
from brain.webhooks.tasks import _claim, pump_once
from tests.factories import Tenant
from tests.webhooks.helpers import create_endpoint
from tests.webhooks.receiver import Receiver, Scripted


async def emit(runtime: Runtime, tenant: Tenant, event_type: str = "sync.completed",
               payload: dict[str, Any] | None = None) -> None:
    """An event written the way producers write it: in their own committed transaction."""
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        await enqueue_event(session, tenant.id, event_type, payload or {"rows": 3},
                            now=runtime.clock.now())


async def delivery_of(db: AsyncSession, endpoint_id: str) -> WebhookDelivery:
    rows = (await db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
        .execution_options(populate_existing=True))).all()
    assert len(rows) == 1
    return rows[0]


async def test_test_event_is_signed_and_logged(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, clock: FrozenClock
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    response = await client.post(tenant.path(f"/webhook-endpoints/{endpoint['id']}/test"),
                                 headers=tenant.admin)
    assert response.status_code == 202, response.text
    assert len(receiver.received) == 1
    message = receiver.received[0]
    verify([endpoint["secret"]], message.headers, message.body, now=clock.now())
    envelope = orjson.loads(message.body)
    assert envelope["type"] == "webhook.test"
    assert message.headers["webhook-id"].startswith("msg_")
    assert message.headers["content-type"] == "application/json"
    log = await client.get(tenant.path(f"/webhook-endpoints/{endpoint['id']}/deliveries"),
                           headers=tenant.admin)
    attempts = log.json()["data"]
    assert [(a["status_code"], a["succeeded"], a["attempt_number"]) for a in attempts] == [
        (200, True, 1)]
    assert attempts[0]["duration_ms"] >= 0
    assert attempts[0]["response_body"] == "ok"


async def test_outbox_sends_committed_events_to_subscribers_only(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/sync"), ["sync.completed"])
    await create_endpoint(client, tenant, receiver.url("/quota"), ["quota.warning"])
    async with runtime.session_factory() as session:
        session.info[ORG_INFO_KEY] = tenant.id
        await enqueue_event(session, tenant.id, "sync.completed", {"lost": True})
        await session.rollback()
    await emit(runtime, tenant, "sync.completed", {"rows": 3})
    result = await pump_once(runtime)
    assert result.events_fanned_out == 1
    assert [(r.path, orjson.loads(r.body)["data"]) for r in receiver.received] == [
        ("/sync", {"rows": 3})]
    # Nothing is sent twice.
    assert (await pump_once(runtime)).attempts_made == 0
    with pytest.raises(ValueError, match="unknown webhook event type"):
        async with runtime.session_factory() as session:
            await enqueue_event(session, tenant.id, "not.an.event", {})


async def test_failures_follow_the_retry_schedule_then_dead_letter_and_replay(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.default = Scripted(status=500, body=b"x" * 5000)
    await emit(runtime, tenant)
    await pump_once(runtime)
    for attempt in range(1, MAX_ATTEMPTS):
        delivery = await delivery_of(db, endpoint["id"])
        assert delivery.status == "pending"
        assert delivery.attempt_count == attempt
        assert delivery.next_attempt_at is not None
        delay = delivery.next_attempt_at - clock.now()
        expected = RETRY_DELAYS[attempt]
        assert expected <= delay <= expected * 1.1 + timedelta(microseconds=1)
        # Not before it is due.
        clock.advance(delay - timedelta(seconds=1) if delay > timedelta(seconds=1)
                      else timedelta(0))
        if delay > timedelta(seconds=1):
            assert (await pump_once(runtime)).attempts_made == 0
        clock.set(delivery.next_attempt_at)
        assert (await pump_once(runtime)).attempts_made == 1
    delivery = await delivery_of(db, endpoint["id"])
    assert delivery.status == "dead"
    assert delivery.attempt_count == MAX_ATTEMPTS
    assert len(receiver.received) == MAX_ATTEMPTS
    log = await client.get(tenant.path(f"/webhook-endpoints/{endpoint['id']}/deliveries"),
                           params={"limit": 50}, headers=tenant.admin)
    attempts = log.json()["data"]
    assert len(attempts) == MAX_ATTEMPTS
    assert all(a["status_code"] == 500 and a["error"] == "HTTP 500" for a in attempts)
    assert len(attempts[0]["response_body"]) == 1024  # truncated in the log
    dead = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin,
                            params={"direction": "outbound"})
    letters = dead.json()["data"]
    assert [(d["attempts"], d["error"]) for d in letters] == [(MAX_ATTEMPTS, "HTTP 500")]
    receiver.default = Scripted(status=204, body=b"")
    replay = await client.post(
        tenant.path(f"/webhooks/dead-letters/{letters[0]['id']}/replay"), headers=tenant.admin)
    assert replay.status_code == 202, replay.text
    assert (await delivery_of(db, endpoint["id"])).status == "succeeded"
    assert len(receiver.received) == MAX_ATTEMPTS + 1
    again = await client.post(
        tenant.path(f"/webhooks/dead-letters/{letters[0]['id']}/replay"), headers=tenant.admin)
    assert again.status_code == 409


async def test_retry_after_is_honoured(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.then(Scripted(status=429, headers={"Retry-After": "120"}))
    await emit(runtime, tenant)
    await pump_once(runtime)
    delivery = await delivery_of(db, endpoint["id"])
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(timedelta(seconds=119))
    assert (await pump_once(runtime)).attempts_made == 0
    clock.advance(timedelta(seconds=1))
    assert (await pump_once(runtime)).attempts_made == 1
    assert (await delivery_of(db, endpoint["id"])).status == "succeeded"


async def test_410_disables_the_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.default = Scripted(status=410)
    await emit(runtime, tenant)
    await pump_once(runtime)
    row = await db.get(WebhookEndpoint, uuid.UUID(endpoint["id"]), populate_existing=True)
    assert row is not None
    assert not row.enabled
    assert row.disabled_reason == "gone"
    assert (await delivery_of(db, endpoint["id"])).status == "dead"
    await emit(runtime, tenant)
    await pump_once(runtime)
    assert len(receiver.received) == 1  # a disabled endpoint gets no new deliveries
    dead = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin)
    letter = dead.json()["data"][0]
    assert "410" in letter["error"]
    # Replaying needs the endpoint enabled again.
    blocked = await client.post(
        tenant.path(f"/webhooks/dead-letters/{letter['id']}/replay"), headers=tenant.admin)
    assert blocked.status_code == 409


async def test_timeouts_are_failures(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime.settings, "webhook_timeout_seconds", 0.3)
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.then(Scripted(delay=2.0))
    await emit(runtime, tenant)
    await pump_once(runtime)
    delivery = await delivery_of(db, endpoint["id"])
    assert delivery.status == "pending"
    assert delivery.last_error == "timed out after 0.3 s"
    assert delivery.last_status_code is None


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.then(Scripted(status=302, headers={"Location": receiver.url("/elsewhere")}))
    await emit(runtime, tenant)
    await pump_once(runtime)
    assert [r.path for r in receiver.received] == ["/hook"]
    delivery = await delivery_of(db, endpoint["id"])
    assert delivery.status == "pending"
    assert delivery.last_error == "redirects are not followed"


async def test_five_days_of_failures_disable_the_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    receiver.default = Scripted(status=503)
    await emit(runtime, tenant)
    await pump_once(runtime)
    clock.advance(timedelta(days=5))
    await emit(runtime, tenant)
    await pump_once(runtime)
    row = await db.get(WebhookEndpoint, uuid.UUID(endpoint["id"]), populate_existing=True)
    assert row is not None
    assert row.disabled_reason == "failing"
    assert not row.enabled
    letters = (await db.scalars(select(WebhookDeadLetter).where(
        WebhookDeadLetter.organization_id == tenant.id))).all()
    assert letters
    assert all(letter.direction == "outbound" for letter in letters)


async def test_no_event_is_lost_when_a_worker_dies(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    await emit(runtime, tenant)
    await pump_once(runtime)  # fan-out and a successful send of the first event
    await emit(runtime, tenant, payload={"second": True})
    from brain.core.db import system_session
    from brain.webhooks.outbox import fan_out

    async with system_session(runtime.session_factory) as session:
        await fan_out(session, now=clock.now(), limit=10)
    claims = await _claim(runtime)  # the worker claims it ... and dies before sending
    assert len(claims) == 1
    assert (await pump_once(runtime)).attempts_made == 0  # leased: nobody else takes it
    clock.advance(timedelta(minutes=2))  # the lease expires
    assert (await pump_once(runtime)).attempts_made == 1
    bodies = [orjson.loads(r.body)["data"] for r in receiver.received]
    assert bodies == [{"rows": 3}, {"second": True}]
    count = await db.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]),
        WebhookDelivery.status == "succeeded"))
    assert count == 2


async def test_rotated_secrets_sign_twice_during_the_overlap(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock,
) -> None:
    endpoint = await create_endpoint(client, tenant, receiver.url())
    rotated = await client.post(
        tenant.path(f"/webhook-endpoints/{endpoint['id']}/rotate-secret"), headers=tenant.admin)
    new_secret = rotated.json()["secret"]
    await emit(runtime, tenant)
    await pump_once(runtime)
    message = receiver.received[-1]
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    verify([endpoint["secret"]], message.headers, message.body, now=clock.now())
    verify([new_secret], message.headers, message.body, now=clock.now())
    clock.advance(timedelta(hours=24, seconds=1))
    await emit(runtime, tenant)
    await pump_once(runtime)
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 1


async def test_outside_development_loopback_targets_are_refused_at_send_time(
    receiver: Receiver,
) -> None:
    from datetime import UTC, datetime

    from brain.webhooks.delivery import Claim, send

    claim = Claim(delivery_id=uuid.uuid4(), attempt_number=1, url=receiver.url(),
                  secrets=("whsec_" + "A" * 32,), msg_id="msg_x", body=b"{}")
    tls_claim = Claim(delivery_id=uuid.uuid4(), attempt_number=1,
                      url=f"https://127.0.0.1:{receiver.port}/hook",
                      secrets=claim.secrets, msg_id="msg_x", body=b"{}")
    async with httpx.AsyncClient() as http:
        plain = await send(http, claim, now=datetime.now(UTC), development=False,
                           timeout_seconds=2)
        refused = await send(http, tls_claim, now=datetime.now(UTC), development=False,
                             timeout_seconds=2)
        allowed = await send(http, claim, now=datetime.now(UTC), development=True,
                             timeout_seconds=2)
    assert plain.error is not None
    assert "scheme" in plain.error
    assert refused.status_code is None
    assert refused.error is not None
    assert "loopback" in refused.error
    assert receiver.received[-1:]
    assert allowed.status_code == 200
    assert len(receiver.received) == 1


async def test_old_history_is_purged_but_not_work_in_flight(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, runtime: Runtime,
    clock: FrozenClock, db: AsyncSession,
) -> None:
    from brain.webhooks.models import WebhookEvent
    from brain.webhooks.tasks import purge_old

    endpoint = await create_endpoint(client, tenant, receiver.url())
    await emit(runtime, tenant)
    await pump_once(runtime)  # delivered
    receiver.default = Scripted(status=500)
    await emit(runtime, tenant)
    await pump_once(runtime)  # failing: still pending
    clock.advance(timedelta(days=31))
    assert await purge_old(runtime, older_than=timedelta(days=30)) == 1
    left = (await db.scalars(select(WebhookDelivery.status).where(
        WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"])))).all()
    assert list(left) == ["pending"]
    assert await db.scalar(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.organization_id == tenant.id)) == 1
