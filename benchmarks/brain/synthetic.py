"""A synthetic tenant of any size: N creatives, each live every day of the period, so
"1,000 creatives x 365 days" is 365,000 creative-day metric rows (plus customers and orders).

The numbers are plausible rather than a story: four channels with their own ROAS, a weekly
season, creatives whose CTR and CVR fade after a random onset (so ORACLE has fatigue to find),
and a customer sample with first and repeat orders (so MEMORY has cohorts). Deterministic for a
given size and seed. Written in chunks so a 3.65 M-row tenant never exists as Python objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import uuid7
from brain.demo.seed import insert_rows
from brain.warehouse.models import (
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    Order,
    daily_metric_id,
)

CHANNELS = (("Meta", "meta", 3.4), ("Google", "google", 2.4), ("TikTok", "tiktok", 2.2),
            ("YouTube", "youtube", 1.4))
CREATIVES_PER_CAMPAIGN = 10
CHUNK_CREATIVES = 200
# The settings secret of the benchmark's throwaway databases.
SECRET = "benchmark-secret-key-0123456789-abcdefghij"  # noqa: S105
ORDERS_PER_1000_CREATIVES = 40_000


@dataclass(frozen=True)
class Counts:
    creatives: int
    days: int
    metric_rows: int
    customers: int
    orders: int


def _table(model: Any) -> Any:
    return model.__table__


def _ids(prefix: uuid.UUID, kind: str, n: int) -> list[uuid.UUID]:
    return [uuid.uuid5(prefix, f"{kind}:{i}") for i in range(n)]


async def write_tenant(
    session: AsyncSession, org: uuid.UUID, *, creatives: int, days: int, end: date, seed: int = 1
) -> Counts:
    """Write channels, campaigns, creatives, daily metrics, customers and orders for `org`."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    start = end - timedelta(days=days - 1)
    stamp = {"organization_id": org, "created_at": now, "updated_at": now}
    channel_ids = _ids(org, "channel", len(CHANNELS))
    await insert_rows(session, _table(Channel), [
        {"id": cid, "name": name, "platform": platform, "external_account_id": None, **stamp}
        for cid, (name, platform, _) in zip(channel_ids, CHANNELS, strict=True)
    ])
    n_campaigns = max(len(CHANNELS), -(-creatives // CREATIVES_PER_CAMPAIGN))
    campaign_channel = np.arange(n_campaigns) % len(CHANNELS)
    campaign_ids = _ids(org, "campaign", n_campaigns)
    await insert_rows(session, _table(Campaign), [
        {"id": campaign_ids[i], "channel_id": channel_ids[int(campaign_channel[i])],
         "name": f"Campaign {i + 1}", "objective": "conversions", **stamp}
        for i in range(n_campaigns)
    ])
    creative_campaign = np.arange(creatives) % n_campaigns
    creative_channel = campaign_channel[creative_campaign]
    creative_ids = _ids(org, "creative", creatives)
    await insert_rows(session, _table(Creative), [
        {"id": creative_ids[k], "campaign_id": campaign_ids[int(creative_campaign[k])],
         "ad_set_id": None, "name": f"C{k + 1}", "format": ("video", "image")[k % 2],
         "copy_length": 80, "cta": "shop_now", "launched_on": start, **stamp}
        for k in range(creatives)
    ])

    roas = np.array([r for _, _, r in CHANNELS])
    base_spend = rng.lognormal(np.log(120.0), 0.6, creatives)
    onset = rng.integers(20, max(days, 21) * 2, creatives)  # some never fatigue in the period
    fade = rng.uniform(0.01, 0.05, creatives)
    day = np.arange(days)
    season = 1.0 + 0.15 * np.sin(2 * np.pi * day / 7.0)
    dates = [start + timedelta(days=int(d)) for d in day]
    metric_rows = 0
    for lo in range(0, creatives, CHUNK_CREATIVES):
        hi = min(lo + CHUNK_CREATIVES, creatives)
        k = np.arange(lo, hi)
        spend = base_spend[k, None] * season[None, :] * rng.lognormal(0, 0.15, (hi - lo, days))
        age = np.maximum(day[None, :] - onset[k, None], 0)
        health = 0.45 + 0.55 * np.exp(-fade[k, None] * age)
        impressions = np.round(spend / 9.0 * 1000)
        clicks = np.round(impressions * 0.012 * health)
        conversions = clicks * 0.06 * health
        revenue = spend * roas[creative_channel[k], None] * health
        frequency = np.cumsum(impressions, axis=1) / 400_000.0
        rows = []
        for i, kk in enumerate(k.tolist()):
            cid, camp = channel_ids[int(creative_channel[kk])], campaign_ids[
                int(creative_campaign[kk])]
            crea = creative_ids[kk]
            for d in range(days):
                on = dates[d]
                rows.append({
                    "id": daily_metric_id(org, on, cid, camp, crea), "organization_id": org,
                    "date": on, "channel_id": cid, "campaign_id": camp, "creative_id": crea,
                    "impressions": int(impressions[i, d]), "clicks": int(clicks[i, d]),
                    "spend": float(spend[i, d]), "conversions": float(conversions[i, d]),
                    "revenue": float(revenue[i, d]), "frequency": float(frequency[i, d]),
                    "video_views": None, "created_at": now, "updated_at": now,
                })
        await insert_rows(session, _table(DailyMetric), rows)
        metric_rows += len(rows)

    n_customers = max(500, ORDERS_PER_1000_CREATIVES * creatives // 1000 // 3)
    first_day = rng.integers(0, days, n_customers)
    acquired_by = rng.integers(0, len(CHANNELS), n_customers)
    customer_ids = [uuid7() for _ in range(n_customers)]
    await insert_rows(session, _table(Customer), [
        {"id": customer_ids[i], "external_id": f"cus_{i + 1:07d}", "email": None,
         "first_order_on": dates[int(first_day[i])],
         "acquisition_channel_id": channel_ids[int(acquired_by[i])], **stamp}
        for i in range(n_customers)
    ])
    orders = 0
    for chunk in _order_chunks(rng, first_day, days):
        await insert_rows(session, _table(Order), [
            {"id": uuid7(), "external_id": f"ord_{orders + j + 1:08d}",
             "customer_id": customer_ids[c], "order_date": dates[d], "revenue": r,
             "channel_id": channel_ids[int(acquired_by[c])], **stamp}
            for j, (c, d, r) in enumerate(chunk)
        ])
        orders += len(chunk)
    return Counts(creatives, days, metric_rows, n_customers, orders)


def _order_chunks(
    rng: np.random.Generator, first_day: np.ndarray, days: int, size: int = 20_000
) -> Iterator[list[tuple[int, int, float]]]:
    """First orders, then repeats every ~45 days with a 60 % chance each time."""
    chunk: list[tuple[int, int, float]] = []
    for c, first in enumerate(first_day.tolist()):
        d = first
        while d < days:
            chunk.append((c, d, round(float(rng.lognormal(np.log(60.0), 0.4)), 2)))
            if len(chunk) >= size:
                yield chunk
                chunk = []
            if rng.random() > 0.6:
                break
            d += int(rng.integers(20, 70))
    if chunk:
        yield chunk
