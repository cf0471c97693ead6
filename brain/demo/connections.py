"""The demo tenant's data arrives the way any tenant's does: through connections.

`populate` gives the demo organization one sandbox connection per provider the demo uses —
Meta, Google Ads (with YouTube), TikTok, Shopify (orders and customers), GA4 (site traffic)
and HubSpot (the CRM lifecycle) — whose simulators serve exactly the simulation `brain seed`
made (same vertical, seed, days and "today"), and runs a backfill of each through the real
connector code and sync engine (paging, rate limits and injected 5xx included), in the order
the data depends on: ad platforms first (shop orders are attributed to their channels), then
the shop, then analytics and the CRM (which links its contacts to the shop's customers;
its backfill covers the last `CRM_BACKFILL_DAYS` days, see `windows`).

A refresh reuses the connections it made before (marked `demo_seeded` in their config),
points them at the new simulation, and first makes room for it: the organization's daily
metrics and orders are deleted, channels, campaigns, ad sets, creatives and customers the new
simulation does not have are soft-deleted (ids of the others are kept), customers' derived
fields are cleared for the shop sync to set again. After `populate` the warehouse holds the
simulation's rows — see `tests/demo/test_sandbox_seed.py` for the exact comparison with the
direct writer (`brain.demo.seed.write_simulation`, used by test fixtures only).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.db import system_session
from brain.core.jobs import InlineDispatcher
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.demo.records import Simulation
from brain.integrations import service
from brain.integrations.crm_models import CrmRecord
from brain.integrations.engine import SyncEngine
from brain.integrations.leases import release_lease
from brain.integrations.loaders import job_auth
from brain.integrations.models import (
    Connection,
    ConnectionStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from brain.integrations.registry import get_provider
from brain.integrations.sandbox.common import SandboxContext, default_sandbox_config
from brain.integrations.sandbox.ga4 import traffic_table
from brain.integrations.sandbox.shopify import customer_id
from brain.warehouse.models import AdSet, Campaign, Channel, Creative, Customer, DailyMetric, Order

# In dependency order (see the module docstring).
DEMO_PROVIDERS: tuple[str, ...] = (
    "meta_ads", "google_ads", "tiktok_ads", "shopify", "ga4", "hubspot",
)
DEMO_FLAG = "demo_seeded"
AD_PLATFORMS = ("meta", "google", "youtube", "tiktok")
_PLATFORMS_OF = {"meta_ads": ("meta",), "google_ads": ("google", "youtube"),
                 "tiktok_ads": ("tiktok",)}
_CHUNK = 1000
CRM_BACKFILL_DAYS = 90

Progress = Callable[[str, int], None]


class DemoSyncFailed(RuntimeError):
    """A sandbox backfill of the demo did not succeed (the message says which and why)."""


@dataclass(frozen=True)
class DemoSync:
    """One demo connection and the backfill windows it runs."""

    provider: str
    connection_id: uuid.UUID
    windows: tuple[tuple[date, date], ...]
    expected_records: int


def sandbox_settings(sim: Simulation) -> dict[str, Any]:
    """`config.sandbox` of a demo connection: the simulation's world, default faults."""
    settings = default_sandbox_config(sim.vertical, today=sim.today)
    settings.update(seed=sim.seed, days=sim.days)
    return settings


def first_day(sim: Simulation) -> date:
    """The first day anything happened: customers and orders reach back before the ad
    history (the simulation's burn-in)."""
    earliest = 0
    if len(sim.orders):
        earliest = min(earliest, int(sim.orders.day.min()))
    if len(sim.customers):
        earliest = min(earliest, int(sim.customers.first_day.min()))
    return sim.date_at(earliest)


def windows(provider: str, sim: Simulation) -> tuple[tuple[date, date], ...]:
    """The backfill windows of a provider (a long shop history takes several runs). The CRM
    is backfilled from `CRM_BACKFILL_DAYS` before the end, as a CRM connected recently is:
    its contacts and deals are the shop's customers and orders again (the shop already
    delivers the whole history) and the lifecycle table needs only recent activity."""
    if provider == "hubspot":
        return ((max(first_day(sim), sim.end - timedelta(days=CRM_BACKFILL_DAYS - 1)),
                 sim.end),)
    start = first_day(sim) if provider == "shopify" else sim.start
    out: list[tuple[date, date]] = []
    while start <= sim.end:
        end = min(sim.end, start + timedelta(days=service.MAX_SYNC_DAYS))
        out.append((start, end))
        start = end + timedelta(days=1)
    return tuple(out)


