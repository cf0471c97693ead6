"""Daily totals per channel for charts: one aggregate query instead of paging raw rows.

Rows exist at three levels (a channel's own rows, its campaigns', its creatives'); a
provider reports at one of them, and summing two would count the same spend twice. Each
channel is therefore summed at the coarsest level it has rows for in the window.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.tenancy import scope_to_tenant
from brain.warehouse.models import Channel, DailyMetric
from brain.warehouse.schemas import DailySeries, MetricGrain, SeriesChannel, SeriesPoint

_GRAINS = (MetricGrain.channel, MetricGrain.campaign, MetricGrain.creative)
_LEVEL = case(
    (DailyMetric.creative_id.is_not(None), 2),
    (DailyMetric.campaign_id.is_not(None), 1),
    else_=0,
)


async def daily_series(
    session: AsyncSession, auth: AuthContext, *, date_from: date | None, date_to: date | None,
    days: int,
) -> DailySeries:
    """Totals per day and channel from `date_from` to `date_to` (inclusive). Without
    `date_to` the window ends on the latest day with data; without `date_from` it spans
    `days` days."""
    if date_to is None:
        latest = select(func.max(DailyMetric.date))
        date_to = await session.scalar(scope_to_tenant(latest, DailyMetric, auth))
        if date_to is None:
            return DailySeries(date_from=None, date_to=None, channels=[], data=[])
    if date_from is None:
        date_from = date_to - timedelta(days=days - 1)
    window = (DailyMetric.date >= date_from, DailyMetric.date <= date_to)
    level = _LEVEL.label("level")
    sums = (
        select(
            DailyMetric.date, DailyMetric.channel_id, level,
            func.sum(DailyMetric.impressions), func.sum(DailyMetric.clicks),
            func.sum(DailyMetric.spend), func.sum(DailyMetric.conversions),
            func.sum(DailyMetric.revenue),
        )
        .where(*window)
        .group_by(DailyMetric.date, DailyMetric.channel_id, _LEVEL)
        .order_by(DailyMetric.date, DailyMetric.channel_id)
    )
    rows = (await session.execute(scope_to_tenant(sums, DailyMetric, auth))).all()
    chosen: dict[Any, int] = {}
    for row in rows:
        chosen[row.channel_id] = min(chosen.get(row.channel_id, 2), int(row.level))
    points = [
        SeriesPoint(
            date=row[0], channel_id=row.channel_id, impressions=int(row[3] or 0),
            clicks=int(row[4] or 0), spend=float(row[5] or 0), conversions=float(row[6] or 0),
            revenue=float(row[7] or 0),
        )
        for row in rows
        if int(row.level) == chosen[row.channel_id]
    ]
    channels: list[SeriesChannel] = []
    if chosen:
        named: Select[Any] = select(  # type: ignore[assignment]
            Channel.id, Channel.name, Channel.platform
        ).where(Channel.id.in_(list(chosen))).order_by(Channel.name, Channel.id)
        found = await session.execute(scope_to_tenant(named, Channel, auth))
        channels = [
            SeriesChannel(id=c.id, name=c.name, platform=c.platform, grain=_GRAINS[chosen[c.id]])
            for c in found
        ]
    return DailySeries(date_from=date_from, date_to=date_to, channels=channels, data=points)
