"""Loading a tenant's data into `BrainData` column arrays, from the warehouse or a simulation.

Why column arrays: a large tenant has 10,000 creatives x 365 days = 3.65 M metric rows. ORM
objects for those would take minutes and gigabytes; Core selects of a few columns turned into
NumPy arrays take seconds. Every module then works on the arrays without touching the database.

Total revenue (the dependent variable of the marketing-mix model) comes from, in order:

1. the tenant's orders when it has any in the metrics period (`revenue_source="orders"`);
2. else analytics revenue: daily-metric rows of channels whose platform is `ga4` (those
   channels are a measurement source, not media, so they are not in `BrainData.channels`);
3. else the ad platforms' own attributed revenue (`"platforms"`), which over-counts and is
   flagged as biased by MEMORY.

Demo tenants (organizations with `demo_vertical` set) store only a sample of their customers
and orders (the simulator keeps `customer_sample_fraction` of them, e.g. 1 in 20), so
`orders_scale = 1 / customer_sample_fraction` turns order revenue back into business revenue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    Date,
    Float,
    Integer,
    String,
    Text,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.contracts import (
    BrainData,
    CampaignInfo,
    ChannelInfo,
    CreativeInfo,
    DailyRows,
    FloatArray,
    IntArray,
    OrderRows,
    RevenueSource,
)
from brain.demo.records import Simulation
from brain.demo.verticals import get_profile
from brain.organizations.models import Organization
from brain.warehouse.models import Campaign, Channel, Creative, Customer, DailyMetric, Order

# Platforms whose daily rows are measurement (site analytics), not paid media.
ANALYTICS_PLATFORMS = frozenset({"ga4"})
# Namespace of the deterministic ids given to simulated entities.
_SIM_NAMESPACE = uuid.UUID("0b5f3c36-9a4e-4d55-8f0c-6f1f2f7d1e21")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Marks analytics channels in the channel lookup (they are not media channels).
_ANALYTICS = -2


def empty_daily_rows() -> DailyRows:
    ints = np.zeros(0, dtype=np.int64)
    floats = np.zeros(0, dtype=np.float64)
    return DailyRows(ints, ints.copy(), ints.copy(), ints.copy(), floats, floats.copy(),
                     floats.copy(), floats.copy(), floats.copy(), floats.copy())


def _ints(values: Sequence[Any]) -> IntArray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _floats(values: Sequence[Any]) -> FloatArray:
    # NumPy turns None into NaN and Decimal into float itself, in C.
    return np.array(values, dtype=np.float64).reshape(-1)


def _columns(rows: Sequence[Any], width: int) -> list[Sequence[Any]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def epoch_days(column: Any, dialect: str) -> Any:
    """Days since 1970-01-01 of a date column, computed by the database (an integer)."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - 2440587.5, Integer)
    return type_coerce(column - literal(date(1970, 1, 1), Date), Integer)


_FINE_FIELDS = ("impressions", "clicks", "spend", "conversions", "revenue", "frequency")


async def _creative_rows(
    session: AsyncSession, dialect: str, org: uuid.UUID, as_of: date | None
) -> list[Any]:
    """Creative-grain metric rows as arrays [day, creative hex ids, *_FINE_FIELDS].

    Why text aggregation: a DB-API fetch builds a Python object per value, which for 3.65 M
    rows x 8 columns takes tens of seconds. The database instead concatenates each column
    into one comma-separated string (all aggregates of one query see the rows in the same
    order) and NumPy parses it in C. NULL frequencies are sent as -1 and become NaN.
    """
    def text_of(expr: Any) -> Any:
        if dialect == "sqlite":
            return func.group_concat(expr, ",")
        return func.string_agg(cast(expr, Text), ",")

    if dialect == "sqlite":
        hex_id: Any = type_coerce(DailyMetric.creative_id, String)
    else:
        hex_id = func.replace(cast(DailyMetric.creative_id, Text), "-", "")
    columns = [epoch_days(DailyMetric.date, dialect), hex_id,
               *(getattr(DailyMetric, f) for f in _FINE_FIELDS[:-1]),
               func.coalesce(DailyMetric.frequency, -1.0)]
    stmt = select(*(text_of(c) for c in columns)).where(
        DailyMetric.organization_id == org, DailyMetric.creative_id.is_not(None))
    if as_of is not None:
        stmt = stmt.where(DailyMetric.date <= as_of)
    row = (await session.execute(stmt)).one()
    if row[0] is None:
        return [np.zeros(0, dtype=np.int64), np.zeros(0, dtype="S32"),
                *(np.zeros(0) for _ in _FINE_FIELDS)]
    day = np.fromstring(row[0], sep=",").astype(np.int64)
    ids = np.frombuffer((row[1] + ",").encode(), dtype="S33").astype("S32")
    values = [np.fromstring(text, sep=",") for text in row[2:]]
    values[-1] = np.where(values[-1] < 0, np.nan, values[-1])
    return [day, ids, *values]


