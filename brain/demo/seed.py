"""`brain seed VERTICAL`: a simulated demo tenant, loaded through sandbox connections, and the
ground truth behind it. (`write_simulation` is the test fixtures' direct writer.)"""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from brain.core.db import system_session
from brain.core.models import Base, utcnow, uuid7
from brain.core.runtime import Runtime
from brain.demo.simulator import Simulation
from brain.identity.models import ApiKey
from brain.identity.service import issue_api_key
from brain.organizations.models import Organization
from brain.organizations.permissions import ApiKeyRole
from brain.organizations.service import create_organization
from brain.settings import Settings
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    Order,
    daily_metric_id,
)

VERTICALS: tuple[str, ...] = ("beauty", "supplements", "wellness")
DEMO_KEY_NAME = "demo admin key"
CHUNK_ROWS = 5000

PHASE_SIMULATE = "simulate"
PHASE_STRUCTURE = "channels/campaigns/creatives"
PHASE_METRICS = "metrics"
PHASE_CUSTOMERS = "customers/orders"
PHASES = (PHASE_SIMULATE, PHASE_STRUCTURE, PHASE_METRICS, PHASE_CUSTOMERS)

Row = dict[str, Any]


@dataclass
class SeedResult:
    organization_id: uuid.UUID
    organization_name: str
    api_key: str
    ground_truth: Path

    def as_json(self) -> dict[str, str]:
        return {
            "organization_id": str(self.organization_id),
            "api_key": self.api_key,
            "ground_truth": str(self.ground_truth),
        }


@dataclass(frozen=True)
class WriteCounts:
    """Rows written for one simulation."""

    channels: int
    campaigns: int
    ad_sets: int
    creatives: int
    daily_metrics: int
    customers: int
    orders: int


class SeedProgress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, phase: str, amount: int) -> None: ...


class SilentProgress:
    def start(self, phase: str, total: int) -> None:
        del phase, total

    def advance(self, phase: str, amount: int) -> None:
        del phase, amount


class RichProgress:
    """One bar per phase, on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, phase: str, total: int) -> None:
        self._tasks[phase] = self._progress.add_task(phase, total=max(total, 1))

    def advance(self, phase: str, amount: int) -> None:
        self._progress.advance(self._tasks[phase], amount)


@contextmanager
def _reporter(enabled: bool) -> Iterator[SeedProgress]:
    if not enabled:
        yield SilentProgress()
        return
    progress = Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield RichProgress(progress)


async def seed_vertical(
    settings: Settings,
    vertical: str,
    *,
    days: int = 365,
    seed: int = 7,
    progress: bool = False,
    today: date | None = None,
) -> SeedResult:
    """Create or refresh the vertical's demo tenant; return it with a fresh admin key.

    The data arrives through sandbox connections (`brain.demo.connections`): the provider
    simulators serve this simulation and the real connectors and sync engine load it."""
    from brain.demo.connections import DemoSyncFailed, prepare, run_syncs
    from brain.integrations.sandbox.common import cached_simulation

    if vertical not in VERTICALS:
        raise ValueError(f"unknown vertical {vertical!r}; choose one of {', '.join(VERTICALS)}")
    today = today or datetime.now(UTC).date()
    with _reporter(progress) as reporter:
        reporter.start(PHASE_SIMULATE, 1)
        # The sandbox simulators serve this very simulation (one per process and world).
        sim = cached_simulation(vertical, seed, days, today)
        reporter.advance(PHASE_SIMULATE, 1)
        runtime = Runtime.create(settings)
        try:
            async with system_session(runtime.session_factory) as session:
                org = await demo_organization(session, vertical, sim.profile.organization_name)
                org_id, org_name = org.id, org.name
                syncs = await prepare(session, org_id, sim, runtime)
            for sync in syncs:
                reporter.start(sync_phase(sync.provider), sync.expected_records)
            await run_syncs(runtime, org_id, syncs,
                            progress=lambda provider, n: reporter.advance(sync_phase(provider), n))
            async with system_session(runtime.session_factory) as session:
                # Only the newest demo key works: a refresh revokes the ones it printed before.
                await session.execute(
                    update(ApiKey)
                    .where(
                        ApiKey.organization_id == org_id,
                        ApiKey.name == DEMO_KEY_NAME,
                        ApiKey.revoked_at.is_(None),
                    )
                    .values(revoked_at=utcnow())
                )
                _, token = await issue_api_key(
                    session, organization_id=org_id, name=DEMO_KEY_NAME, role=ApiKeyRole.admin
                )
        except DBAPIError as exc:
            raise _cli_error(exc) from exc
        except DemoSyncFailed as exc:
            from brain.cli_ops import CLIError

            raise CLIError(f"seeding failed: {exc}") from exc
        finally:
            await runtime.close()
    path = write_ground_truth(settings.var_dir / "demo", sim)
    return SeedResult(org_id, org_name, token, path)


def sync_phase(provider: str) -> str:
    """The progress bar of one provider's sandbox backfill."""
    return f"sync {provider} (sandbox)"


