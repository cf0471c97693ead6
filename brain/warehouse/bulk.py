"""Fast set-based writes of daily metrics, customers and orders (used by the batch endpoint,
the CSV import, the demo seeder and the sync loaders).

None of these functions validates its input: callers pass rows that already passed the API's
schemas and reference checks (or that they generated themselves). Rows are mappings keyed by
the column names of the models, holding plain Python values (`uuid.UUID`, `datetime.date`,
`int`, `float`, `str`, `None`); daily metrics may also come as `MetricRow` tuples (what the
sync loaders hand over: entity columns resolved once per grain). The session must be bound
to `organization_id` (a request session, or `tenant_session`) so that PostgreSQL's
row-level security accepts the rows. Nothing is committed here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import utcnow, uuid7
from brain.warehouse.models import _METRIC_KEY_NAMESPACE, Customer, DailyMetric, Order

METRIC_KEY_COLUMNS = ("date", "channel_id", "campaign_id", "creative_id")
METRIC_MEASURE_COLUMNS = (
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "frequency",
    "video_views",
)
CUSTOMER_COLUMNS = ("external_id", "email", "first_order_on", "acquisition_channel_id")
ORDER_COLUMNS = ("external_id", "customer_id", "order_date", "revenue", "channel_id")

# Rows per executemany on SQLite, and COPY lines per write on PostgreSQL.
_SQLITE_CHUNK = 5_000
_COPY_LINES_PER_WRITE = 2_000
_STAGE_TABLE = "brain_stage_daily_metrics"
_STAGE_COLUMNS = ("id", *METRIC_KEY_COLUMNS, *METRIC_MEASURE_COLUMNS)

# A session-local staging table: TEMP needs no CREATE privilege on the schema (PostgreSQL
# grants TEMPORARY on a database to PUBLIC), so it works under the non-owner app role.
_CREATE_STAGE_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS {_STAGE_TABLE} (
    id uuid NOT NULL,
    date date NOT NULL,
    channel_id uuid NOT NULL,
    campaign_id uuid,
    creative_id uuid,
    impressions bigint NOT NULL,
    clicks bigint NOT NULL,
    spend numeric(18, 4) NOT NULL,
    conversions double precision NOT NULL,
    revenue numeric(18, 4) NOT NULL,
    frequency double precision,
    video_views bigint
) ON COMMIT DELETE ROWS
"""
_COPY_STAGE_SQL = f"COPY {_STAGE_TABLE} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN"
_MERGE_STAGE_SQL = f"""
INSERT INTO daily_metrics (
    organization_id, created_at, updated_at, {", ".join(_STAGE_COLUMNS)}
)
SELECT %(organization_id)s, %(now)s, %(now)s, {", ".join(_STAGE_COLUMNS)}
FROM {_STAGE_TABLE}
ON CONFLICT (id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in METRIC_MEASURE_COLUMNS)},
    updated_at = EXCLUDED.updated_at
"""
_CLEAR_STAGE_SQL = f"TRUNCATE {_STAGE_TABLE}"


_NAMESPACE_BYTES = _METRIC_KEY_NAMESPACE.bytes
_NULL = "\\N"
# The hex digit of a uuid5's variant nibble (RFC 4122: 10xx) for each digit of the hash.
_VARIANT_DIGIT = {f"{n:x}": f"{8 | (n & 3):x}" for n in range(16)}


class MetricGrain(NamedTuple):
    """The entity columns of daily-metric rows (channel, optional campaign and creative) with
    their text forms, made once per grain by `metric_grain`: `key` is the natural key after
    the day (what the row id is derived from), `copy_columns` its three COPY columns."""

    channel_id: uuid.UUID
    campaign_id: uuid.UUID | None
    creative_id: uuid.UUID | None
    key: str
    copy_columns: str


def metric_grain(
    channel_id: uuid.UUID, campaign_id: uuid.UUID | None = None,
    creative_id: uuid.UUID | None = None,
) -> MetricGrain:
    """The grain of rows on this channel, campaign (or None) and creative (or None)."""
    channel = str(channel_id)
    campaign = "-" if campaign_id is None else str(campaign_id)
    creative = "-" if creative_id is None else str(creative_id)
    return MetricGrain(
        channel_id, campaign_id, creative_id,
        key=f"|{channel}|{campaign}|{creative}",
        copy_columns=f"{channel}\t{_NULL if campaign_id is None else campaign}"
        f"\t{_NULL if creative_id is None else creative}",
    )