def _hex_index(hexes: Any, known: Sequence[uuid.UUID]) -> IntArray:
    """Index in `known` of every 32-hex id (-1 when unknown), by sorted search."""
    if not len(known) or not len(hexes):
        return np.full(len(hexes), -1, dtype=np.int64)
    keys = np.array([u.hex.encode() for u in known], dtype="S32")
    order = np.argsort(keys)
    sorted_keys = keys[order]
    pos = np.minimum(np.searchsorted(sorted_keys, hexes), len(keys) - 1)
    return np.where(sorted_keys[pos] == hexes, order[pos], -1).astype(np.int64)


def _lookup(ids: Sequence[uuid.UUID], start: int = 0) -> dict[Any, int]:
    """Index by id in every form a driver may return (UUID, 32-hex or canonical string)."""
    out: dict[Any, int] = {}
    for i, u in enumerate(ids, start=start):
        out[u] = out[u.hex] = out[str(u)] = i
    return out


def _index(ids: Sequence[Any], lookup: dict[Any, int]) -> IntArray:
    return np.fromiter((lookup.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))


def _ordinals(days: Sequence[Any]) -> IntArray:
    """Day numbers of dates given as `date` objects or ISO strings (vectorised parse)."""
    if not len(days):
        return np.zeros(0, dtype=np.int64)
    parsed = np.array(days, dtype="datetime64[D]").astype(np.int64)
    return parsed + _EPOCH_ORDINAL


def most_specific_rows(day: IntArray, channel: IntArray, campaign: IntArray,
                       creative: IntArray) -> Any:
    """Mask of rows to keep so that a day is never counted at two grains.

    A campaign-level row is dropped when creative rows of that campaign exist the same day, and
    a channel-level row when campaign or creative rows of that channel exist the same day.
    """
    keep = np.ones(day.size, dtype=bool)
    if not day.size:
        return keep
    span = int(day.max()) + 1
    fine = creative >= 0
    camp_rows = (creative < 0) & (campaign >= 0)
    chan_rows = (creative < 0) & (campaign < 0)
    if camp_rows.any() and fine.any():
        detailed = set((campaign[fine] * span + day[fine]).tolist())
        keys = campaign[camp_rows] * span + day[camp_rows]
        keep[np.flatnonzero(camp_rows)] = ~np.isin(keys, list(detailed))
    if chan_rows.any() and (~chan_rows).any():
        finer = ~chan_rows
        detailed = set((channel[finer] * span + day[finer]).tolist())
        keys = channel[chan_rows] * span + day[chan_rows]
        keep[np.flatnonzero(chan_rows)] = ~np.isin(keys, list(detailed))
    return keep


def _platform_revenue(metrics: DailyRows, days: int) -> FloatArray:
    if not len(metrics):
        return np.zeros(days)
    daily = np.bincount(metrics.day, weights=metrics.revenue, minlength=days)[:days]
    return np.asarray(daily, dtype=np.float64)


def _order_revenue(orders: OrderRows, days: int, scale: float) -> FloatArray:
    inside = (orders.day >= 0) & (orders.day < days)
    daily = np.bincount(orders.day[inside], weights=orders.revenue[inside], minlength=days)
    return np.asarray(daily[:days] * scale, dtype=np.float64)


