"""ORACLE: what will break next — creative fatigue, channel ROI decay, cohort LTV drift.

`run_oracle(data, memory, model=...)` is a pure function of the tenant's data (and MEMORY's
answer when given). Creatives are forecast by the trained `FatigueModel` (or the documented
rules in `creatives.py` when there is no model); channels and cohorts by the transparent
rules in `channels.py` and `cohorts.py`. The global risk level summarises the three:

* red: a channel with high decay and >= 10 % of recent spend; the latest mature cohort's LTV
  >= 10 % below baseline; or >= 50 % of the last week's creative spend on creatives with a
  7-day fatigue probability >= 0.6;
* yellow: any channel decay of medium or more, any cohort drift of medium or more, >= 20 % of
  the spend on such creatives, or one of them with >= 5 % of the spend;
* green otherwise.
"""

from __future__ import annotations

import numpy as np

from brain.brain_modules.contracts import (
    BrainData,
    ChannelDecay,
    CreativeForecast,
    LtvDrift,
    MemoryResult,
    OracleResult,
    RiskLevel,
)
from brain.brain_modules.oracle.channels import channel_decay
from brain.brain_modules.oracle.cohorts import ltv_drift
from brain.brain_modules.oracle.creatives import forecast_creatives
from brain.brain_modules.oracle.features import MIN_HISTORY_DAYS
from brain.brain_modules.oracle.model import (
    FatigueModel,
    default_fatigue_model,
    train_fatigue_model,
)
from brain.brain_modules.oracle.seeds import DEV_SEEDS, HELD_OUT_SEED

__all__ = [
    "DEV_SEEDS",
    "HELD_OUT_SEED",
    "MIN_HISTORY_DAYS",
    "RULES_VERSION",
    "FatigueModel",
    "default_fatigue_model",
    "run_oracle",
    "train_fatigue_model",
]

RULES_VERSION = "oracle-rules-1"
HOT_P7 = 0.6
HOT_SHARE_RED = 0.5
HOT_SHARE_YELLOW = 0.2


def _spend_share(data: BrainData, days: int) -> tuple[dict[int, float], dict[int, float]]:
    """Share of the last `days` days' spend per channel and per creative."""
    m = data.metrics
    rows = m.day >= data.days - days
    total = float(m.spend[rows].sum())
    if total <= 0:
        return {}, {}
    channel = np.bincount(m.channel[rows], weights=m.spend[rows], minlength=len(data.channels))
    cr = rows & (m.creative >= 0)
    creative = np.bincount(m.creative[cr], weights=m.spend[cr], minlength=len(data.creatives))
    return (
        {c: float(v) / total for c, v in enumerate(channel)},
        {k: float(v) / total for k, v in enumerate(creative) if v > 0},
    )


def _risk(
    data: BrainData,
    creatives: list[CreativeForecast],
    channels: list[ChannelDecay],
    drift: list[LtvDrift],
) -> tuple[RiskLevel, list[str]]:
    channel_share, _ = _spend_share(data, 28)
    _, week_share = _spend_share(data, 7)
    index_of = {c.id: k for k, c in enumerate(data.creatives)}
    red: list[str] = []
    yellow: list[str] = []
    for c, decay in enumerate(channels):
        share = channel_share.get(c, 0.0)
        text = (f"{decay.name}: {decay.decay_severity} ROI decay "
                f"({decay.roas_trend:+.0%} ROAS per 28 days)")
        if decay.decay_severity == "high" and share >= 0.10:
            red.append(text + f", {share:.0%} of spend")
        elif decay.decay_severity in ("medium", "high"):
            yellow.append(text)
    mature = [d for d in drift if d.horizon_days == 90]
    for d in drift:
        text = (f"cohort {d.month:%Y-%m} {d.horizon_days}-day LTV {d.ltv:.0f} is "
                f"{-d.drift:.0%} below the baseline {d.baseline:.0f}")
        if mature and d is mature[-1] and d.severity == "high":
            red.append(text)
        elif d.severity in ("medium", "high"):
            yellow.append(text)
    hot = [f for f in creatives if (f.fatigue_probability_7d or 0.0) >= HOT_P7]
    hot_share = sum(week_share.get(index_of.get(f.creative_id, -1), 0.0) for f in hot)
    if hot and hot_share >= HOT_SHARE_YELLOW:
        text = (f"{hot_share:.0%} of last week's spend is on {len(hot)} creatives likely to "
                "fatigue within 7 days")
        (red if hot_share >= HOT_SHARE_RED else yellow).append(text)
    for f in hot:
        share = week_share.get(index_of.get(f.creative_id, -1), 0.0)
        if share >= 0.05:
            yellow.append(f"creative {f.name} ({share:.0%} of spend) will likely fatigue within "
                          f"7 days (p = {f.fatigue_probability_7d:.2f})")
    if red:
        return "red", red + yellow
    if yellow:
        return "yellow", yellow
    return "green", ["no channel decay, cohort drift or imminent creative fatigue detected"]


def run_oracle(
    data: BrainData,
    memory: MemoryResult | None,
    *,
    model: FatigueModel | None = None,
) -> OracleResult:
    """Forecast what will break: per creative, per channel, per cohort, and overall."""
    creatives, notes = forecast_creatives(data, model)
    channels, channel_notes = channel_decay(data, memory)
    drift, drift_notes = ltv_drift(data, memory)
    risk, reasons = _risk(data, creatives, channels, drift)
    return OracleResult(
        creatives=creatives,
        channels=channels,
        ltv_drift=drift,
        risk_level=risk,
        risk_reasons=reasons,
        model_version=model.version if model is not None else RULES_VERSION,
        notes=notes + channel_notes + drift_notes,
    )