# One daily-metric row in column types: (date, grain, impressions, clicks, spend, conversions,
# revenue, frequency, video_views) — ints, floats, and None for no frequency / video views.
MetricRow = tuple[date, MetricGrain, int, int, float, float, float, float | None, int | None]


def _id_prefix(organization_id: uuid.UUID) -> bytes:
    """What every row id's hash of this organization starts with (namespace, then key)."""
    return _NAMESPACE_BYTES + f"{organization_id}|".encode()


def _metric_id_text(prefix: bytes, day_text: str, grain_key: str) -> str:
    """`daily_metric_id` as text: uuid5 of the natural key, formatted from the hash's hex."""
    h = hashlib.sha1(prefix + (day_text + grain_key).encode()).hexdigest()  # noqa: S324
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


def metric_rows(rows: Iterable[Mapping[str, Any]]) -> list[MetricRow]:
    """Mappings (see `upsert_daily_metrics`) → `MetricRow`s: defaults filled in, values in
    their column types, one grain object per distinct (channel, campaign, creative)."""
    grains: dict[tuple[Any, Any, Any], MetricGrain] = {}
    result: list[MetricRow] = []
    for row in rows:
        get = row.get
        entities = (row["channel_id"], get("campaign_id"), get("creative_id"))
        grain = grains.get(entities)
        if grain is None:
            grain = grains[entities] = metric_grain(*entities)
        frequency, video_views = get("frequency"), get("video_views")
        result.append((
            row["date"], grain, int(get("impressions") or 0), int(get("clicks") or 0),
            float(get("spend") or 0.0), float(get("conversions") or 0.0),
            float(get("revenue") or 0.0), None if frequency is None else float(frequency),
            None if video_views is None else int(video_views),
        ))
    return result


def _copy_lines(organization_id: uuid.UUID, rows: Iterable[MetricRow]) -> list[str]:
    """COPY text lines in `_STAGE_COLUMNS` order, one per natural key (the last one wins)."""
    prefix = _id_prefix(organization_id)
    day_texts: dict[date, str] = {}
    by_id: dict[str, str] = {}
    for day, grain, impressions, clicks, spend, conversions, revenue, frequency, views in rows:
        day_text = day_texts.get(day)
        if day_text is None:
            day_text = day_texts[day] = day.isoformat()
        id_text = _metric_id_text(prefix, day_text, grain.key)
        by_id[id_text] = (
            f"{id_text}\t{day_text}\t{grain.copy_columns}\t{impressions}\t{clicks}\t{spend!r}"
            f"\t{conversions!r}\t{revenue!r}\t{_NULL if frequency is None else repr(frequency)}"
            f"\t{_NULL if views is None else views}\n"
        )
    return list(by_id.values())


def _sqlite_params(
    organization_id: uuid.UUID, rows: Iterable[MetricRow], now: datetime
) -> list[dict[str, Any]]:
    """Insert parameters, one per natural key (the last one wins)."""
    prefix = _id_prefix(organization_id)
    by_id: dict[str, dict[str, Any]] = {}
    for day, grain, impressions, clicks, spend, conversions, revenue, frequency, views in rows:
        id_text = _metric_id_text(prefix, day.isoformat(), grain.key)
        by_id[id_text] = {
            "id": uuid.UUID(id_text),
            "organization_id": organization_id,
            "date": day,
            "channel_id": grain.channel_id,
            "campaign_id": grain.campaign_id,
            "creative_id": grain.creative_id,
            "impressions": impressions,
            "clicks": clicks,
            "spend": spend,
            "conversions": conversions,
            "revenue": revenue,
            "frequency": frequency,
            "video_views": views,
            "created_at": now,
            "updated_at": now,
        }
    return list(by_id.values())