def _cli_error(exc: DBAPIError) -> Exception:
    from brain.cli_ops import CLIError

    text = str(exc.orig or exc).splitlines()[0]
    if "no such table" in text or "does not exist" in text:
        return CLIError("the database is not migrated; run `brain migrate` first")
    return CLIError(f"database error: {type(exc.orig or exc).__name__}: {text[:200]}")


DEMO_PLAN = "scale"


async def demo_organization(session: AsyncSession, vertical: str, name: str) -> Organization:
    """The existing demo tenant of the vertical (oldest if several), or a new one."""
    existing = await session.scalar(
        select(Organization)
        .where(Organization.demo_vertical == vertical, Organization.deleted_at.is_(None))
        .order_by(Organization.created_at, Organization.id)
        .limit(1)
    )
    org = existing or await create_organization(session, name=name, demo_vertical=vertical)
    if org.plan == "trial":
        # The demo shows every module, and a year of a brand's data is more than the trial's
        # monthly event quota: the demo tenant is on Scale (local billing, nothing charged).
        org.plan = DEMO_PLAN
        await session.flush()
    return org


async def write_simulation(
    session: AsyncSession,
    organization_id: uuid.UUID,
    sim: Simulation,
    *,
    progress: SeedProgress | None = None,
) -> WriteCounts:
    """TEST FIXTURES' FAST PATH: write the simulation straight into the warehouse tables
    (the caller commits). `brain seed` and `brain demo` never use it — their data arrives
    through sandbox connections (`seed_vertical`); tests that need a tenant with a story in
    a fraction of a second use this. `tests/demo/test_sandbox_seed.py` shows both give the
    same warehouse rows (and names what the connectors cannot carry).

    Make the organization's marketing data exactly the simulation's.

    Channels, campaigns, ad sets, creatives and customers keep their ids across refreshes
    (matched by natural key, updated in place; live rows the simulation lacks are
    soft-deleted); daily metrics and orders are replaced. Parent rows are never hard-deleted:
    their foreign-key cascades would scan the child tables once per deleted row.
    """
    report = progress or SilentProgress()
    now = utcnow()
    await _delete_facts(session, organization_id)

    report.start(PHASE_STRUCTURE, len(sim.channels) + len(sim.campaigns) + len(sim.ad_sets)
                 + len(sim.creatives))
    sync = _Sync(session, organization_id, now)
    channel_ids = await sync.rows(Channel, ("name",), [
        {"name": c.name, "platform": c.platform, "external_account_id": c.external_account_id}
        for c in sim.channels
    ])
    campaign_ids = await sync.rows(Campaign, ("channel_id", "name"), [
        {"channel_id": channel_ids[c.channel], "name": c.name, "objective": c.objective}
        for c in sim.campaigns
    ])
    ad_set_ids = await sync.rows(AdSet, ("campaign_id", "name"), [
        {"campaign_id": campaign_ids[a.campaign], "name": a.name} for a in sim.ad_sets
    ])
    creative_ids = await sync.rows(Creative, ("campaign_id", "name"), [
        {"campaign_id": campaign_ids[c.campaign], "ad_set_id": ad_set_ids[c.ad_set],
         "name": c.name, "format": c.format, "copy_length": c.copy_length, "cta": c.cta,
         "launched_on": c.launched_on}
        for c in sim.creatives
    ])
    report.advance(PHASE_STRUCTURE, sync.written)
    ids = _Ids(channel_ids, campaign_ids, creative_ids, [], _dates(sim))

    n_metrics = len(sim.metrics)
    report.start(PHASE_METRICS, n_metrics)
    for lo in range(0, n_metrics, CHUNK_ROWS):
        rows = _metric_rows(sim, organization_id, ids, now, lo, min(lo + CHUNK_ROWS, n_metrics))
        await write_daily_metrics(session, organization_id, rows)
        report.advance(PHASE_METRICS, len(rows))

    n_customers, n_orders = len(sim.customers), len(sim.orders)
    report.start(PHASE_CUSTOMERS, n_customers + n_orders)
    ids.customers.extend(await sync.rows(
        Customer, ("external_id",), _customer_rows(sim, ids),
        on_chunk=lambda n: report.advance(PHASE_CUSTOMERS, n),
    ))
    for lo in range(0, n_orders, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, n_orders)
        await write_orders(session, organization_id,
                           _order_rows(sim, organization_id, ids, now, lo, hi))
        report.advance(PHASE_CUSTOMERS, hi - lo)

    return WriteCounts(
        channels=len(sim.channels),
        campaigns=len(sim.campaigns),
        ad_sets=len(sim.ad_sets),
        creatives=len(sim.creatives),
        daily_metrics=n_metrics,
        customers=n_customers,
        orders=n_orders,
    )


