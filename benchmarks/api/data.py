"""Deterministic benchmark data: channels/campaigns/creatives, daily-metric rows, CSV files.

The same generator feeds the JSON batch bodies, the CSV files and the raw `COPY` rows, so
every ingest path writes exactly the same rows.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson

PLATFORMS = ("meta", "google", "youtube", "tiktok")
CSV_HEADER = "date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue\n"


@dataclass(frozen=True)
class Creative:
    id: uuid.UUID
    name: str
    campaign_id: uuid.UUID
    campaign_name: str
    channel_id: uuid.UUID
    channel_name: str


@dataclass
class Entities:
    """The objects one family of rows refers to (created through the API or, as a fallback,
    with bulk SQL through Brain's own models)."""

    prefix: str
    channels: dict[str, uuid.UUID] = field(default_factory=dict)
    creatives: list[Creative] = field(default_factory=list)
    created_via: str = "api"


class MetricRow(NamedTuple):
    day: date
    creative: Creative
    impressions: int
    clicks: int
    spend: float
    conversions: float
    revenue: float


def layout(
    prefix: str, channels: int, campaigns: int, creatives: int
) -> list[tuple[str, str, str, str]]:
    """(platform, channel, campaign, creative) names of a family of entities."""
    out: list[tuple[str, str, str, str]] = []
    for c in range(channels):
        platform = PLATFORMS[c % len(PLATFORMS)]
        channel = f"{prefix} {platform} {c + 1}"
        for k in range(campaigns):
            campaign = f"{prefix} campaign {c + 1}.{k + 1}"
            for r in range(creatives):
                creative = f"{prefix} creative {c + 1}.{k + 1}.{r + 1}"
                out.append((platform, channel, campaign, creative))
    return out


def create_entities_api(client: httpx.Client, org_path: str, prefix: str, channels: int,
                        campaigns: int, creatives: int) -> Entities:
    """POST channels, campaigns and creatives (one request each, keep-alive connection)."""
    ents = Entities(prefix=prefix)
    campaign_ids: dict[str, uuid.UUID] = {}

    def post(path: str, body: dict[str, Any]) -> uuid.UUID:
        response = client.post(f"{org_path}/{path}", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"POST {path} → {response.status_code}: {response.text[:300]}")
        return uuid.UUID(response.json()["id"])

    for platform, channel, campaign, creative in layout(prefix, channels, campaigns, creatives):
        if channel not in ents.channels:
            ents.channels[channel] = post("channels", {"name": channel, "platform": platform})
        channel_id = ents.channels[channel]
        if campaign not in campaign_ids:
            campaign_ids[campaign] = post(
                "campaigns", {"name": campaign, "channel_id": str(channel_id)})
        creative_id = post("creatives", {
            "name": creative, "campaign_id": str(campaign_ids[campaign]), "format": "image"})
        ents.creatives.append(Creative(creative_id, creative, campaign_ids[campaign], campaign,
                                       channel_id, channel))
    return ents


def _settings(database_url: str, var_dir: Path, secret: str) -> Any:
    from brain.settings import Settings

    return Settings(database_url=database_url, var_dir=var_dir, secret_key=secret,
                    rate_limit_per_minute=0)


async def _insert_sql(settings: Any, table_rows: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    from sqlalchemy import insert

    import brain.models_registry  # noqa: F401  (every table, so foreign-key types resolve)
    from brain.core.db import system_session
    from brain.core.runtime import Runtime

    runtime = Runtime.create(settings)
    try:
        for table, rows in table_rows:
            for start in range(0, len(rows), 5000):
                async with system_session(runtime.session_factory) as session:
                    await session.execute(insert(table), rows[start:start + 5000])
    finally:
        await runtime.close()


def create_entities_sql(database_url: str, var_dir: Path, secret: str, org_id: str,
                        prefix: str, channels: int, campaigns: int, creatives: int) -> Entities:
    """Fallback while the create endpoints do not exist: bulk INSERT through Brain's models."""
    from brain.core.models import uuid7
    from brain.warehouse.models import Campaign, Channel
    from brain.warehouse.models import Creative as CreativeModel

    org = uuid.UUID(org_id)
    now = datetime.now(UTC)
    ents = Entities(prefix=prefix, created_via="bulk SQL")
    campaign_ids: dict[str, uuid.UUID] = {}
    channel_rows: list[dict[str, Any]] = []
    campaign_rows: list[dict[str, Any]] = []
    creative_rows: list[dict[str, Any]] = []
    stamps = {"organization_id": org, "created_at": now, "updated_at": now}
    for platform, channel, campaign, creative in layout(prefix, channels, campaigns, creatives):
        if channel not in ents.channels:
            ents.channels[channel] = uuid7()
            channel_rows.append({"id": ents.channels[channel], "name": channel,
                                 "platform": platform, **stamps})
        if campaign not in campaign_ids:
            campaign_ids[campaign] = uuid7()
            campaign_rows.append({"id": campaign_ids[campaign], "name": campaign,
                                  "channel_id": ents.channels[channel], **stamps})
        creative_id = uuid7()
        creative_rows.append({"id": creative_id, "name": creative, "format": "image",
                              "campaign_id": campaign_ids[campaign], **stamps})
        ents.creatives.append(Creative(creative_id, creative, campaign_ids[campaign], campaign,
                                       ents.channels[channel], channel))
    asyncio.run(_insert_sql(_settings(database_url, var_dir, secret), [
        (Channel.__table__, channel_rows), (Campaign.__table__, campaign_rows),
        (CreativeModel.__table__, creative_rows)]))
    return ents


def metric_rows(ents: Entities, count: int, start: date, seed: int) -> Iterator[MetricRow]:
    """`count` rows, day by day, one per creative a day (unique natural keys)."""
    rand = random.Random(seed).random
    produced = 0
    offset = 0
    while produced < count:
        day = start + timedelta(days=offset)
        offset += 1
        for creative in ents.creatives:
            if produced == count:
                return
            impressions = 500 + int(rand() * 199_500)
            clicks = impressions * (5 + int(rand() * 36)) // 1000
            spend = round(impressions * (2.0 + 13.0 * rand()) / 1000, 2)
            conversions = float(clicks * (1 + int(rand() * 8)) // 100)
            revenue = round(conversions * (20.0 + 70.0 * rand()), 2)
            yield MetricRow(day, creative, impressions, clicks, spend, conversions, revenue)
            produced += 1


def batch_bodies(rows: Iterator[MetricRow], per_request: int) -> list[bytes]:
    """`{"rows": [...]}` request bodies, serialized up front (not part of the timing)."""
    bodies: list[bytes] = []
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append({
            "date": row.day.isoformat(),
            "channel_id": str(row.creative.channel_id),
            "campaign_id": str(row.creative.campaign_id),
            "creative_id": str(row.creative.id),
            "impressions": row.impressions,
            "clicks": row.clicks,
            "spend": row.spend,
            "conversions": row.conversions,
            "revenue": row.revenue,
        })
        if len(chunk) == per_request:
            bodies.append(orjson.dumps({"rows": chunk}))
            chunk = []
    if chunk:
        bodies.append(orjson.dumps({"rows": chunk}))
    return bodies


def write_csv(path: Path, ents: Entities, *, start: date, seed: int, rows: int | None = None,
              target_bytes: int | None = None) -> tuple[int, int]:
    """Write a daily-metrics CSV of `rows` rows or of at least `target_bytes`; → (rows, bytes)."""
    limit = rows if rows is not None else 10**9
    names = {c.id: f"{c.channel_name},{c.campaign_name},{c.name}" for c in ents.creatives}
    written = 0
    size = len(CSV_HEADER)
    last_day: date | None = None
    day_text = ""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(CSV_HEADER)
        buffer: list[str] = []
        for row in metric_rows(ents, limit, start, seed):
            if row.day != last_day:
                last_day, day_text = row.day, row.day.isoformat()
            line = (f"{day_text},{names[row.creative.id]},{row.impressions},{row.clicks},"
                    f"{row.spend},{row.conversions:g},{row.revenue}\n")
            buffer.append(line)
            size += len(line)
            written += 1
            if len(buffer) >= 10_000:
                out.write("".join(buffer))
                buffer.clear()
                if target_bytes is not None and size >= target_bytes:
                    break
        out.write("".join(buffer))
    return written, size


def metric_id(org: uuid.UUID, row: MetricRow) -> uuid.UUID:
    """The natural-key id Brain gives a daily-metric row (same function as the server)."""
    from brain.warehouse.models import daily_metric_id

    return daily_metric_id(org, row.day, row.creative.channel_id, row.creative.campaign_id,
                           row.creative.id)


COPY_COLUMNS = ("id", "organization_id", "date", "channel_id", "campaign_id", "creative_id",
                "impressions", "clicks", "spend", "conversions", "revenue",
                "created_at", "updated_at")


def copy_tuples(org: uuid.UUID, rows: list[MetricRow], now: datetime) -> list[tuple[Any, ...]]:
    return [(metric_id(org, r), org, r.day, r.creative.channel_id, r.creative.campaign_id,
             r.creative.id, r.impressions, r.clicks, r.spend, r.conversions, r.revenue, now, now)
            for r in rows]


def sql_insert_metrics(database_url: str, var_dir: Path, secret: str, org_id: str,
                       rows: Iterator[MetricRow]) -> int:
    """Fallback while `metrics/daily:batch` does not exist: bulk INSERT through the model."""
    from brain.warehouse.models import DailyMetric

    org = uuid.UUID(org_id)
    now = datetime.now(UTC)
    dicts = [dict(zip(COPY_COLUMNS, t, strict=True)) for t in copy_tuples(org, list(rows), now)]
    asyncio.run(_insert_sql(_settings(database_url, var_dir, secret),
                            [(DailyMetric.__table__, dicts)]))
    return len(dicts)
