"""The acknowledgement path of inbound webhooks: served ahead of the API stack, group commit
(concurrent requests share a transaction, duplicates stored once), the request guard's
limits, storage failures as 503, and the dedicated PostgreSQL writer of serving processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.app import create_app
from brain.core.clock import FrozenClock
from brain.core.db import system_session
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.integrations import inbound
from brain.integrations.inbound_models import InboundWebhookEvent
from brain.integrations.models import Connection
from brain.organizations.service import create_organization
from brain.settings import Settings
from tests.conftest import TEST_DATABASE_URL, migrated_database
from tests.factories import Tenant
from tests.integrations.inbound.conftest import Hooked
from tests.integrations.inbound.signers import shopify_headers


def _order(number: int) -> bytes:
    return orjson.dumps({"id": 5_000 + number, "email": f"b{number}@example.com",
                         "created_at": "2026-11-20T12:00:00-05:00",
                         "processed_at": "2026-11-20T12:00:00-05:00",
                         "total_price": "10.00", "currency": "USD", "test": False})


async def _post(client: httpx.AsyncClient, hooked: Hooked, number: int, event_id: str,
                **extra: str) -> httpx.Response:
    body = _order(number)
    headers = {**shopify_headers(hooked.secret, body, topic="orders/create",
                                 event_id=event_id), **extra}
    return await client.post(hooked.url(), content=body, headers=headers)


async def _stored(db: AsyncSession, tenant: Tenant) -> list[str]:
    rows = await db.scalars(select(InboundWebhookEvent.provider_event_id).where(
        InboundWebhookEvent.organization_id == tenant.id))
    return sorted(rows.all())


async def test_concurrent_requests_share_transactions_and_store_each_event_once(
    client: httpx.AsyncClient, tenant: Tenant, shopify: Hooked, db: AsyncSession,
    clock: FrozenClock, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    processed: list[list[str]] = []

    async def record(runtime: Runtime, **kwargs: Any) -> None:
        processed.append(kwargs["event_ids"])

    from brain.core.jobs import JOB_REGISTRY

    monkeypatch.setitem(JOB_REGISTRY, inbound.PROCESS_JOB, record)
    # 24 requests at once, 12 distinct events (each sent twice).
    responses = await asyncio.gather(*(
        _post(client, shopify, i % 12, f"evt-{i % 12}") for i in range(24)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert all(r.json()["received"] == 1 for r in responses)
    assert sum(r.json()["stored"] for r in responses) == 12
    assert await _stored(db, tenant) == sorted(f"evt-{i}" for i in range(12))
    app = client._transport.app  # type: ignore[attr-defined]
    assert app.state.inbound_inbox_writer.transactions < 24
    # Each new event was handed to processing exactly once.
    handed = [event_id for batch in processed for event_id in batch]
    assert len(handed) == len(set(handed)) == 12


async def test_concurrent_requests_share_one_connection_lookup(
    client: httpx.AsyncClient, shopify: Hooked, clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups: list[uuid.UUID] = []
    load = inbound._load_target

    async def counted(session: Any, keyring: Any, connection_id: uuid.UUID) -> Any:
        lookups.append(connection_id)
        return await load(session, keyring, connection_id)

    async def later(runtime: Runtime, **kwargs: Any) -> None:
        """Processing is not under test (it would share the test's one connection)."""

    from brain.core.jobs import JOB_REGISTRY

    monkeypatch.setitem(JOB_REGISTRY, inbound.PROCESS_JOB, later)
    monkeypatch.setattr(inbound, "_load_target", counted)
    inbound.forget_target(shopify.connection.id)
    responses = await asyncio.gather(*(_post(client, shopify, i, f"evt-one-{i}")
                                       for i in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert lookups == [shopify.connection.id]
    # Cached afterwards: no lookup at all.
    assert (await _post(client, shopify, 9, "evt-one-9")).status_code == 200
    assert len(lookups) == 1


async def test_the_answer_is_a_plain_json_ack_with_the_security_headers(
    client: httpx.AsyncClient, shopify: Hooked, clock: FrozenClock,
) -> None:
    response = await _post(client, shopify, 1, "evt-headers")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.json() == {"received": 1, "stored": 1}


async def test_request_guard_limits_apply(
    settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher, shopify: Hooked,
    db: AsyncSession, tenant: Tenant, clock: FrozenClock,
) -> None:
    small = settings.model_copy(update={"max_json_body_bytes": 64})
    app = create_app(small, runtime=runtime, dispatcher=dispatcher)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        too_big = await _post(client, shopify, 1, "evt-big")
        assert too_big.status_code == 413
        assert too_big.headers["content-type"] == "application/problem+json"
        assert too_big.json()["type"] == "/api/v1/problems/payload-too-large"
        body = b"id=1"
        not_json = await client.post(shopify.url(), content=body, headers={
            **shopify_headers(shopify.secret, body, topic="orders/create", event_id="e"),
            "Content-Type": "application/x-www-form-urlencoded"})
        assert not_json.status_code == 415
        assert not_json.headers["accept-post"] == "application/json"
        # Paths the receiver does not own go on to the application.
        assert (await client.get(shopify.url())).status_code == 405
        bad_id = await client.post("/api/v1/webhooks/in/shopify/not-a-uuid", content=b"{}",
                                   headers={"Content-Type": "application/json"})
        assert bad_id.status_code in (404, 422)
        assert bad_id.headers["content-type"] == "application/problem+json"
    assert await _stored(db, tenant) == []


async def test_a_storage_failure_is_503_with_retry_after(
    client: httpx.AsyncClient, shopify: Hooked, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: inbound.InboxWriter, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(inbound.InboxWriter, "_insert_session", broken)
    response = await _post(client, shopify, 1, "evt-lost")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "/api/v1/problems/service-unavailable"
    monkeypatch.undo()
    again = await _post(client, shopify, 1, "evt-lost")
    assert again.json() == {"received": 1, "stored": 1}


async def test_a_revoked_connection_is_refused_at_once(
    client: httpx.AsyncClient, shopify: Hooked, tenant: Tenant, clock: FrozenClock,
) -> None:
    assert (await _post(client, shopify, 1, "before")).status_code == 200
    deleted = await client.delete(tenant.path(f"/connections/{shopify.connection.id}"),
                                  headers=tenant.admin)
    assert deleted.status_code == 204
    assert (await _post(client, shopify, 2, "after")).status_code == 404


# --- the dedicated writer of a serving process (PostgreSQL) -------------------------------


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    if not TEST_DATABASE_URL:
        pytest.skip("the dedicated autocommit writer is the PostgreSQL path")
    with migrated_database(tmp_path_factory.mktemp("receiver"), "receiver") as settings:
        yield settings


async def test_a_serving_process_writes_through_its_own_connections(
    own_database: Settings, tmp_path: Path
) -> None:
    runtime = Runtime.create(own_database)
    try:
        async with system_session(runtime.session_factory) as session:
            org = await create_organization(session, name="Receiver")
            connection = Connection(organization_id=org.id, provider="shopify", name="Shop",
                                    status="active", sandbox=True)
            session.add(connection)
            await session.flush()
            await inbound.set_secret(session, runtime.keys, connection, "shpss_receiver_1234")
        sent: list[dict[str, Any]] = []

        class Recorder:
            async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
                sent.append(kwargs)

        app = create_app(own_database, runtime=runtime, dispatcher=Recorder())
        hooked = Hooked(connection=connection, secret="shpss_receiver_1234")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            responses = await asyncio.gather(*(
                _post(client, hooked, i % 30, f"evt-{i % 30}") for i in range(60)))
            writer = app.state.inbound_inbox_writer
            assert writer.dedicated
            assert writer.concurrency > 1
            nudging = app.state.inbound_nudger._task
            if nudging is not None:
                await nudging  # the job messages for the last events
            await inbound.close_receiver(app.state)
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        assert sum(r.json()["stored"] for r in responses) == 30
        assert writer.transactions < 60
        async with system_session(runtime.session_factory) as session:
            rows = (await session.execute(
                select(InboundWebhookEvent.provider_event_id, InboundWebhookEvent.status,
                       InboundWebhookEvent.headers, InboundWebhookEvent.attempts,
                       InboundWebhookEvent.next_attempt_at == InboundWebhookEvent.received_at)
                .where(InboundWebhookEvent.organization_id == org.id))).all()
            assert await session.scalar(select(func.count()).select_from(
                InboundWebhookEvent)) == 30
        assert sorted(r[0] for r in rows) == sorted(f"evt-{i}" for i in range(30))
        assert {(r[1], r[3], r[4]) for r in rows} == {("pending", 0, True)}
        assert all(r[2]["x-shopify-topic"] == "orders/create" for r in rows)
        # The stored events were handed to processing (in as few messages as possible).
        handed = [event_id for kwargs in sent for event_id in kwargs["event_ids"]]
        assert len(handed) == len(set(handed)) == 30
        assert len(sent) <= 30
    finally:
        await runtime.close()
