"""The FACE summary's numbers: KPI bar per period, cards, leaderboard and alerts.

Built once per run by the pipeline (the `face` module output) from the tenant's data and the
other modules' answers, so the API only reads a stored document. Every figure here comes
from MEMORY's and ORACLE's outputs or from the same daily sums MEMORY uses; the narrative
(`narrative.py`) only rewords these figures per persona.

KPI definitions (over a period of N days ending on the data's last day, vs the N days
before it):
* `mer`: total business revenue / ad spend (orders, else analytics, else platform revenue);
* `blended_roas`: platform-reported revenue of all channels / ad spend;
* `ltv_roas`: `blended_roas` x MEMORY's LTV factor (cohorts' 90-day / 30-day LTV);
* `risk`: ORACLE's global level, compared with the previous run's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np

from brain.brain_modules.contracts import (
    BrainData,
    ChannelMemory,
    CreativeForecast,
    CuriosityResult,
    FloatArray,
    MemoryResult,
    OracleResult,
)
from brain.brain_modules.serialize import to_json

PERIODS: dict[str, int] = {"7d": 7, "28d": 28, "90d": 90}
Period = Literal["7d", "28d", "90d"]
_RISK_ORDER = {"green": 0, "yellow": 1, "red": 2}
_SEVERITY_ORDER = {"none": 0, "low": 1, "medium": 2, "high": 3}
# A creative counts as fatiguing from this 7-day fatigue probability.
FATIGUE_ALERT_PROBABILITY = 0.5
FRESHNESS_ALERT_DAYS = 3


def _ratio(numerator: float | None, denominator: float) -> float | None:
    if numerator is None or denominator <= 0 or not math.isfinite(numerator):
        return None
    return numerator / denominator


def _change(value: float | None, previous: float | None) -> float | None:
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous)


@dataclass(frozen=True, slots=True)
class PeriodSums:
    days: int
    spend: float
    platform_revenue: float
    total_revenue: float | None


def _window_sums(daily: dict[str, Any], first: int, last: int) -> PeriodSums | None:
    """Sums over day indexes [first, last] (None when the window is not fully covered)."""
    if first < 0 or last < first:
        return None
    spend = float(np.sum(daily["spend"][first : last + 1]))
    platform = float(np.sum(daily["platform_revenue"][first : last + 1]))
    total_series = daily["total_revenue"]
    total = None if total_series is None else float(np.sum(total_series[first : last + 1]))
    return PeriodSums(last - first + 1, spend, platform, total)


def daily_totals(data: BrainData) -> dict[str, Any]:
    """Per-day spend, platform revenue and business revenue of the whole account."""
    days = max(data.days, 0)
    m = data.metrics
    spend: FloatArray
    platform: FloatArray
    if len(m) and days:
        spend = np.bincount(m.day, weights=np.nan_to_num(m.spend),
                            minlength=days)[:days].astype(np.float64)
        platform = np.bincount(m.day, weights=np.nan_to_num(m.revenue),
                               minlength=days)[:days].astype(np.float64)
    else:
        spend = np.zeros(days)
        platform = np.zeros(days)
    total = None
    if data.total_revenue is not None and len(data.total_revenue):
        total = np.nan_to_num(np.asarray(data.total_revenue, dtype=np.float64))[:days]
    return {"spend": spend, "platform_revenue": platform, "total_revenue": total}


def _kpis_of(sums: PeriodSums | None, ltv_factor: float | None) -> dict[str, float | None]:
    if sums is None:
        return {"spend": None, "revenue": None, "mer": None, "blended_roas": None,
                "ltv_roas": None}
    blended = _ratio(sums.platform_revenue, sums.spend)
    return {
        "spend": sums.spend,
        "revenue": sums.total_revenue if sums.total_revenue is not None
        else sums.platform_revenue,
        "mer": _ratio(sums.total_revenue, sums.spend),
        "blended_roas": blended,
        "ltv_roas": None if blended is None or ltv_factor is None else blended * ltv_factor,
    }


def period_kpis(
    daily: dict[str, Any], n_days: int, ltv_factor: float | None
) -> dict[str, Any]:
    """KPIs of the last `n_days` and of the `n_days` before, with relative changes."""
    total_days = len(daily["spend"])
    last = total_days - 1
    current = _window_sums(daily, max(total_days - n_days, 0), last) if total_days else None
    previous = _window_sums(daily, total_days - 2 * n_days, total_days - n_days - 1)
    now, before = _kpis_of(current, ltv_factor), _kpis_of(previous, ltv_factor)
    kpis: list[dict[str, Any]] = []
    labels = {"mer": "MER", "blended_roas": "Blended ROAS", "ltv_roas": "LTV-ROAS",
              "spend": "Spend", "revenue": "Revenue"}
    for key, label in labels.items():
        kpis.append({
            "key": key,
            "label": label,
            "value": now[key],
            "previous": before[key],
            "change": _change(now[key], before[key]),
            "unit": "usd" if key in ("spend", "revenue") else "ratio",
        })
    notes: list[str] = []
    if current is not None and current.days < n_days:
        notes.append(f"Only {current.days} of {n_days} days of data exist for this period.")
    if previous is None:
        notes.append("There is not enough history to compare with the previous period.")
    if daily["total_revenue"] is None:
        notes.append("MER needs the business's total revenue (orders or analytics).")
    if ltv_factor is None:
        notes.append("LTV-ROAS needs cohorts with 90 days of history.")
    return {"days": current.days if current else 0, "kpis": kpis, "notes": notes}


def risk_kpi(oracle: OracleResult | None, previous_level: str | None) -> dict[str, Any]:
    level = oracle.risk_level if oracle is not None else None
    change: str | None = None
    if level is not None and previous_level in _RISK_ORDER:
        delta = _RISK_ORDER[level] - _RISK_ORDER[str(previous_level)]
        change = "worse" if delta > 0 else "better" if delta < 0 else "same"
    return {"key": "risk", "label": "Global risk", "value": level, "previous": previous_level,
            "change": change, "unit": "level",
            "reasons": list(oracle.risk_reasons) if oracle is not None else []}


def _channel_row(channel: ChannelMemory) -> dict[str, Any]:
    roi = channel.incremental_roi
    return {
        "channel_id": str(channel.channel_id),
        "name": channel.name,
        "platform": channel.platform,
        "spend": to_json(channel.spend),
        "revenue": to_json(channel.revenue),
        "roas": to_json(channel.roas),
        "ltv_roas": to_json(channel.ltv_roas),
        "status": channel.status,
        "incremental_roi": to_json(roi),
        "incremental_roi_reason": channel.incremental_roi_reason,
    }


def fatiguing(oracle: OracleResult, limit: int = 5) -> list[CreativeForecast]:
    """Creatives most likely to fatigue within 7 days (model or rules; not cold starts)."""
    scored = [c for c in oracle.creatives if c.fatigue_probability_7d is not None
              and math.isfinite(c.fatigue_probability_7d)]
    scored.sort(key=lambda c: (-(c.fatigue_probability_7d or 0.0), c.name))
    return scored[:limit]


def _creative_row(c: CreativeForecast) -> dict[str, Any]:
    return {
        "creative_id": str(c.creative_id),
        "name": c.name,
        "fatigue_probability_7d": to_json(c.fatigue_probability_7d),
        "fatigue_probability_14d": to_json(c.fatigue_probability_14d),
        "predicted_drop": to_json(c.predicted_drop),
        "risk_factors": list(c.risk_factors),
        "recommended_refresh_date": to_json(c.recommended_refresh_date),
        "method": c.method,
    }


def decaying_channels(oracle: OracleResult) -> list[dict[str, Any]]:
    rows = [to_json(c) for c in oracle.channels if c.decay_severity != "none"]
    rows.sort(key=lambda r: (-_SEVERITY_ORDER[r["decay_severity"]], r["roas_trend"] or 0.0))
    return rows


def build_cards(
    memory: MemoryResult | None, oracle: OracleResult | None, curiosity: CuriosityResult | None
) -> dict[str, Any]:
    cards: dict[str, Any] = {}
    if memory is not None:
        cards["memory"] = {
            "period_start": memory.period_start.isoformat(),
            "period_end": memory.period_end.isoformat(),
            "totals": to_json(memory.totals),
            "channels": [_channel_row(c) for c in memory.channels],
            "ltv_factor": to_json(memory.ltv_factor),
            "cohorts": to_json(memory.cohorts[-6:]),
            "notes": list(memory.notes),
            "model_version": memory.model_version,
        }
    if oracle is not None:
        cards["oracle"] = {
            "risk_level": oracle.risk_level,
            "risk_reasons": list(oracle.risk_reasons),
            "fatiguing_creatives": [_creative_row(c) for c in fatiguing(oracle)],
            "decaying_channels": decaying_channels(oracle),
            "ltv_drift": to_json(oracle.ltv_drift[-4:]),
            "notes": list(oracle.notes),
            "model_version": oracle.model_version,
        }
    if curiosity is not None:
        impact = sum(a.estimated_impact_usd.estimate for a in curiosity.actions
                     if math.isfinite(a.estimated_impact_usd.estimate))
        cards["curiosity"] = {
            "actions_proposed": len(curiosity.actions),
            "needs_human": sum(1 for a in curiosity.actions if a.needs_human),
            "total_estimated_impact_usd": impact,
            "allocation": to_json(curiosity.allocation),
            "notes": list(curiosity.notes),
            "model_version": curiosity.model_version,
        }
    return cards


def build_leaderboard(memory: MemoryResult | None, limit: int = 5) -> dict[str, Any]:
    """Winners and losers: channels by MEMORY's status, creatives from MEMORY's leaderboard."""
    if memory is None:
        return {"winners": [], "losers": [], "top_creatives": [], "bottom_creatives": []}

    def roas_key(row: dict[str, Any]) -> float:
        value = row.get("roas")
        return float(value) if isinstance(value, int | float) and math.isfinite(value) else -1e18

    channels = [_channel_row(c) for c in memory.channels]
    ranked = memory.leaderboard or [c for c in memory.creatives if isinstance(c, dict)]
    creatives = sorted((to_json(c) for c in ranked if roas_key(c) > -1e18), key=roas_key,
                       reverse=True)
    return {
        "winners": sorted((c for c in channels if c["status"] == "winner"), key=roas_key,
                          reverse=True),
        "losers": sorted((c for c in channels if c["status"] == "loser"), key=roas_key),
        "top_creatives": creatives[:limit],
        "bottom_creatives": creatives[::-1][:limit],
    }


def build_alerts(
    oracle: OracleResult | None, memory: MemoryResult | None, data_as_of: date | None,
    today: date,
) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    if oracle is not None:
        for row in decaying_channels(oracle):
            if row["decay_severity"] in ("medium", "high"):
                alerts.append({
                    "kind": "channel_decay", "severity": row["decay_severity"],
                    "entity_id": row["channel_id"], "entity_name": row["name"],
                    "message": f"{row['name']} is decaying: ROAS "
                               f"{row['roas_trend'] * 100:+.0f}% per 28 days.",
                })
        for c in fatiguing(oracle):
            p7 = c.fatigue_probability_7d or 0.0
            if p7 >= FATIGUE_ALERT_PROBABILITY:
                alerts.append({
                    "kind": "creative_fatigue", "severity": "high" if p7 >= 0.75 else "medium",
                    "entity_id": str(c.creative_id), "entity_name": c.name,
                    "message": f"{c.name} has a {p7 * 100:.0f}% chance of fatiguing within "
                               "7 days.",
                })
        for drift in oracle.ltv_drift:
            if drift.severity in ("medium", "high") and drift.drift < 0:
                alerts.append({
                    "kind": "ltv_drift", "severity": drift.severity,
                    "entity_id": drift.month.isoformat(), "entity_name": drift.month.strftime(
                        "%b %Y"),
                    "message": f"The {drift.month:%b %Y} cohort's LTV is "
                               f"{abs(drift.drift) * 100:.0f}% below its baseline.",
                })
    if data_as_of is not None and (today - data_as_of).days > FRESHNESS_ALERT_DAYS:
        alerts.append({
            "kind": "data_freshness", "severity": "medium", "entity_id": None,
            "entity_name": None,
            "message": f"The newest data is from {data_as_of.isoformat()} "
                       f"({(today - data_as_of).days} days ago); check the connectors.",
        })
    if memory is not None:
        for note in memory.notes[:3]:
            alerts.append({"kind": "data_gap", "severity": "low", "entity_id": None,
                           "entity_name": None, "message": note})
    order = {"high": 0, "medium": 1, "low": 2}
    alerts.sort(key=lambda a: order.get(str(a["severity"]), 3))
    return alerts
