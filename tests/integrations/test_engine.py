"""The sync engine against sandbox providers: backfill, delta, checkpoints, leases, failures."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.demo.simulator import simulate
from brain.integrations.engine import SyncEngine
from brain.integrations.models import (
    Connection,
    ConnectionStreamState,
    SyncKind,
    SyncLease,
    SyncRun,
)
from brain.warehouse.models import DailyMetric
from tests.factories import Tenant
from tests.integrations.helpers import (
    SANDBOX_TODAY,
    RecordingDispatcher,
    queue_sync,
    sandbox_connection,
    warehouse_snapshot,
)


def expected_meta_rows(days: int, start: date, end: date) -> int:
    sim = simulate("beauty", days=days, seed=7, today=SANDBOX_TODAY)
    meta = [i for i, c in enumerate(sim.channels) if c.platform == "meta"]
    count = 0
    for d, c in zip(sim.metrics.day.tolist(), sim.metrics.channel.tolist(), strict=True):
        day = sim.start + timedelta(days=d)
        if c in meta and start <= day <= end:
            count += 1
    return count


async def test_meta_sandbox_backfill_loads_every_row(runtime: Runtime, tenant: Tenant) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=40,
                                          fault_rate=0.05, rate_limit_every=7)
    run = await queue_sync(runtime, connection)
    recorder = RecordingDispatcher()
    result = await SyncEngine(runtime, dispatcher=recorder).run(
        sync_run_id=run.id, organization_id=tenant.id
    )
    assert result.status == "succeeded", result.error
    expected = expected_meta_rows(40, run.start_date, run.end_date)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(SyncRun, run.id, populate_existing=True)
        assert stored is not None
        assert stored.rows_read == expected
        assert stored.streams["ads_insights"]["status"] == "succeeded"
        count = await session.scalar(
            select(func.count()).select_from(DailyMetric)
            .where(DailyMetric.organization_id == tenant.id)
        )
        assert count == expected
        assert await session.scalar(select(func.count()).select_from(SyncLease)) == 0
        state = await session.scalar(
            select(ConnectionStreamState).where(
                ConnectionStreamState.connection_id == connection.id
            )
        )
        assert state is not None
        assert state.state["done"] is True
        assert state.state["cursor"] == run.end_date.isoformat()
        conn = await session.get(Connection, connection.id, populate_existing=True)
        assert conn is not None
        assert conn.last_sync_at is not None
    # A second backfill changes nothing (idempotent upserts by natural key).
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        before = await warehouse_snapshot(session, tenant.id)
    again = await queue_sync(runtime, connection)
    result = await SyncEngine(runtime, dispatcher=recorder).run(
        sync_run_id=again.id, organization_id=tenant.id
    )
    assert result.status == "succeeded"
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        assert await warehouse_snapshot(session, tenant.id) == before


async def test_delta_rereads_lookback_only(runtime: Runtime, tenant: Tenant) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=40)
    end = SANDBOX_TODAY - timedelta(days=1)
    run = await queue_sync(runtime, connection, start=end - timedelta(days=20), end=end)
    engine = SyncEngine(runtime, dispatcher=RecordingDispatcher())
    assert (await engine.run(sync_run_id=run.id, organization_id=tenant.id)).status == "succeeded"
    delta = await queue_sync(runtime, connection, mode=SyncKind.delta, end=end)
    assert (await engine.run(sync_run_id=delta.id, organization_id=tenant.id)).status == (
        "succeeded"
    )
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(SyncRun, delta.id, populate_existing=True)
        assert stored is not None
        assert stored.rows_read == expected_meta_rows(40, end - timedelta(days=2), end)


async def test_live_lease_blocks_a_second_worker(runtime: Runtime, tenant: Tenant) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=30)
    run = await queue_sync(runtime, connection)
    first = SyncEngine(runtime, holder="worker-a", dispatcher=RecordingDispatcher())
    started = await first._start(run.id, tenant.id)
    assert not hasattr(started, "status")
    second = SyncEngine(runtime, holder="worker-b", dispatcher=RecordingDispatcher())
    assert (await second.run(sync_run_id=run.id, organization_id=tenant.id)).status == "busy"


async def test_scheduler_queues_due_deltas_and_resends_orphans(
    runtime: Runtime, tenant: Tenant
) -> None:
    from brain.core.models import utcnow
    from brain.integrations.tasks import RUN_SYNC_JOB, schedule_due_syncs

    connection = await sandbox_connection(runtime, tenant.id, "tiktok_ads", days=30)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, connection.id)
        assert stored is not None
        stored.next_sync_at = utcnow() - timedelta(minutes=1)
        await session.commit()
    recorder = RecordingDispatcher()
    assert await schedule_due_syncs(runtime, recorder) >= 1
    [(name, kwargs)] = [s for s in recorder.sent if s[1]["organization_id"] == str(tenant.id)]
    assert name == RUN_SYNC_JOB
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        run = await session.get(SyncRun, uuid.UUID(kwargs["sync_run_id"]))
        assert run is not None
        assert run.mode == "delta"
        assert run.trigger == "schedule"
        # Not due again, and the queued run is fresh: nothing more is sent.
        recorder.sent.clear()
        await schedule_due_syncs(runtime, recorder)
        assert not [s for s in recorder.sent if s[1]["organization_id"] == str(tenant.id)]
        # A run whose worker died long ago (no lease) is sent again.
        run.updated_at = utcnow() - timedelta(hours=1)
        run.status = "running"
        await session.commit()
    await schedule_due_syncs(runtime, recorder)
    assert (RUN_SYNC_JOB, kwargs) in recorder.sent


async def test_sandbox_backfills_reproduce_the_simulated_world(
    runtime: Runtime, tenant: Tenant
) -> None:
    from brain.warehouse.models import Channel

    engine = SyncEngine(runtime, dispatcher=RecordingDispatcher())
    for provider in ("meta_ads", "google_ads", "tiktok_ads"):
        connection = await sandbox_connection(runtime, tenant.id, provider, days=30,
                                              fault_rate=0.05, rate_limit_every=5)
        run = await queue_sync(runtime, connection)
        result = await engine.run(sync_run_id=run.id, organization_id=tenant.id)
        assert result.status == "succeeded", result.error
    sim = simulate("beauty", days=30, seed=7, today=SANDBOX_TODAY)
    expected: dict[tuple[str, str], tuple[int, float]] = {}
    for c, spend in zip(sim.metrics.channel.tolist(), sim.metrics.spend.tolist(), strict=True):
        channel = sim.channels[c]
        key = (channel.platform, channel.external_account_id)
        count, total = expected.get(key, (0, 0.0))
        expected[key] = (count + 1, total + spend)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        rows = await session.execute(
            select(Channel.platform, Channel.external_account_id, func.count(),
                   func.sum(DailyMetric.spend))
            .join(Channel, Channel.id == DailyMetric.channel_id)
            .where(DailyMetric.organization_id == tenant.id)
            .group_by(Channel.platform, Channel.external_account_id)
        )
        got = {(p, a): (n, float(s)) for p, a, n, s in rows.all()}
    assert set(got) == set(expected)
    for key, (count, spend) in expected.items():
        assert got[key][0] == count
        assert abs(got[key][1] - spend) < 0.01 * max(1.0, len(sim.metrics) / 100)


async def test_a_run_that_keeps_dying_gives_up(runtime: Runtime, tenant: Tenant) -> None:
    from brain.integrations.engine import MAX_ATTEMPTS

    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=30)
    run = await queue_sync(runtime, connection)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(SyncRun, run.id)
        assert stored is not None
        stored.attempts = MAX_ATTEMPTS
        await session.commit()
    result = await SyncEngine(runtime, dispatcher=RecordingDispatcher()).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "failed"
    assert result.error == f"gave up after {MAX_ATTEMPTS} attempts"


async def test_a_worker_whose_lease_was_taken_over_cannot_commit(
    runtime: Runtime, tenant: Tenant
) -> None:
    import pytest

    from brain.integrations.leases import LeaseLost

    connection = await sandbox_connection(runtime, tenant.id, "meta_ads", days=30)
    run = await queue_sync(runtime, connection)
    stale = SyncEngine(runtime, holder="worker-a", dispatcher=RecordingDispatcher())
    started = await stale._start(run.id, tenant.id)
    assert isinstance(started, tuple)
    stale_run = started[0]
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        lease = await session.get(SyncLease, connection.id)
        assert lease is not None
        lease.expires_at = lease.acquired_at - timedelta(seconds=1)  # worker-a hung
        await session.commit()
    fresh = SyncEngine(runtime, holder="worker-b", dispatcher=RecordingDispatcher())
    assert (await fresh.run(sync_run_id=run.id, organization_id=tenant.id)).status == (
        "succeeded"
    )
    from brain.integrations.factory import build_connector
    from brain.integrations.registry import get_provider

    entry = get_provider("meta_ads")
    assert entry is not None
    connector = build_connector(entry, connection, keyring=runtime.keys)
    with pytest.raises(LeaseLost):
        await stale._checkpoint(connector, stale_run, connector.streams()[0], [],
                                {"sync_run_id": str(run.id)})
    await connector.http.aclose()