async def upsert_daily_metrics(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert or update daily-metric rows by natural key; returns how many distinct rows.

    Each row needs `date` and `channel_id`; `campaign_id`/`creative_id` may be absent (channel
    or campaign grain); missing counts and amounts are 0, missing `frequency`/`video_views`
    null. Any `id` is ignored: it is derived from the natural key (`daily_metric_id`). Rows
    repeating a natural key are merged, the last one wins. On a conflict the measures and
    `updated_at` are replaced, `created_at` is kept.
    """
    if not rows:
        return 0
    return await upsert_metric_rows(session, organization_id, metric_rows(rows))


async def upsert_metric_rows(
    session: AsyncSession, organization_id: uuid.UUID, rows: Iterable[MetricRow]
) -> int:
    """`upsert_daily_metrics` for rows already in `MetricRow` form (values in their column
    types, grains from `metric_grain`, reused across rows): what loaders that resolve the
    same few entities for many rows hand over, with no mapping per row. `rows` is read once,
    so it may be a generator (then no row outlives its line)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        lines = _copy_lines(organization_id, rows)
        if lines:
            await _copy_and_merge_metrics(session, organization_id, lines)
        return len(lines)
    params = _sqlite_params(organization_id, rows, utcnow())
    if params:
        await _executemany_metrics(session, params)
    return len(params)


async def _copy_and_merge_metrics(
    session: AsyncSession, organization_id: uuid.UUID, lines: list[str]
) -> None:
    """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT from it."""
    connection = await session.connection()
    raw_connection = await connection.get_raw_connection()
    driver_connection: Any = raw_connection.driver_connection
    async with driver_connection.cursor() as cursor:
        await cursor.execute(_CREATE_STAGE_SQL)
        async with cursor.copy(_COPY_STAGE_SQL) as copy:
            for start in range(0, len(lines), _COPY_LINES_PER_WRITE):
                await copy.write("".join(lines[start : start + _COPY_LINES_PER_WRITE]))
        await cursor.execute(
            _MERGE_STAGE_SQL, {"organization_id": organization_id, "now": utcnow()}
        )
        # The same transaction may stage again (a seeder's next batch): start empty.
        await cursor.execute(_CLEAR_STAGE_SQL)


async def _executemany_metrics(session: AsyncSession, params: list[dict[str, Any]]) -> None:
    """SQLite: INSERT … ON CONFLICT (id) DO UPDATE, executemany in chunks."""
    table: Table = DailyMetric.__table__  # type: ignore[assignment]
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            **{name: statement.excluded[name] for name in METRIC_MEASURE_COLUMNS},
            "updated_at": statement.excluded.updated_at,
        },
    )
    for chunk in _chunks(params, _SQLITE_CHUNK):
        await session.execute(statement, list(chunk))


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _keyed_rows(
    organization_id: uuid.UUID,
    rows: Sequence[Mapping[str, Any]],
    columns: tuple[str, ...],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows merged by `external_id` (last wins), each with every column present in any row."""
    present = [c for c in columns if any(c in row for row in rows)]
    if "external_id" not in present:
        raise ValueError("rows need an 'external_id'")
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        values = {c: row.get(c) for c in present}
        values["id"] = row.get("id") or uuid7()
        values["organization_id"] = organization_id
        values["created_at"] = now
        values["updated_at"] = now
        merged[str(row["external_id"])] = values
    return list(merged.values()), present


async def _upsert_by_external_id(
    session: AsyncSession,
    organization_id: uuid.UUID,
    rows: Sequence[Mapping[str, Any]],
    table: Table,
    columns: tuple[str, ...],
) -> int:
    if not rows:
        return 0
    now = utcnow()
    params, present = _keyed_rows(organization_id, rows, columns, now)
    connection = await session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    updated = [c for c in present if c != "external_id"] + ["updated_at"]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.organization_id, table.c.external_id],
        index_where=table.c.deleted_at.is_(None),
        set_={name: statement.excluded[name] for name in updated},
    )
    for chunk in _chunks(params, _SQLITE_CHUNK):
        await session.execute(statement, list(chunk))
    return len(params)


async def upsert_customers(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert or update customers by `external_id` (among live rows); returns how many.

    Columns: `external_id` (required), `email`, `first_order_on`, `acquisition_channel_id`,
    and optionally `id` (used only when the row is inserted). A column given in any row is
    written for every row (null where a row lacks it); columns given in no row are left as
    they are on existing customers. Repeated `external_id`s: the last row wins.
    """
    table: Table = Customer.__table__  # type: ignore[assignment]
    return await _upsert_by_external_id(session, organization_id, rows, table, CUSTOMER_COLUMNS)


async def upsert_orders(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert or update orders by `external_id` (among live rows); returns how many.

    Columns: `external_id`, `customer_id` (an existing customer's id), `order_date`,
    `revenue`, optional `channel_id`, and optionally `id` (used only on insert). A column
    given in any row is written for every row; repeated `external_id`s: the last row wins.
    """
    table: Table = Order.__table__  # type: ignore[assignment]
    return await _upsert_by_external_id(session, organization_id, rows, table, ORDER_COLUMNS)