def choose_total_revenue(
    metrics: DailyRows, orders: OrderRows | None, analytics: FloatArray | None, days: int,
    scale: float,
) -> tuple[FloatArray | None, RevenueSource]:
    """Orders, else analytics, else the platforms' own revenue (see the module docstring)."""
    if orders is not None and bool(((orders.day >= 0) & (orders.day < days)).any()):
        return _order_revenue(orders, days, scale), "orders"
    if analytics is not None and float(np.abs(analytics).sum()) > 0:
        return analytics, "analytics"
    if len(metrics):
        return _platform_revenue(metrics, days), "platforms"
    return None, "platforms"


# --------------------------------------------------------------------------- warehouse


async def load_brain_data(
    session: AsyncSession, organization_id: uuid.UUID, *, as_of: date | None = None
) -> BrainData:
    """Read one tenant's warehouse tables (live rows up to `as_of`) into column arrays."""
    org = organization_id
    vertical = await session.scalar(
        select(Organization.demo_vertical).where(Organization.id == org)
    )
    scale = 1.0
    if vertical:
        try:
            scale = 1.0 / get_profile(vertical).customer_sample_fraction
        except ValueError:
            scale = 1.0

    channel_rows = (await session.execute(
        select(Channel.id, Channel.name, Channel.platform)
        .where(Channel.organization_id == org, Channel.deleted_at.is_(None))
        .order_by(Channel.name, Channel.id)
    )).all()
    analytics_ids = {r.id for r in channel_rows if r.platform in ANALYTICS_PLATFORMS}
    channels = [ChannelInfo(r.id, r.name, r.platform) for r in channel_rows
                if r.id not in analytics_ids]
    channel_ix = {c.id: i for i, c in enumerate(channels)}
    channel_raw = _lookup([c.id for c in channels])
    channel_raw.update({k: _ANALYTICS for k in _lookup(sorted(analytics_ids))})

    campaign_rows = (await session.execute(
        select(Campaign.id, Campaign.name, Campaign.channel_id)
        .where(Campaign.organization_id == org, Campaign.deleted_at.is_(None))
        .order_by(Campaign.name, Campaign.id)
    )).all()
    campaigns = [CampaignInfo(r.id, r.name, channel_ix[r.channel_id]) for r in campaign_rows
                 if r.channel_id in channel_ix]
    campaign_ix = {c.id: i for i, c in enumerate(campaigns)}

    creative_rows = (await session.execute(
        select(Creative.id, Creative.name, Creative.campaign_id, Creative.format,
               Creative.launched_on)
        .where(Creative.organization_id == org, Creative.deleted_at.is_(None))
        .order_by(Creative.name, Creative.id)
    )).all()
    creatives = [
        CreativeInfo(r.id, r.name, campaigns[campaign_ix[r.campaign_id]].channel,
                     campaign_ix[r.campaign_id], r.format, r.launched_on)
        for r in creative_rows if r.campaign_id in campaign_ix
    ]
    campaign_raw = _lookup([c.id for c in campaigns])

    # Millions of rows: days come as integers computed by the database, ids as the driver
    # returns them (no per-value UUID objects) and money as floats. Creative rows carry only
    # the creative id (its campaign and channel are known); coarser rows are few.
    dialect = session.get_bind().dialect.name
    day = epoch_days(DailyMetric.date, dialect)
    values = (DailyMetric.impressions, DailyMetric.clicks, type_coerce(DailyMetric.spend, Float),
              DailyMetric.conversions, type_coerce(DailyMetric.revenue, Float),
              DailyMetric.frequency)
    fine = await _creative_rows(session, dialect, org, as_of)
    coarse_stmt = select(day, type_coerce(DailyMetric.channel_id, String),
                         type_coerce(DailyMetric.campaign_id, String), *values).where(
        DailyMetric.organization_id == org, DailyMetric.creative_id.is_(None))
    if as_of is not None:
        coarse_stmt = coarse_stmt.where(DailyMetric.date <= as_of)
    coarse = _columns((await session.execute(coarse_stmt)).all(), 9)
    fine_creative = _hex_index(fine[1], [c.id for c in creatives])
    creative_channel = np.array([c.channel for c in creatives] + [-1], dtype=np.int64)
    creative_campaign = np.array([c.campaign for c in creatives] + [-1], dtype=np.int64)
    cols: list[Any] = [
        np.concatenate([fine[0], _ints(coarse[0])]),
        np.concatenate([creative_channel[fine_creative], _index(coarse[1], channel_raw)]),
        np.concatenate([creative_campaign[fine_creative], _index(coarse[2], campaign_raw)]),
        np.concatenate([fine_creative, np.full(len(coarse[0]), -1, dtype=np.int64)]),
        *(np.concatenate([fine[i], _floats(coarse[i + 1])]) for i in range(2, 8)),
    ]

    order_stmt = (
        select(type_coerce(Order.customer_id, String), type_coerce(Order.order_date, String),
               type_coerce(Order.revenue, Float))
        .where(Order.organization_id == org, Order.deleted_at.is_(None))
    )
    if as_of is not None:
        order_stmt = order_stmt.where(Order.order_date <= as_of)
    order_raw = (await session.execute(order_stmt)).all()
    customer_raw = (await session.execute(
        select(type_coerce(Customer.id, String), type_coerce(Customer.first_order_on, String),
               type_coerce(Customer.acquisition_channel_id, String))
        .where(Customer.organization_id == org, Customer.deleted_at.is_(None))
    )).all()
    order_cols: list[Sequence[Any]] = list(zip(*order_raw, strict=True)) if order_raw \
        else [()] * 3

    ordinal = cols[0] + _EPOCH_ORDINAL
    order_ordinal = _ordinals(order_cols[1])
    today = as_of or date.today()
    if ordinal.size:
        start_ord, end_ord = int(ordinal.min()), int(ordinal.max())
    elif order_ordinal.size:
        end_ord = int(order_ordinal.max())
        start_ord = max(int(order_ordinal.min()), end_ord - 729)
    else:
        start_ord = end_ord = today.toordinal()
    start, end = date.fromordinal(start_ord), date.fromordinal(end_ord)
    days = end_ord - start_ord + 1

    chan_all = cols[1]
    analytics_mask = chan_all == _ANALYTICS
    analytics: FloatArray | None = None
    if analytics_mask.any():
        revenue_all = _floats(cols[8])
        analytics = np.asarray(np.bincount(
            ordinal[analytics_mask] - start_ord,
            weights=np.nan_to_num(revenue_all[analytics_mask]), minlength=days,
        )[:days], dtype=np.float64)
    metrics = _daily_rows(cols, ordinal - start_ord)

    orders = _order_rows(order_cols, customer_raw, order_ordinal, start_ord, channel_raw)
    total, source = choose_total_revenue(metrics, orders, analytics, days, scale)
    return BrainData(
        organization_id=org, start=start, end=end, channels=channels, campaigns=campaigns,
        creatives=creatives, metrics=metrics, orders=orders, total_revenue=total,
        revenue_source=source, orders_scale=scale,
    )


