"""How many bytes each tenant stores, measured once a day into the `storage_bytes` meter (the
cost model prices it per GB-month: a day's measure is that day's byte-days).

Every table with an `organization_id` column that exists in the database is measured:

- PostgreSQL: the size of each row as stored, `sum(pg_column_size(t.*))` per organization
  (values in TOAST count compressed; indexes are not counted). It reads every tenant row once
  a day; on very large installations run it off-peak (the beat runs it daily).
- SQLite: each table's pages (its own and its indexes', from the `dbstat` virtual table)
  shared among the organizations by their row counts. Without `dbstat` (SQLite built
  without it), the sum of the stored values' lengths (`length()` of each column; numbers
  count their digits) — an estimate that leaves out page overhead and indexes.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import Table, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import Base
from brain.finops.metering import set_usage
from brain.organizations.models import Organization

logger = logging.getLogger("brain.finops.storage")
STORAGE_METER = "storage_bytes"


async def tenant_tables(session: AsyncSession) -> list[Table]:
    """The tables holding tenant rows that exist in the connected database."""
    import brain.models_registry  # noqa: F401  (every table in the metadata)

    connection = await session.connection()
    existing = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    return [table for table in Base.metadata.sorted_tables
            if "organization_id" in table.c and table.name in existing]


def _quote(session: AsyncSession, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


async def _postgres(session: AsyncSession, tables: list[Table]) -> dict[uuid.UUID, int]:
    totals: dict[uuid.UUID, int] = defaultdict(int)
    for table in tables:
        stmt = text(
            f"SELECT t.organization_id, sum(pg_column_size(t.*))::bigint "
            f"FROM {_quote(session, table.name)} AS t "
            "WHERE t.organization_id IS NOT NULL GROUP BY t.organization_id"
        )
        for org_id, size in (await session.execute(stmt)).all():
            totals[_uuid(org_id)] += int(size or 0)
    return dict(totals)


async def _sqlite_has_dbstat(session: AsyncSession) -> bool:
    options = (await session.execute(text("PRAGMA compile_options"))).scalars().all()
    return any("DBSTAT_VTAB" in str(option) for option in options)


async def _sqlite_pages(session: AsyncSession, tables: list[Table]) -> dict[uuid.UUID, int]:
    """Each table's bytes (its pages and its indexes' pages) shared by row count."""
    pages = {str(name): int(size or 0) for name, size in (await session.execute(
        text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
    )).all()}
    owner = {str(index): str(table) for index, table in (await session.execute(
        text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
    )).all()}
    table_bytes: dict[str, int] = defaultdict(int)
    for name, size in pages.items():
        table_bytes[owner.get(name, name)] += size
    totals: dict[uuid.UUID, float] = defaultdict(float)
    for table in tables:
        counts = [(org, int(n)) for org, n in (await session.execute(text(
            f"SELECT organization_id, count(*) FROM {_quote(session, table.name)} "
            "WHERE organization_id IS NOT NULL GROUP BY organization_id"
        ))).all()]
        rows = sum(n for _, n in counts)
        if not rows:
            continue
        for org_id, n in counts:
            totals[_uuid(org_id)] += table_bytes.get(table.name, 0) * n / rows
    return {org: round(size) for org, size in totals.items()}


async def _sqlite_lengths(session: AsyncSession, tables: list[Table]) -> dict[uuid.UUID, int]:
    """The sum of every stored value's length (no page overhead, no indexes)."""
    totals: dict[uuid.UUID, int] = defaultdict(int)
    for table in tables:
        lengths = " + ".join(f"coalesce(length({_quote(session, c.name)}), 0)"
                             for c in table.columns)
        stmt = text(
            f"SELECT organization_id, sum({lengths}) "
            f"FROM {_quote(session, table.name)} "
            "WHERE organization_id IS NOT NULL GROUP BY organization_id"
        )
        for org_id, size in (await session.execute(stmt)).all():
            totals[_uuid(org_id)] += int(size or 0)
    return dict(totals)


def _uuid(value: object) -> uuid.UUID:
    """An organization id as the raw query returns it (a UUID on PostgreSQL, 32 hex digits
    on SQLite)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def storage_by_tenant(session: AsyncSession) -> dict[uuid.UUID, int]:
    """{organization: bytes stored} over every tenant table (a system-mode session)."""
    tables = await tenant_tables(session)
    if session.get_bind().dialect.name == "postgresql":
        return await _postgres(session, tables)
    if await _sqlite_has_dbstat(session):
        return await _sqlite_pages(session, tables)
    return await _sqlite_lengths(session, tables)


async def record_storage(session: AsyncSession, day: date) -> dict[uuid.UUID, int]:
    """Measure every organization's stored bytes and set them as `day`'s `storage_bytes`
    (measuring again the same day replaces the measure). Returns what was recorded."""
    measured = await storage_by_tenant(session)
    live = set((await session.scalars(select(Organization.id))).all())
    recorded: dict[uuid.UUID, int] = {}
    for org_id, size in sorted(measured.items()):
        if org_id not in live or size <= 0:
            continue
        await set_usage(session, org_id, STORAGE_METER, day, size)
        recorded[org_id] = size
    logger.info("storage measured for %d organization(s)", len(recorded))
    return recorded
