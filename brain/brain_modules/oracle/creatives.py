"""Per-creative fatigue forecasts: the trained model, or the rule-based fallback.

Rule-based fallback (used when no model is given, and for a creative whose recent features
the model cannot read, e.g. no impressions in the last 7 days of a 14-day history):

    z = -2.5 + 8 * max(0, 1 - CTR/peak CTR) + 5 * max(0, 1 - CTR week-over-week)
        + 2 * max(0, CPA 14-day trend - 1) + 0.6 * max(0, 7-day frequency - 2)
    p7 = sigmoid(z), p14 = sigmoid(z + 0.8)
    predicted 14-day drop = 1 - (CTR week-over-week)^2 (clipped to 0..0.7), interval +-50 %

i.e. a creative already well below its own peak, still falling, getting more expensive per
conversion and shown to the same people repeatedly is the one about to tire. The weights
were set by hand on the development seeds; `evaluate.py` reports this rule's AUC next to the
model's.

A creative needs `MIN_HISTORY_DAYS` days with delivery before anything is predicted; only
creatives with delivery in the last 7 days are forecast (a paused creative cannot fatigue).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from brain.brain_modules.contracts import (
    BrainData,
    CreativeForecast,
    FloatArray,
    Interval,
)
from brain.brain_modules.oracle.features import (
    FEATURE_NAMES,
    MIN_HISTORY_DAYS,
    RISK_GROUPS,
    PanelFeatures,
    build_panel,
)
from brain.brain_modules.oracle.model import FatigueModel

# Days of data the forecast looks at in detail (older history is kept as totals).
LOOKBACK_DAYS = 63
# Days a team needs to prepare a replacement creative before the old one tires.
REFRESH_LEAD_DAYS = 3
SENSITIVITY_MIN = 0.03

_IDX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _f(row: FloatArray, name: str) -> float:
    return float(row[_IDX[name]])


def rule_scores(x: FloatArray) -> dict[str, FloatArray]:
    def col(name: str, default: float) -> FloatArray:
        v = x[:, _IDX[name]]
        return np.asarray(np.where(np.isfinite(v), v, default), dtype=np.float64)

    vs_peak, wow = col("ctr_vs_peak", 1.0), col("ctr_wow", 1.0)
    cpa, freq = col("cpa_14d_trend", 1.0), col("frequency", 1.0)
    z = (-2.5 + 8 * np.maximum(0, 1 - vs_peak) + 5 * np.maximum(0, 1 - wow)
         + 2 * np.maximum(0, cpa - 1) + 0.6 * np.maximum(0, freq - 2))
    drop = np.clip(1 - wow**2, 0.0, 0.7)
    return {
        "p7": 1 / (1 + np.exp(-z)),
        "p14": 1 / (1 + np.exp(-(z + 0.8))),
        "drop_q10": drop * 0.5,
        "drop_q50": drop,
        "drop_q90": np.minimum(drop * 1.5, 1.0),
    }


def _sensitivity(model: FatigueModel, x: FloatArray, base: FloatArray) -> FloatArray:
    """How much p14 falls when a risk group's features are set to a typical healthy value."""
    reference = model.metadata.get("reference_values") or {}
    groups = list(RISK_GROUPS)
    out = np.zeros((x.shape[0], len(groups)))
    if not reference or x.shape[0] == 0:
        return out
    stacked = np.repeat(x[None, :, :], len(groups), axis=0)
    for g, name in enumerate(groups):
        for feature in RISK_GROUPS[name]:
            if feature in reference:
                stacked[g, :, _IDX[feature]] = float(reference[feature])
    p = model.predict(stacked.reshape(-1, x.shape[1]))["p14"].reshape(len(groups), -1)
    out[:] = (base[None, :] - p).T
    return out


def _phrase(group: str, row: FloatArray) -> str | None:
    ctr, vs_peak, wow = _f(row, "ctr_7d"), _f(row, "ctr_vs_peak"), _f(row, "ctr_wow")
    if group == "ctr_decline" and math.isfinite(vs_peak):
        text = f"CTR {ctr:.2%} is {max(0.0, 1 - vs_peak):.0%} below its peak of {ctr / vs_peak:.2%}"
        if math.isfinite(wow) and wow < 0.97:
            text += f" and down {1 - wow:.0%} week over week"
        return text
    if group == "cvr_cpa":
        cpa, cvr = _f(row, "cpa_14d_trend"), _f(row, "cvr_14d_trend")
        if math.isfinite(cpa) and cpa > 1.03:
            return f"cost per acquisition up {cpa - 1:.0%} over the last 14 days"
        if math.isfinite(cvr) and cvr < 0.97:
            return f"conversion rate down {1 - cvr:.0%} over the last 14 days"
        return None
    if group == "frequency":
        cum, freq = _f(row, "cumulative_frequency"), _f(row, "frequency")
        if math.isfinite(cum):
            return (f"its audience has seen it {cum:.1f} times on average "
                    f"(7-day frequency {freq:.2f})")
        if math.isfinite(freq):
            return f"7-day frequency {freq:.2f}"
        return None
    if group == "age":
        return f"live for {_f(row, 'live_days'):.0f} days ({_f(row, 'age_days'):.0f} since launch)"
    if group == "spend":
        share, spend_wow = _f(row, "spend_share_in_campaign"), _f(row, "spend_wow")
        text = f"{share:.0%} of its campaign's spend" if math.isfinite(share) else "spend level"
        if math.isfinite(spend_wow) and abs(spend_wow - 1) > 0.1:
            direction = "up" if spend_wow > 1 else "down"
            text += f", spend {direction} {abs(spend_wow - 1):.0%} week over week"
        return text
    return None


