"""Contract-test kit for the GA4, HubSpot, Salesforce and Shopify connectors.

`Replay` is an `httpx.MockTransport` that answers with recorded responses (JSON files under
`fixtures/<provider>/`, shaped as the provider's documentation shows) in order and keeps
every request, so a test can pin method, URL, query, headers and body exactly.
`contract_connector` builds the connector the way the sync engine does (`build_connector`)
with that transport, fixed credentials and a sleep that only records the waits.
`sandbox_backfill` runs a sandbox connection through the real sync engine.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import aliased

from brain.core.crypto import Keyring
from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.base import Connector, Credentials, Record, StateCheckpoint
from brain.integrations.engine import SyncEngine, TransportFactory
from brain.integrations.factory import build_connector, sandbox_context
from brain.integrations.http import RateLimiter
from brain.integrations.models import Connection, SyncRun
from brain.integrations.registry import ProviderEntry, get_provider
from brain.warehouse.models import Campaign, Channel, Customer, Order
from tests.integrations.helpers import (
    RecordingDispatcher,
    queue_sync,
    sandbox_connection,
    warehouse_snapshot,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ORG_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
CONNECTION_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")


def fixture(provider: str, name: str) -> dict[str, Any]:
    """The recorded exchange `fixtures/{provider}/{name}.json` as a dict."""
    data: dict[str, Any] = json.loads((FIXTURES / provider / f"{name}.json").read_text())
    return data


def recorded(provider: str, name: str) -> httpx.Response:
    """A recorded response, status, headers and body as stored."""
    data = fixture(provider, name)
    body = data.get("body")
    headers = dict(data.get("headers") or {})
    if body is None:
        return httpx.Response(int(data["status"]), headers=headers)
    if isinstance(body, str):
        return httpx.Response(int(data["status"]), headers=headers, text=body)
    headers.pop("Content-Type", None)
    return httpx.Response(int(data["status"]), headers=headers, json=body)


class Replay(httpx.MockTransport):
    """Answers the queued responses in order and records each request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.queue = list(responses)
        self.requests: list[httpx.Request] = []
        super().__init__(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.queue:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        return self.queue.pop(0)

    def json_body(self, index: int) -> Any:
        return json.loads(self.requests[index].content)

    def query(self, index: int) -> dict[str, str]:
        return dict(self.requests[index].url.params)


class Sleeps:
    """A sleep that returns at once and remembers how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def contract_connector(
    provider: str,
    transport: httpx.AsyncBaseTransport,
    *,
    config: dict[str, Any] | None = None,
    credentials: Credentials | None = None,
    sleeps: Sleeps | None = None,
    sandbox: bool = False,
    organization_id: uuid.UUID = ORG_ID,
) -> Connector:
    """The provider's connector wired as the engine wires it, over `transport`."""
    entry = get_provider(provider)
    assert entry is not None, provider
    connection = Connection(
        id=CONNECTION_ID,
        organization_id=organization_id,
        provider=provider,
        name=provider,
        sandbox=sandbox,
        config=dict(config or {}),
    )
    connector = build_connector(
        entry,
        connection,
        keyring=Keyring.from_spec("", "contract-tests-only-secret-0123456789abcdef"),
        transport=transport,
        credentials=credentials or Credentials(access_token="test-access-token"),
        sleep=sleeps or Sleeps(),
    )
    # A bucket of its own, full: the process-wide one is drained by earlier tests, and with a
    # sleep that does not pass time its waits would spin (and pollute the recorded waits).
    cls = entry.connector
    connector.http.limiter = RateLimiter(cls.rate_per_second, cls.burst)
    return connector


async def collect(
    connector: Connector, stream: str, state: dict[str, Any] | None, window: Any
) -> tuple[list[Record], list[StateCheckpoint]]:
    """Every record and checkpoint of one `read`."""
    records: list[Record] = []
    checkpoints: list[StateCheckpoint] = []
    async for message in connector.read(connector.stream(stream), state, window):
        if isinstance(message, Record):
            records.append(message)
        else:
            checkpoints.append(message)
    return records, checkpoints


async def sandbox_backfill(
    runtime: Runtime,
    organization_id: uuid.UUID,
    provider: str,
    *,
    start: date,
    end: date,
    days: int = 30,
    config: dict[str, Any] | None = None,
    fault_rate: float = 0.05,
    rate_limit_every: int = 11,
) -> tuple[Connection, SyncRun]:
    """A sandbox connection (with extra `config`) backfilled through the real sync engine."""
    connection = await sandbox_connection(runtime, organization_id, provider, days=days,
                                          fault_rate=fault_rate,
                                          rate_limit_every=rate_limit_every)
    if config:
        async with runtime.session_factory() as session:
            session.info[BYPASS_INFO_KEY] = True
            stored = await session.get(Connection, connection.id)
            assert stored is not None
            stored.config = {**stored.config, **config}
            await session.commit()
    run = await rerun(runtime, connection, start=start, end=end)
    return connection, run


async def rerun(runtime: Runtime, connection: Connection, *, start: date, end: date) -> SyncRun:
    """Queue and run one backfill of `connection`; fails the test if the run fails."""
    run = await queue_sync(runtime, connection, start=start, end=end)
    result = await SyncEngine(runtime, dispatcher=RecordingDispatcher()).run(
        sync_run_id=run.id, organization_id=connection.organization_id
    )
    assert result.status == "succeeded", result.error
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(SyncRun, run.id, populate_existing=True)
        assert stored is not None
        return stored


class Killed(BaseException):
    """Stands for `kill -9`: not an `Exception`, so nothing on the way records a failure."""


def killing_transport(after_requests: int) -> TransportFactory:
    """Sandbox transports that die on the `after_requests`-th request of the run."""
    count = 0

    def factory(entry: ProviderEntry, connection: Connection) -> httpx.AsyncBaseTransport:
        inner = entry.sandbox(sandbox_context(connection))

        class Dying(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                nonlocal count
                count += 1
                if count >= after_requests:
                    raise Killed(f"killed at request {count}")
                return await inner.handle_async_request(request)

        return Dying()

    return factory


async def warehouse_rows(runtime: Runtime, organization_id: uuid.UUID) -> dict[str, list[Any]]:
    """Every customer, order and daily-metric row of the tenant by natural key, sorted."""
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        customers = await session.execute(
            select(Customer.external_id, Customer.email, Customer.first_order_on,
                   Channel.platform)
            .outerjoin(Channel, Channel.id == Customer.acquisition_channel_id)
            .where(Customer.organization_id == organization_id)
            .order_by(Customer.external_id)
        )
        buyer = aliased(Customer)
        orders = await session.execute(
            select(Order.external_id, buyer.external_id, Order.order_date, Order.revenue,
                   Order.deleted_at.is_(None))
            .join(buyer, buyer.id == Order.customer_id)
            .where(Order.organization_id == organization_id)
            .order_by(Order.external_id)
        )
        metrics = await warehouse_snapshot(session, organization_id)
        campaigns = await session.execute(
            select(Channel.platform, Campaign.name)
            .join(Channel, Channel.id == Campaign.channel_id)
            .where(Campaign.organization_id == organization_id)
            .order_by(Channel.platform, Campaign.name)
        )
        return {
            "customers": [tuple(r) for r in customers],
            "orders": [tuple(r) for r in orders],
            "metrics": metrics,
            "campaigns": [tuple(r) for r in campaigns],
        }


async def kill_and_resume(
    runtime: Runtime,
    killed_org: uuid.UUID,
    clean_org: uuid.UUID,
    provider: str,
    *,
    start: date,
    end: date,
    kill_points: tuple[int, ...],
    config: dict[str, Any] | None = None,
    page_size_cap: int = 60,
) -> dict[str, list[Any]]:
    """Kill a sandbox backfill at each of `kill_points` requests, resume it, and compare the
    warehouse with a clean run's of the same world (returned)."""
    sandbox = {"days": 30, "fault_rate": 0.03, "rate_limit_every": 13,
               "page_size_cap": page_size_cap}
    connections = []
    for org in (killed_org, clean_org):
        connection = await sandbox_connection(runtime, org, provider, **sandbox)
        async with runtime.session_factory() as session:
            session.info[BYPASS_INFO_KEY] = True
            stored = await session.get(Connection, connection.id)
            assert stored is not None
            stored.config = {**stored.config, **(config or {})}
            await session.commit()
            connections.append(stored)
    killed, clean = connections
    run = await queue_sync(runtime, killed, start=start, end=end)
    for point in kill_points:
        engine = SyncEngine(runtime, holder="worker", dispatcher=RecordingDispatcher(),
                            transport_factory=killing_transport(point))
        try:
            await engine.run(sync_run_id=run.id, organization_id=killed_org)
        except Killed:
            pass
        else:
            raise AssertionError(f"the run finished before request {point}")
    result = await SyncEngine(runtime, holder="worker", dispatcher=RecordingDispatcher()).run(
        sync_run_id=run.id, organization_id=killed_org
    )
    assert result.status == "succeeded", result.error
    await rerun(runtime, clean, start=start, end=end)
    resumed = await warehouse_rows(runtime, killed_org)
    expected = await warehouse_rows(runtime, clean_org)
    assert resumed == expected
    return expected