def _daily_rows(cols: list[Any], day: IntArray) -> DailyRows:
    """Rows of known media channels, each day counted at one grain only."""
    if not len(cols[0]):
        return empty_daily_rows()
    channel, campaign, creative = cols[1], cols[2], cols[3]
    keep = channel >= 0
    keep &= most_specific_rows(day, np.maximum(channel, 0), campaign, creative) | ~keep
    return DailyRows(
        day=day[keep], channel=channel[keep], campaign=campaign[keep], creative=creative[keep],
        impressions=np.nan_to_num(cols[4][keep]), clicks=np.nan_to_num(cols[5][keep]),
        spend=np.nan_to_num(cols[6][keep]), conversions=np.nan_to_num(cols[7][keep]),
        revenue=np.nan_to_num(cols[8][keep]), frequency=cols[9][keep],
    )


def _order_rows(
    order_cols: list[Sequence[Any]], customer_raw: Sequence[Any], order_ordinal: IntArray,
    start_ord: int, channel_ix: dict[Any, int],
) -> OrderRows | None:
    """Orders as arrays; rows are (customer id, date, revenue) and customers (id, first
    order date, acquisition channel id), all as the driver returns them."""
    if not len(order_cols[0]):
        return None
    customer_ix = {r[0]: i for i, r in enumerate(customer_raw)}
    customer = _index(order_cols[0], customer_ix)
    keep = customer >= 0
    customer, day = customer[keep], order_ordinal[keep] - start_ord
    revenue = _floats(order_cols[2])[keep]
    n = len(customer_raw)
    never = np.iinfo(np.int64).max
    first = np.full(n, never, dtype=np.int64)
    np.minimum.at(first, customer, day)
    declared_raw = [r[1] for r in customer_raw]
    has_declared = np.array([d is not None for d in declared_raw], dtype=bool)
    declared = np.full(n, never, dtype=np.int64)
    if has_declared.any():
        declared[has_declared] = _ordinals(
            [d for d in declared_raw if d is not None]) - start_ord
    first = np.minimum(first, declared)
    first = np.where(first == never, 0, first)
    acquisition = np.maximum(_index([r[2] for r in customer_raw], channel_ix), -1)
    order = np.lexsort((customer, day))
    return OrderRows(customer=customer[order], day=day[order],
                     revenue=np.nan_to_num(revenue[order]), customer_first_day=first,
                     customer_channel=acquisition)