def expected_records(provider: str, sim: Simulation) -> int:
    """How many records the provider's simulator serves for the demo (for progress bars)."""
    if provider in _PLATFORMS_OF:
        wanted = {i for i, ch in enumerate(sim.channels) if ch.platform in _PLATFORMS_OF[provider]}
        return int(sum(1 for c in sim.metrics.channel.tolist() if c in wanted))
    if provider == "shopify":
        return len(sim.customers) + len(sim.orders)
    if provider == "hubspot":
        [(start, _)] = windows(provider, sim)
        since = (start - sim.start).days
        recent_orders = sim.orders.day >= since
        # Deals of the window, and the contacts whose last order falls in it.
        last_order = np.full(len(sim.customers), -10**6, dtype=np.int64)
        np.maximum.at(last_order, sim.orders.customer, sim.orders.day)
        return int(recent_orders.sum()) + int((last_order >= since).sum())
    if provider == "ga4":
        return len(traffic_table(sim.vertical, sim.seed, sim.days, sim.today).rows)
    return 0


async def prepare(
    session: AsyncSession, organization_id: uuid.UUID, sim: Simulation, runtime: Runtime
) -> list[DemoSync]:
    """Make room for `sim` and point the demo's sandbox connections at it (the caller
    commits); returns the syncs to run, in order."""
    await _retire_stale(session, organization_id, sim)
    await _reset_facts(session, organization_id)
    auth = job_auth(organization_id, organization_id)
    existing: dict[str, Connection] = {}
    rows = await session.scalars(select(Connection).where(
        Connection.organization_id == organization_id, Connection.sandbox.is_(True),
        Connection.revoked_at.is_(None)))
    for connection in rows:
        if (connection.config or {}).get(DEMO_FLAG) and connection.provider in DEMO_PROVIDERS:
            existing.setdefault(connection.provider, connection)
    settings = sandbox_settings(sim)
    syncs: list[DemoSync] = []
    for provider in DEMO_PROVIDERS:
        entry = get_provider(provider)
        if entry is None:
            raise DemoSyncFailed(f"the {provider} connector is not installed")
        found = existing.get(provider)
        if found is None:
            connection, _ = await service.create_connection(
                session, auth, provider=provider, sandbox=True,
                config={"sandbox": settings, DEMO_FLAG: True},
                name=f"{entry.connector.spec.name} (demo sandbox)", credentials=None,
                keyring=runtime.keys, settings=runtime.settings,
            )
        else:
            connection = found
            await _repoint(session, connection, settings, sim)
        await session.execute(delete(CrmRecord).where(
            CrmRecord.organization_id == organization_id,
            CrmRecord.connection_id == connection.id))
        syncs.append(DemoSync(provider, connection.id, windows(provider, sim),
                              expected_records(provider, sim)))
    return syncs


async def _repoint(
    session: AsyncSession, connection: Connection, settings: dict[str, Any], sim: Simulation
) -> None:
    """Point an existing demo connection at the new world; a run a crashed seed left queued
    or running is closed (this seeder owns the connection)."""
    entry = get_provider(connection.provider)
    assert entry is not None
    context = SandboxContext.from_config(connection.organization_id, connection.id,
                                         {"sandbox": settings})
    defaults = entry.sandbox_config(context) if entry.sandbox_config else {}
    connection.config = {**defaults, DEMO_FLAG: True, "sandbox": settings}
    connection.backfill_start = sim.start
    connection.status = ConnectionStatus.active.value
    connection.last_error = None
    now = utcnow()
    stale = await session.scalars(select(SyncRun).where(
        SyncRun.organization_id == connection.organization_id,
        SyncRun.connection_id == connection.id,
        SyncRun.status.in_((SyncStatus.queued.value, SyncStatus.running.value))))
    for run in stale:
        run.status = SyncStatus.failed.value
        run.error = "superseded by a new demo seed"
        run.error_kind = "internal_error"
        run.finished_at = now
    from brain.integrations.models import SyncLease

    lease = await session.get(SyncLease, connection.id)
    if lease is not None:
        await release_lease(session, connection_id=connection.id, holder=lease.holder)
    await session.flush()