async def _delete_facts(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Hard-delete the organization's daily metrics and orders (leaf tables, no cascades)."""
    for model in (DailyMetric, Order):
        table = _table(model)
        # System maintenance in system mode: scoped by hand to the one organization.
        await session.execute(delete(table).where(table.c.organization_id == organization_id))


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class _Sync:
    """Upsert rows of one organization by natural key, soft-deleting the live rows not given."""

    def __init__(self, session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> None:
        self.session = session
        self.organization_id = organization_id
        self.now = now
        self.written = 0

    async def rows(
        self,
        model: type[Base],
        key: tuple[str, ...],
        rows: list[Row],
        on_chunk: Callable[[int], None] | None = None,
    ) -> list[uuid.UUID]:
        """Write `rows` (without ids) and return their ids in order."""
        table = _table(model)
        live = await self.session.execute(
            select(table.c.id, *(table.c[name] for name in key)).where(
                table.c.organization_id == self.organization_id, table.c.deleted_at.is_(None)
            )
        )
        existing: dict[tuple[Any, ...], uuid.UUID] = {tuple(r[1:]): r[0] for r in live.all()}
        ids: list[uuid.UUID] = []
        for row in rows:
            found = existing.pop(tuple(row[name] for name in key), None)
            row.update(
                id=found or uuid7(),
                organization_id=self.organization_id,
                created_at=self.now,  # kept on rows that already exist
                updated_at=self.now,
            )
            ids.append(row["id"])
        stale = list(existing.values())
        for lo in range(0, len(stale), CHUNK_ROWS):
            await self.session.execute(
                update(table)
                .where(table.c.id.in_(stale[lo : lo + CHUNK_ROWS]))
                .values(deleted_at=self.now, updated_at=self.now)
            )
        await insert_rows(self.session, table, rows, upsert=True, on_chunk=on_chunk)
        self.written += len(rows)
        return ids


# One writer per table of facts, so they can be swapped for brain.warehouse.bulk's upserts.


async def write_daily_metrics(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Row]
) -> int:
    del organization_id  # every row carries it
    return await insert_rows(session, _table(DailyMetric), rows)


async def write_orders(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Row]
) -> int:
    del organization_id
    return await insert_rows(session, _table(Order), rows)


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Row],
    *,
    upsert: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert rows (all with the same keys); with `upsert`, an existing id updates its row.

    PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT (COPY itself is not
    allowed on tables with row-level security, and executemany sends a statement per row).
    SQLite: executemany in chunks.
    """
    if not rows:
        return 0
    columns = list(rows[0])
    updated = [c for c in columns if c not in ("id", "organization_id", "created_at")]
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await _copy_insert(connection, table, columns, rows, updated if upsert else None,
                           on_chunk)
        return len(rows)
    statement: Any = sqlite_insert(table)
    if upsert:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={name: statement.excluded[name] for name in updated},
        )
    for lo in range(0, len(rows), CHUNK_ROWS):
        chunk = list(rows[lo : lo + CHUNK_ROWS])
        await session.execute(statement, chunk)
        if on_chunk is not None:
            on_chunk(len(chunk))
    return len(rows)


async def _copy_insert(
    connection: AsyncConnection,
    table: Table,
    columns: list[str],
    rows: Sequence[Row],
    update_columns: list[str] | None,
    on_chunk: Callable[[int], None] | None,
) -> None:
    stage = f"brain_demo_stage_{table.name}"
    column_list = ", ".join(f'"{c}"' for c in columns)
    merge = f'INSERT INTO "{table.name}" ({column_list}) SELECT {column_list} FROM {stage}'
    if update_columns is not None:
        assignments = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update_columns)
        merge += f" ON CONFLICT (id) DO UPDATE SET {assignments}"
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    async with driver.cursor() as cursor:
        await cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE "{table.name}" INCLUDING DEFAULTS)'
            " ON COMMIT DROP"
        )
        await cursor.execute(f"TRUNCATE {stage}")
        async with cursor.copy(f"COPY {stage} ({column_list}) FROM STDIN") as copy:
            for lo in range(0, len(rows), CHUNK_ROWS):
                chunk = rows[lo : lo + CHUNK_ROWS]
                for row in chunk:
                    await copy.write_row(tuple(row[c] for c in columns))
                if on_chunk is not None:
                    on_chunk(len(chunk))
        await cursor.execute(merge)
        await cursor.execute(f"TRUNCATE {stage}")


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _Ids:
    channels: list[uuid.UUID]
    campaigns: list[uuid.UUID]
    creatives: list[uuid.UUID]
    customers: list[uuid.UUID]
    dates: dict[int, date]


def _dates(sim: Simulation) -> dict[int, date]:
    first = min(int(sim.customers.first_day.min()) if len(sim.customers) else 0, 0)
    return {d: sim.start + timedelta(days=d) for d in range(first, sim.days)}


def _metric_rows(
    sim: Simulation, org: uuid.UUID, ids: _Ids, now: datetime, lo: int, hi: int
) -> list[Row]:
    m = sim.metrics
    columns = zip(
        m.day[lo:hi].tolist(), m.creative[lo:hi].tolist(), m.channel[lo:hi].tolist(),
        m.campaign[lo:hi].tolist(), m.impressions[lo:hi].tolist(), m.clicks[lo:hi].tolist(),
        m.spend[lo:hi].tolist(), m.conversions[lo:hi].tolist(), m.revenue[lo:hi].tolist(),
        m.frequency[lo:hi].tolist(), m.video_views[lo:hi].tolist(), strict=True,
    )
    rows: list[Row] = []
    for day, k, c, cp, imps, clicks, spend, conv, revenue, freq, views in columns:
        on = ids.dates[day]
        channel_id, campaign_id, creative_id = ids.channels[c], ids.campaigns[cp], ids.creatives[k]
        rows.append({
            "id": daily_metric_id(org, on, channel_id, campaign_id, creative_id),
            "organization_id": org, "date": on, "channel_id": channel_id,
            "campaign_id": campaign_id, "creative_id": creative_id,
            "impressions": imps, "clicks": clicks, "spend": spend, "conversions": conv,
            "revenue": revenue, "frequency": freq, "video_views": views if views >= 0 else None,
            "created_at": now, "updated_at": now,
        })
    return rows


def _customer_rows(sim: Simulation, ids: _Ids) -> list[Row]:
    cust = sim.customers
    return [
        {
            "external_id": sim.customer_external_id(i), "email": sim.customer_email(i),
            "first_order_on": ids.dates[day],
            "acquisition_channel_id": ids.channels[c] if c >= 0 else None,
        }
        for i, day, c in zip(range(len(cust)), cust.first_day.tolist(), cust.channel.tolist(),
                             strict=True)
    ]


def _order_rows(
    sim: Simulation, org: uuid.UUID, ids: _Ids, now: datetime, lo: int, hi: int
) -> list[Row]:
    o = sim.orders
    return [
        {
            "id": uuid7(), "organization_id": org, "external_id": sim.order_external_id(i),
            "customer_id": ids.customers[cust], "order_date": ids.dates[day],
            "revenue": revenue, "channel_id": ids.channels[c] if c >= 0 else None,
            "created_at": now, "updated_at": now,
        }
        for i, cust, day, revenue, c in zip(
            range(lo, hi), o.customer[lo:hi].tolist(), o.day[lo:hi].tolist(),
            o.revenue[lo:hi].tolist(), o.channel[lo:hi].tolist(), strict=True,
        )
    ]


# --------------------------------------------------------------------------- ground truth


def ground_truth_path(directory: Path, vertical: str) -> Path:
    return directory / f"{vertical}-ground-truth.json"


def write_ground_truth(directory: Path, sim: Simulation) -> Path:
    """Write `{vertical}-ground-truth.json` and `{vertical}-segments.csv`; return the JSON path."""
    directory.mkdir(parents=True, exist_ok=True)
    segments_file = directory / f"{sim.vertical}-segments.csv"
    truth = dict(sim.truth)
    truth["segments_file"] = segments_file.name
    tmp = segments_file.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "segment", "acquisition_channel", "first_order_on",
                         "orders", "revenue", "next_order_in_days"])
        writer.writerows(sim.segment_rows())
    os.replace(tmp, segments_file)
    path = ground_truth_path(directory, sim.vertical)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