# --------------------------------------------------------------------------- simulation


def sim_uuid(organization_id: uuid.UUID, kind: str, name: str) -> uuid.UUID:
    """A stable id for a simulated entity (the same simulation gives the same ids)."""
    return uuid.uuid5(_SIM_NAMESPACE, f"{organization_id}|{kind}|{name}")


def from_simulation(sim: Simulation, organization_id: uuid.UUID | None = None) -> BrainData:
    """The `BrainData` a tenant seeded with `sim` would load, built without a database."""
    org = organization_id or uuid.uuid5(_SIM_NAMESPACE, f"{sim.vertical}|{sim.seed}|{sim.today}")
    channels = [ChannelInfo(sim_uuid(org, "channel", c.name), c.name, c.platform)
                for c in sim.channels]
    campaigns = [CampaignInfo(sim_uuid(org, "campaign", f"{c.channel}|{c.name}"), c.name,
                              c.channel) for c in sim.campaigns]
    creatives = [
        CreativeInfo(sim_uuid(org, "creative", c.name), c.name,
                     sim.campaigns[c.campaign].channel, c.campaign, c.format, c.launched_on)
        for c in sim.creatives
    ]
    m = sim.metrics
    metrics = DailyRows(
        day=m.day.astype(np.int64), channel=m.channel.astype(np.int64),
        campaign=m.campaign.astype(np.int64), creative=m.creative.astype(np.int64),
        impressions=m.impressions.astype(np.float64), clicks=m.clicks.astype(np.float64),
        spend=m.spend.astype(np.float64), conversions=m.conversions.astype(np.float64),
        revenue=m.revenue.astype(np.float64), frequency=m.frequency.astype(np.float64),
    )
    o = sim.orders
    orders = OrderRows(
        customer=o.customer.astype(np.int64), day=o.day.astype(np.int64),
        revenue=o.revenue.astype(np.float64),
        customer_first_day=sim.customers.first_day.astype(np.int64),
        customer_channel=sim.customers.channel.astype(np.int64),
    )
    scale = 1.0 / sim.profile.customer_sample_fraction
    total, source = choose_total_revenue(metrics, orders, None, sim.days, scale)
    return BrainData(
        organization_id=org, start=sim.start, end=sim.end, channels=channels,
        campaigns=campaigns, creatives=creatives, metrics=metrics, orders=orders,
        total_revenue=total, revenue_source=source, orders_scale=scale,
    )


def truncate(data: BrainData, days: int) -> BrainData:
    """The first `days` days of `data` (for testing modules on short histories)."""
    days = max(0, days)
    end = data.start + timedelta(days=max(days, 1) - 1)
    m = data.metrics
    keep = m.day < days
    metrics = DailyRows(*(getattr(m, f)[keep] for f in DailyRows.__slots__))
    orders = data.orders
    if orders is not None:
        ok = orders.day < days
        orders = OrderRows(orders.customer[ok], orders.day[ok], orders.revenue[ok],
                           orders.customer_first_day, orders.customer_channel)
    total, source = choose_total_revenue(metrics, orders, None, max(days, 1), data.orders_scale)
    if days == 0:
        total = None
    return BrainData(
        organization_id=data.organization_id, start=data.start, end=end,
        channels=data.channels, campaigns=data.campaigns, creatives=data.creatives,
        metrics=metrics, orders=orders, total_revenue=total, revenue_source=source,
        orders_scale=data.orders_scale,
    )
