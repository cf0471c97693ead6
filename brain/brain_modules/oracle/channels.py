"""Channel ROI decay: is a channel's return falling, or is its spend rising while it doesn't?

Over the last 28 days (at least 14), days are grouped into weeks counted back from the last
day; each week's ROAS is the *median* of its daily ROAS (robust to a one-day spend spike or
tracking break), each week's spend 7x its median daily spend. A least-squares line through
the weekly values gives the relative change per 28 days (`roas_trend`, `spend_trend`).

Severity from the ROAS trend: <= -30 % high, <= -15 % medium, <= -10 % low. Spend rising
>= 10 % while ROAS is flat or falling (trend <= +2 %) raises it one level (at least low):
money is going in faster than return comes out. A channel whose modelled incremental ROI
(MEMORY) is below 1 is mentioned in the reasons.
"""

from __future__ import annotations

import numpy as np

from brain.brain_modules.contracts import (
    BrainData,
    ChannelDecay,
    FloatArray,
    MemoryResult,
    Severity,
)

WINDOW_DAYS = 28
MIN_DAYS = 14
_LEVELS: tuple[Severity, ...] = ("none", "low", "medium", "high")


def _weekly(values: FloatArray, spend: FloatArray, weeks: int) -> tuple[FloatArray, FloatArray]:
    roas = np.full(weeks, np.nan)
    spent = np.zeros(weeks)
    n = values.size
    for w in range(weeks):
        hi = n - (weeks - 1 - w) * 7
        lo = max(0, hi - 7)
        s, r = spend[lo:hi], values[lo:hi]
        spent[w] = float(np.median(s)) * 7.0 if s.size else 0.0  # robust to a spike
        ok = s > 0
        if ok.any():
            roas[w] = float(np.median(r[ok] / s[ok]))
    return roas, spent


def _trend(values: FloatArray, weeks: int) -> float:
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return 0.0
    x = np.arange(weeks, dtype=np.float64)[ok]
    slope = np.polyfit(x, values[ok], 1)[0]
    level = float(np.mean(values[ok]))
    if level <= 0:
        return 0.0
    return float(slope * 4.0 / level)


def channel_decay(
    data: BrainData, memory: MemoryResult | None
) -> tuple[list[ChannelDecay], list[str]]:
    notes: list[str] = []
    days = max(data.days, 0)
    if days < MIN_DAYS:
        notes.append(f"ORACLE needs {MIN_DAYS} days of data for channel decay (has {days}).")
    incremental = {
        c.channel_id: c.incremental_roi.estimate
        for c in (memory.channels if memory else [])
        if c.incremental_roi is not None
    }
    m = data.metrics
    window = min(WINDOW_DAYS, days)
    weeks = window // 7
    out: list[ChannelDecay] = []
    for c, info in enumerate(data.channels):
        reasons: list[str] = []
        if days < MIN_DAYS or weeks < 2:
            out.append(ChannelDecay(info.id, info.name, "none", 0.0, 0.0,
                                    [f"needs {MIN_DAYS} days of data (has {days})"]))
            continue
        rows = (m.channel == c) & (m.day >= days - weeks * 7) & (m.day < days)
        offset = m.day[rows] - (days - weeks * 7)
        spend = np.bincount(offset, weights=m.spend[rows], minlength=weeks * 7).astype(np.float64)
        revenue = np.bincount(offset, weights=m.revenue[rows],
                              minlength=weeks * 7).astype(np.float64)
        if spend.sum() <= 0:
            out.append(ChannelDecay(info.id, info.name, "none", 0.0, 0.0,
                                    [f"no spend in the last {weeks * 7} days"]))
            continue
        roas, spent = _weekly(revenue, spend, weeks)
        roas_trend = _trend(roas, weeks)
        spend_trend = _trend(spent, weeks)
        level = 0
        if roas_trend <= -0.30:
            level = 3
        elif roas_trend <= -0.15:
            level = 2
        elif roas_trend <= -0.10:
            level = 1
        first, last = roas[np.isfinite(roas)][[0, -1]]
        if level:
            reasons.append(
                f"{info.name} ROAS fell from {first:.2f} to {last:.2f} over the last "
                f"{weeks} weeks ({roas_trend:+.0%} per 28 days)"
            )
        if spend_trend >= 0.10 and roas_trend <= 0.02:
            level = min(3, max(1, level + 1))
            reasons.append(
                f"spend is rising ({spend_trend:+.0%} per 28 days) while ROAS is "
                f"{'falling' if roas_trend < -0.02 else 'flat'}"
            )
        if info.id in incremental and incremental[info.id] < 1.0 and level:
            reasons.append(
                f"modelled incremental ROI is {incremental[info.id]:.2f}: each extra dollar "
                "returns less than a dollar"
            )
        if not reasons:
            reasons.append(f"ROAS {last:.2f}, stable ({roas_trend:+.0%} per 28 days)")
        out.append(ChannelDecay(info.id, info.name, _LEVELS[level], round(roas_trend, 4),
                                round(spend_trend, 4), reasons))
    return out, notes
