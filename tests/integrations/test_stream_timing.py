"""Per-stream timing of a sync run: each stream's started_at, finished_at and seconds, on
success, on failure (even before the stream's first checkpoint), and for a run of some
streams only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.engine import SyncEngine
from brain.integrations.models import SyncRun
from tests.factories import Tenant
from tests.integrations.helpers import RecordingDispatcher, queue_sync, sandbox_connection


def timing(progress: dict[str, Any]) -> tuple[datetime, datetime, float]:
    started = datetime.fromisoformat(progress["started_at"])
    finished = datetime.fromisoformat(progress["finished_at"])
    assert started.tzinfo is not None
    assert finished >= started
    seconds = progress["seconds"]
    assert abs(seconds - (finished - started).total_seconds()) < 0.002
    return started, finished, seconds


async def test_each_stream_of_a_run_has_its_duration(
    client: httpx.AsyncClient, tenant: Tenant,
) -> None:
    created = await client.post(
        tenant.path("/connections"), headers=tenant.admin,
        json={"provider": "hubspot", "sandbox": True,
              "config": {"sandbox": {"days": 30, "fault_rate": 0.0, "rate_limit_every": 0}}})
    assert created.status_code == 201, created.text
    path = tenant.path(f"/connections/{created.json()['id']}/syncs")
    queued = await client.post(path, headers=tenant.admin, json={"mode": "backfill"})
    assert queued.status_code == 202, queued.text
    fetched = await client.get(f"{path}/{queued.json()['id']}", headers=tenant.viewer)
    body = fetched.json()
    assert body["status"] == "succeeded", body
    assert body["only_streams"] is None
    streams = body["streams"]
    assert set(streams) == {"contacts", "deals"}
    contacts = timing(streams["contacts"])
    deals = timing(streams["deals"])
    assert contacts[1] <= deals[0]  # one stream after the other
    for progress in streams.values():
        assert progress["status"] == "succeeded"
        assert {"rows_read", "rows_written", "through"} <= progress.keys()
    assert streams["contacts"]["rows_read"] > 0
    run_started = datetime.fromisoformat(body["started_at"].replace("Z", "+00:00"))
    run_finished = datetime.fromisoformat(body["finished_at"].replace("Z", "+00:00"))
    assert run_started <= contacts[0]
    assert deals[1] <= run_finished


async def stored_run(runtime: Runtime, run_id: Any) -> SyncRun:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        run = await session.scalar(select(SyncRun).where(SyncRun.id == run_id)
                                   .execution_options(populate_existing=True))
        assert run is not None
        return run


async def test_a_failed_stream_is_timed_too(runtime: Runtime, tenant: Tenant) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "hubspot", days=30)

    def hubspot(request: httpx.Request) -> httpx.Response:
        if "/deals/" in request.url.path:
            return httpx.Response(400, json={
                "status": "error", "message": "Invalid input JSON on line 1",
                "correlationId": "0c5d1b4e-6f3a-4d4e-9e37-2a1b7c9e0f11",
                "category": "VALIDATION_ERROR"})
        return httpx.Response(200, json={"total": 0, "results": []})

    run = await queue_sync(runtime, connection)
    result = await SyncEngine(
        runtime, dispatcher=RecordingDispatcher(), request_brain_run=False,
        transport_factory=lambda *_: httpx.MockTransport(hubspot),
    ).run(sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "failed"
    stored = await stored_run(runtime, run.id)
    assert stored.error_kind == "invalid_request"
    assert stored.streams["contacts"]["status"] == "succeeded"
    deals = stored.streams["deals"]
    assert deals["status"] == "failed"
    assert deals["rows_read"] == 0
    timing(stored.streams["contacts"])
    timing(deals)


async def test_a_run_of_some_streams_reads_only_those(runtime: Runtime, tenant: Tenant) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "hubspot", days=30)
    run = await queue_sync(runtime, connection)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        queued = await session.get(SyncRun, run.id)
        assert queued is not None
        queued.only_streams = ["deals"]
        await session.commit()
    result = await SyncEngine(runtime, dispatcher=RecordingDispatcher(),
                              request_brain_run=False).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "succeeded", result.error
    stored = await stored_run(runtime, run.id)
    assert list(stored.streams) == ["deals"]
    timing(stored.streams["deals"])