def _rule_groups(row: FloatArray) -> list[str]:
    groups: list[str] = []
    vs_peak, wow = _f(row, "ctr_vs_peak"), _f(row, "ctr_wow")
    if (math.isfinite(vs_peak) and vs_peak < 0.9) or (math.isfinite(wow) and wow < 0.95):
        groups.append("ctr_decline")
    cpa = _f(row, "cpa_14d_trend")
    if math.isfinite(cpa) and cpa > 1.1:
        groups.append("cvr_cpa")
    freq = _f(row, "frequency")
    if math.isfinite(freq) and freq > 2:
        groups.append("frequency")
    return groups


def refresh_date(end: date, p7: float, p14: float, observed_drop: float) -> date | None:
    """The day the fatigue probability crosses 1/2 (linear between 0, 7 and 14 days ahead),
    minus the lead time to prepare a replacement; tomorrow when it is already tired."""
    tomorrow = end + timedelta(days=1)
    if observed_drop >= 0.2:
        return tomorrow
    if p14 < 0.5:
        return None
    if p7 >= 0.5:
        ahead = 7.0 * 0.5 / max(p7, 1e-9)
    else:
        ahead = 7.0 + 7.0 * (0.5 - p7) / max(p14 - p7, 1e-9)
    return max(tomorrow, end + timedelta(days=math.floor(ahead) - REFRESH_LEAD_DAYS))


def forecast_creatives(
    data: BrainData, model: FatigueModel | None
) -> tuple[list[CreativeForecast], list[str]]:
    """Forecasts for creatives with delivery in the last 7 days, and notes."""
    notes: list[str] = []
    if data.days <= 0 or not data.creatives:
        return [], ["ORACLE has no creatives with data to forecast."]
    panel = build_panel(data, first_day=data.days - LOOKBACK_DAYS)
    feats = PanelFeatures(panel)
    last = panel.impressions.shape[1] - 1
    recent = panel.impressions[:, max(0, last - 6):].sum(axis=1) > 0
    history = panel.prior_live_days + (panel.impressions > 0).sum(axis=1)
    live = np.flatnonzero(recent)
    paused = len(data.creatives) - live.size
    if paused:
        notes.append(f"{paused} creatives had no delivery in the last 7 days and are not forecast.")
    enough = live[history[live] >= MIN_HISTORY_DAYS]
    day = np.full(enough.size, data.days - 1, dtype=np.int64)
    x = feats.matrix(enough.astype(np.int64), day)
    readable = np.isfinite(x[:, _IDX["ctr_7d"]])
    if model is not None:
        pred = model.predict(x)
        rules = rule_scores(x)
        for key in pred:
            pred[key] = np.where(readable, pred[key], rules[key])
        sens = _sensitivity(model, x, pred["p14"])
    else:
        pred = rule_scores(x)
        sens = np.zeros((enough.size, len(RISK_GROUPS)))
        notes.append("No trained fatigue model: creatives scored with the rule-based fallback.")
    groups = list(RISK_GROUPS)
    by_index: dict[int, CreativeForecast] = {}
    for j, k in enumerate(enough.tolist()):
        creative = data.creatives[k]
        row = x[j]
        used_model = model is not None and bool(readable[j])
        if used_model:
            order = np.argsort(-sens[j])
            chosen = [groups[g] for g in order if sens[j, g] >= SENSITIVITY_MIN]
        else:
            chosen = _rule_groups(row)
        factors = [p for p in (_phrase(g, row) for g in chosen) if p]
        vs_peak = _f(row, "ctr_vs_peak")
        observed = 1 - vs_peak if math.isfinite(vs_peak) else 0.0
        p7, p14 = float(pred["p7"][j]), float(pred["p14"][j])
        by_index[k] = CreativeForecast(
            creative_id=creative.id,
            name=creative.name,
            fatigue_probability_7d=round(p7, 4),
            fatigue_probability_14d=round(p14, 4),
            predicted_drop=Interval(
                estimate=round(float(pred["drop_q50"][j]), 4),
                ci_low=round(float(pred["drop_q10"][j]), 4),
                ci_high=round(float(pred["drop_q90"][j]), 4),
            ),
            risk_factors=factors,
            recommended_refresh_date=refresh_date(data.end, p7, p14, observed),
            method="model" if used_model else "rules",
        )
    for k in live.tolist():
        if k in by_index:
            continue
        creative = data.creatives[k]
        has = int(history[k])
        by_index[k] = CreativeForecast(
            creative_id=creative.id,
            name=creative.name,
            fatigue_probability_7d=None,
            fatigue_probability_14d=None,
            predicted_drop=None,
            risk_factors=[],
            recommended_refresh_date=None,
            method="insufficient_data",
            reason=(f"ORACLE needs {MIN_HISTORY_DAYS} days of history for creative "
                    f"{creative.name} (has {has})"),
        )
    return [by_index[k] for k in sorted(by_index)], notes