async def run_syncs(
    runtime: Runtime, organization_id: uuid.UUID, syncs: Sequence[DemoSync],
    progress: Progress | None = None,
) -> dict[str, int]:
    """Run each demo connection's backfills through the sync engine, one after the other;
    `progress(provider, records)` hears of every committed batch. Returns the rows each
    provider wrote."""
    seen: dict[uuid.UUID, int] = {}
    current = {"provider": ""}

    def on_progress(run: SyncRun) -> None:
        rows = int(run.rows_read or 0)
        delta = rows - seen.get(run.id, 0)
        seen[run.id] = rows
        if progress is not None and delta > 0:
            progress(current["provider"], delta)

    engine = SyncEngine(runtime, dispatcher=InlineDispatcher(runtime), request_brain_run=False,
                        on_progress=on_progress)
    auth = job_auth(organization_id, organization_id)
    written: dict[str, int] = {}
    for sync in syncs:
        current["provider"] = sync.provider
        for start, end in sync.windows:
            async with system_session(runtime.session_factory) as session:
                connection = await session.get(Connection, sync.connection_id)
                assert connection is not None
                run = await service.request_sync(
                    session, auth, connection, mode=SyncKind.backfill, start_date=start,
                    end_date=end, trigger="demo",
                )
            result = await engine.run(sync_run_id=run.id, organization_id=organization_id)
            if result.status != SyncStatus.succeeded.value:
                raise DemoSyncFailed(
                    f"the {sync.provider} sandbox backfill {start}..{end} ended "
                    f"{result.status}: {result.error}")
            async with system_session(runtime.session_factory) as session:
                done = await session.get(SyncRun, run.id)
                written[sync.provider] = written.get(sync.provider, 0) + int(
                    done.rows_written if done is not None else 0)
    return written


# --- making room for a new simulation ----------------------------------------------------


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def _reset_facts(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Delete the daily metrics and orders (leaf tables: no cascades), clear customers'
    derived fields (the shop sync sets them again)."""
    for model in (DailyMetric, Order):
        table = _table(model)
        await session.execute(delete(table).where(table.c.organization_id == organization_id))
    customers = _table(Customer)
    await session.execute(
        update(customers)
        .where(customers.c.organization_id == organization_id,
               customers.c.deleted_at.is_(None))
        .values(first_order_on=None, acquisition_channel_id=None))


async def _retire_stale(session: AsyncSession, organization_id: uuid.UUID,
                        sim: Simulation) -> None:
    """Soft-delete the ad structure and customers the new simulation does not have."""
    now = utcnow()
    channel_keys = {(c.platform, c.external_account_id) for c in sim.channels}
    campaign_keys = {(sim.channels[c.channel].platform, sim.channels[c.channel]
                      .external_account_id, c.name) for c in sim.campaigns}
    ad_set_keys = {(*_campaign_key(sim, a.campaign), a.name) for a in sim.ad_sets}
    creative_keys = {(*_campaign_key(sim, c.campaign), c.name) for c in sim.creatives}

    channels = await session.execute(
        select(Channel.id, Channel.platform, Channel.external_account_id).where(
            Channel.organization_id == organization_id, Channel.deleted_at.is_(None),
            Channel.platform.in_(AD_PLATFORMS)))
    await _soft_delete(session, Channel, [
        cid for cid, platform, account in channels if (platform, account) not in channel_keys
    ], now)
    campaign_rows = await session.execute(
        select(Campaign.id, Channel.platform, Channel.external_account_id, Campaign.name)
        .join(Channel, Channel.id == Campaign.channel_id)
        .where(Campaign.organization_id == organization_id, Campaign.deleted_at.is_(None),
               Channel.platform.in_(AD_PLATFORMS)))
    await _soft_delete(session, Campaign, [
        row[0] for row in campaign_rows if tuple(row[1:]) not in campaign_keys], now)
    for model, keys in ((AdSet, ad_set_keys), (Creative, creative_keys)):
        rows = await session.execute(
            select(model.id, Channel.platform, Channel.external_account_id, Campaign.name,
                   model.name)
            .join(Campaign, Campaign.id == model.campaign_id)
            .join(Channel, Channel.id == Campaign.channel_id)
            .where(model.organization_id == organization_id, model.deleted_at.is_(None),
                   Channel.platform.in_(AD_PLATFORMS)))
        await _soft_delete(session, model, [
            row[0] for row in rows if tuple(row[1:]) not in keys], now)
    expected = {f"shopify:{customer_id(i)}" for i in range(len(sim.customers))}
    customers = await session.execute(select(Customer.id, Customer.external_id).where(
        Customer.organization_id == organization_id, Customer.deleted_at.is_(None)))
    await _soft_delete(session, Customer, [
        cid for cid, external in customers if external not in expected], now)


def _campaign_key(sim: Simulation, campaign: int) -> tuple[str, str, str]:
    spec = sim.campaigns[campaign]
    channel = sim.channels[spec.channel]
    return channel.platform, channel.external_account_id, spec.name


async def _soft_delete(session: AsyncSession, model: type[Any], ids: list[uuid.UUID],
                       now: datetime) -> None:
    table = _table(model)
    for start in range(0, len(ids), _CHUNK):
        await session.execute(
            update(table).where(table.c.id.in_(ids[start : start + _CHUNK]))
            .values(deleted_at=now, updated_at=now))
