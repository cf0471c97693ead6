"""Customers and orders: acquisition from the true media response, latent segments, repeat
purchases, cohort drift and the cohort LTV table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from brain.demo.media import Calendar, lognormal_mean_one
from brain.demo.records import (
    CustomerColumns,
    FloatArray,
    IntArray,
    OrderColumns,
    month_end,
    month_key,
    rounded,
    shift_month,
)
from brain.demo.verticals import ChannelSpec, VerticalProfile

_LTV_HORIZONS = (30, 60, 90, 180)


@dataclass
class CohortMeta:
    last_complete: tuple[int, int]  # (year, month) of the latest cohort with 90 days of history
    drift: dict[str, float]
    calibration: dict[str, float]


def _segment_mix(profile: VerticalProfile, channel: ChannelSpec | None) -> FloatArray:
    tilt = dict(channel.segment_tilt) if channel is not None else {}
    mix = np.array([s.share * tilt.get(s.key, 1.0) for s in profile.segments])
    return np.asarray(mix / mix.sum(), dtype=np.float64)


def _last_complete_cohort(end: date, horizon: int = 90) -> tuple[int, int]:
    year, month = end.year, end.month
    while month_end(year, month) + timedelta(days=horizon - 1) > end:
        year, month = shift_month(year, month, -1)
    return year, month


def simulate_customers(
    profile: VerticalProfile,
    cal: Calendar,
    season_all: FloatArray,
    incremental: FloatArray,
    end: date,
    rng: np.random.Generator,
) -> tuple[CustomerColumns, OrderColumns, CohortMeta]:
    days, burn_in = cal.days, cal.burn_in
    total_days = days + burn_in
    fraction = profile.customer_sample_fraction
    segments = profile.segments
    n_channels = len(profile.channels)
    mixes = [_segment_mix(profile, ch) for ch in profile.channels] + [_segment_mix(profile, None)]
    first_values = np.array([s.first_order_value for s in segments])

    # Expected new customers per source (channels, then organic) and day.
    rates = np.zeros((n_channels + 1, total_days))
    for c in range(n_channels):
        expected_aov = float(mixes[c] @ first_values)
        rates[c, burn_in:] = incremental[c] * fraction / expected_aov
        rates[c, :burn_in] = rates[c, burn_in : burn_in + min(28, days)].mean()
    t_rel = (np.arange(total_days) - (total_days - 1)) / 365.0
    rates[n_channels] = (
        profile.organic_new_customers_per_day * fraction
        * (1.0 + profile.organic_growth) ** t_rel * season_all
        * np.array(profile.weekly_orders)[cal.weekday]
        * lognormal_mean_one(rng, 0.08, total_days)
    )
    counts = rng.poisson(rates)
    source_idx, day_idx = np.nonzero(counts)
    repeats = counts[source_idx, day_idx]
    order = np.lexsort((source_idx, day_idx))
    first_day = np.repeat(day_idx[order], repeats[order]).astype(np.int64) - burn_in
    source = np.repeat(source_idx[order], repeats[order]).astype(np.int64)
    n = first_day.shape[0]
    channel = np.where(source == n_channels, -1, source)

    cumulative = np.cumsum(np.array(mixes), axis=1)
    draws = rng.random(n)
    segment = (draws[:, None] > cumulative[source]).sum(axis=1).astype(np.int64)
    segment = np.minimum(segment, len(segments) - 1)

    # Cohort drift of the repeat process.
    start = cal.start
    last_complete = _last_complete_cohort(end)
    month_index = np.array(
        [(d.year * 12 + d.month - 1) for d in (start + timedelta(days=int(x)) for x in
                                               np.unique(first_day))], dtype=np.int64
    )
    unique_days = np.unique(first_day)
    months_by_day = dict(zip(unique_days.tolist(), month_index.tolist(), strict=True))
    cust_month = np.array([months_by_day[int(d)] for d in first_day], dtype=np.int64)
    last_index = last_complete[0] * 12 + last_complete[1] - 1
    drift_values = profile.cohort_repeat_drift
    offsets = last_index - cust_month  # 0 = latest complete cohort, negative = newer
    drift = np.ones(n)
    for i, value in enumerate(reversed(drift_values)):
        drift[offsets == i] = value
    drift[offsets < 0] = drift_values[-1]

    # Orders: the first, then gamma-renewal repeats until churn or the period end.
    mean_gap = np.array([s.mean_days_between_orders for s in segments])[segment] / drift
    shape = np.array([s.gap_shape for s in segments])[segment]
    keep = np.array([s.continue_probability for s in segments])[segment]
    repeat_value = np.array([s.repeat_order_value for s in segments])[segment]
    first_value = first_values[segment] * lognormal_mean_one(rng, 0.3, n)
    order_customer = [np.arange(n, dtype=np.int64)]
    order_day = [first_day.copy()]
    order_value = [first_value]
    next_in = np.full(n, -1, dtype=np.int64)
    last = first_day.copy()
    active = np.arange(n, dtype=np.int64)
    last_day = days - 1
    while active.size:
        cont = rng.random(active.size) < keep[active]
        gaps = rng.gamma(shape[active], mean_gap[active] / shape[active])
        values = repeat_value[active] * lognormal_mean_one(rng, 0.25, active.size)
        nxt = last[active] + np.maximum(1, np.round(gaps)).astype(np.int64)
        beyond = cont & (nxt > last_day)
        next_in[active[beyond]] = nxt[beyond] - last_day
        placed = cont & (nxt <= last_day)
        order_customer.append(active[placed])
        order_day.append(nxt[placed])
        order_value.append(values[placed])
        last[active[placed]] = nxt[placed]
        active = active[placed]

    o_customer = np.concatenate(order_customer)
    o_day = np.concatenate(order_day)
    o_value = np.round(np.concatenate(order_value), 2)
    o_channel = np.concatenate([channel, np.full(o_customer.shape[0] - n, -1, dtype=np.int64)])

    # Calibrate the story cohorts' 90-day LTV exactly (order values scaled by a factor ~1).
    calibration: dict[str, float] = {}
    targets = profile.cohort_ltv90_targets
    if targets:
        within = (o_day - first_day[o_customer]) < 90
        for i, target in enumerate(reversed(targets)):
            members = offsets == i
            count = int(members.sum())
            if not count:
                continue
            in_cohort = members[o_customer]
            realized = float(o_value[in_cohort & within].sum()) / count
            factor = target / realized
            o_value[in_cohort] = np.round(o_value[in_cohort] * factor, 2)
            year, month = shift_month(*last_complete, -i)
            calibration[f"{year:04d}-{month:02d}"] = factor

    order = np.lexsort((o_customer, o_day))
    orders = OrderColumns(
        customer=o_customer[order], day=o_day[order], revenue=o_value[order],
        channel=o_channel[order],
    )
    drift_by_month: dict[str, float] = {}
    for offset in range(int(offsets.min()) if n else 0, len(drift_values)):
        year, month = shift_month(*last_complete, -offset)
        value = drift_values[-1] if offset < 0 else drift_values[len(drift_values) - 1 - offset]
        drift_by_month[f"{year:04d}-{month:02d}"] = value
    customers = CustomerColumns(
        first_day=first_day, channel=channel, segment=segment, next_order_in_days=next_in
    )
    return customers, orders, CohortMeta(last_complete, drift_by_month, calibration)


def cohort_ltv(
    first_day: IntArray,
    order_customer: IntArray,
    order_day: IntArray,
    order_revenue: FloatArray,
    start: date,
    end: date,
    first_month_start: date,
) -> dict[str, dict[str, Any]]:
    """Monthly acquisition cohorts: customers and LTV at 30/60/90/180 days (None if partial).

    LTV at h days = mean over the cohort's customers of the revenue of their orders dated
    less than h days after their first order; defined once every customer has h days of history.
    """
    n = first_day.shape[0]
    elapsed = order_day - first_day[order_customer]
    per_horizon = {
        h: np.bincount(order_customer[elapsed < h], weights=order_revenue[elapsed < h],
                       minlength=n)
        for h in _LTV_HORIZONS
    }
    first_dates = np.array([(start + timedelta(days=int(d))).toordinal() for d in first_day])
    cohorts: dict[str, dict[str, Any]] = {}
    year, month = first_month_start.year, first_month_start.month
    while date(year, month, 1) <= end:
        lo, hi = date(year, month, 1), month_end(year, month)
        members = (first_dates >= lo.toordinal()) & (first_dates <= hi.toordinal())
        count = int(members.sum())
        entry: dict[str, Any] = {"customers": count}
        for h in _LTV_HORIZONS:
            complete = hi + timedelta(days=h - 1) <= end and count > 0
            entry[f"ltv_{h}"] = rounded(per_horizon[h][members].mean(), 2) if complete else None
        cohorts[month_key(lo)] = entry
        year, month = shift_month(year, month, 1)
    return cohorts
