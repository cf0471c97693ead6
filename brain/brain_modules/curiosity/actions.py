"""Candidate actions and their dollar impact.

Money conventions (all per the next 7 / 28 days):

* Budget changes act through MEMORY's response curves at steady state, reached gradually:
  with geometric adstock decay d, a change of daily spend shows (1 - d^i) of its steady
  effect on day i. Channels ORACLE sees decaying (severity medium/high) have their curve
  scaled to their current return, `1 + 0.375 * roas_trend` (the last week's ROAS relative to
  the 4-week average on ORACLE's fitted line), floored at 0.3.
* `shift_budget` keeps spend constant: its impact is the revenue gained minus lost.
  `increase_budget` / `decrease_budget` change spend: their impact is net of the spend change.
* Intervals scale each channel's part by its incremental-ROI interval / estimate (MEMORY).
* A creative's value is its share of its channel's modelled incremental revenue (spend share);
  refreshing or pausing a tiring creative saves the predicted drop (ORACLE's expected 14-day
  drop, accruing linearly over 14 days and then held: 3/4 of it on average over 28 days, 1/4
  over 7).
* `focus_retention`: revenue at stake is the LTV gap of the latest drifting cohort times the
  customers acquired per 28 days; the estimate assumes a retention programme wins back
  `RETENTION_RECOVERY` of it (a stated assumption, so the action always goes to a human).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass

import numpy as np

from brain.brain_modules.contracts import (
    ActionProposal,
    ActionType,
    BrainData,
    ChannelMemory,
    CreativeForecast,
    Interval,
    LtvDrift,
    ResponseCurve,
)

RETENTION_RECOVERY = 0.25
INCREASE_MARGINAL_ROAS = 1.5
DECREASE_MARGINAL_ROAS = 0.5
STEP_CHANGE = 0.10
REFRESH_P7 = 0.5
PAUSE_P7 = 0.8
WIDE_INTERVAL = 1.5  # width / |estimate| above which a human decides


def ramp(decay: float, days: int) -> float:
    """Days-equivalent of a steady-state effect over the first `days` days."""
    d = min(max(decay, 0.0), 0.999)
    return float(sum(1 - d**i for i in range(1, days + 1)))


def fingerprint(kind: str, target: str, amount: float | None, extra: str = "") -> str:
    """Stable identity: type, target(s) and the amount to 2 significant digits."""
    key = "" if amount is None or not math.isfinite(amount) else f"{amount:.2g}"
    return hashlib.sha256(f"{kind}|{target}|{extra}|{key}".encode()).hexdigest()[:24]


@dataclass(slots=True)
class ChannelView:
    """What CURIOSITY knows about one channel."""

    memory: ChannelMemory
    curve: ResponseCurve | None  # decay-adjusted
    current: float
    ci_low_ratio: float
    ci_high_ratio: float
    decay_factor: float

    def revenue(self, spend: float) -> float:
        return float(self.curve.revenue(spend)) if self.curve is not None else 0.0


def _confidence(est: float, lo: float, hi: float) -> float:
    half = max(hi - lo, 0.0) / 2
    if est <= 0:
        return 0.05
    return float(min(0.95, max(0.05, est / (est + half))))


def _gate(est: float, lo: float, hi: float) -> tuple[bool, str | None]:
    if lo < 0 < est:
        return True, (f"the 28-day impact could be anywhere from ${lo:,.0f} to ${hi:,.0f}: "
                      "it may lose money")
    if est != 0 and (hi - lo) > WIDE_INTERVAL * abs(est):
        return True, (f"the 28-day impact interval ${lo:,.0f} to ${hi:,.0f} is wide compared "
                      f"with the estimate ${est:,.0f}")
    return False, None


def proposal(
    kind: ActionType, target_kind: str, target_id: str, target_name: str,
    current: float | None, recommended: float | None, impact: Interval, impact7: float,
    rationale: str, urgency: str, *, extra: str = "", confidence: float | None = None,
    details: dict[str, object] | None = None, force_human: str | None = None,
) -> ActionProposal:
    needs, reason = _gate(impact.estimate, impact.ci_low, impact.ci_high)
    if force_human:
        needs, reason = True, force_human
    conf = _confidence(impact.estimate, impact.ci_low, impact.ci_high)
    if confidence is not None:
        conf = min(conf, confidence)
    return ActionProposal(
        type=kind,
        target_kind=target_kind,  # type: ignore[arg-type]
        target_id=target_id,
        target_name=target_name,
        amount_current=None if current is None else round(current, 2),
        amount_recommended=None if recommended is None else round(recommended, 2),
        estimated_impact_usd=Interval(round(float(impact.estimate), 2),
                                      round(float(impact.ci_low), 2),
                                      round(float(impact.ci_high), 2)),
        estimated_impact_7d_usd=round(float(impact7), 2),
        rationale=rationale,
        urgency=urgency,  # type: ignore[arg-type]
        confidence=round(conf, 3),
        needs_human=needs,
        needs_human_reason=reason,
        expected_value=round(float(impact.estimate), 2),
        fingerprint=fingerprint(kind, target_id, recommended, extra),
        details=dict(details or {}),
    )


def shift_actions(
    views: dict[uuid.UUID, ChannelView], allocation: dict[uuid.UUID, float], total: float,
    decaying: dict[uuid.UUID, str],
) -> tuple[list[ActionProposal], dict[uuid.UUID, float]]:
    """Pair the optimizer's decreases with its increases; return leftovers per channel."""
    delta = {cid: allocation.get(cid, v.current) - v.current for cid, v in views.items()
             if v.curve is not None}
    floor = 0.01 * max(total, 1e-9)
    src = sorted(((c, -d) for c, d in delta.items() if d < -floor), key=lambda p: -p[1])
    dst = sorted(((c, d) for c, d in delta.items() if d > floor), key=lambda p: -p[1])
    position = {cid: v.current for cid, v in views.items()}
    actions: list[ActionProposal] = []
    i = j = 0
    src_left = [a for _, a in src]
    dst_left = [a for _, a in dst]
    while i < len(src) and j < len(dst):
        amount = min(src_left[i], dst_left[j])
        s_id, d_id = src[i][0], dst[j][0]
        s, d = views[s_id], views[d_id]
        loss = s.revenue(position[s_id]) - s.revenue(position[s_id] - amount)
        gain = d.revenue(position[d_id] + amount) - d.revenue(position[d_id])
        decay_s = s.curve.decay if s.curve else 0.0
        decay_d = d.curve.decay if d.curve else 0.0
        est28 = gain * ramp(decay_d, 28) - loss * ramp(decay_s, 28)
        est7 = gain * ramp(decay_d, 7) - loss * ramp(decay_s, 7)
        lo = gain * d.ci_low_ratio * ramp(decay_d, 28) - loss * s.ci_high_ratio * ramp(decay_s, 28)
        hi = gain * d.ci_high_ratio * ramp(decay_d, 28) - loss * s.ci_low_ratio * ramp(decay_s, 28)
        share = amount / s.current if s.current > 0 else 0.0
        m_s = s.curve.marginal_roas(position[s_id]) if s.curve else 0.0
        m_d = d.curve.marginal_roas(position[d_id]) if d.curve else 0.0
        why = (f"Move ${amount:,.0f}/day ({share:.0%} of {s.memory.name}'s budget) to "
               f"{d.memory.name}: the next dollar returns ${m_d:.2f} of modelled incremental "
               f"revenue on {d.memory.name} vs ${m_s:.2f} on {s.memory.name}")
        if s_id in decaying:
            why += f"; {s.memory.name} {decaying[s_id]}"
        why += f". Expected +${est28:,.0f} over 28 days at the same total spend."
        actions.append(proposal(
            "shift_budget", "channel", str(s_id), s.memory.name, s.current,
            s.current - amount, Interval(est28, lo, hi), est7, why,
            "high" if s_id in decaying else "medium", extra=str(d_id),
            details={"from_channel_id": str(s_id), "from_channel": s.memory.name,
                     "to_channel_id": str(d_id), "to_channel": d.memory.name,
                     "amount_per_day": round(amount, 2),
                     "to_current": round(d.current, 2),
                     "to_recommended": round(d.current + amount, 2),
                     "marginal_roas_from": round(m_s, 3), "marginal_roas_to": round(m_d, 3)},
        ))
        position[s_id] -= amount
        position[d_id] += amount
        src_left[i] -= amount
        dst_left[j] -= amount
        if src_left[i] <= floor:
            i += 1
        if dst_left[j] <= floor:
            j += 1
    leftover = {c: -a for (c, _), a in zip(src, src_left, strict=True) if a > floor}
    leftover.update({c: a for (c, _), a in zip(dst, dst_left, strict=True) if a > floor})
    return actions, leftover


def budget_change(view: ChannelView, change: float, reason: str) -> ActionProposal:
    """increase_budget / decrease_budget of `change` dollars per day, impact net of spend."""
    assert view.curve is not None
    new = max(view.current + change, 0.0)
    rev = view.revenue(new) - view.revenue(view.current)
    r28, r7 = ramp(view.curve.decay, 28), ramp(view.curve.decay, 7)
    spend28 = (new - view.current) * 28
    est = rev * r28 - spend28
    bounds = sorted((rev * view.ci_low_ratio * r28 - spend28,
                     rev * view.ci_high_ratio * r28 - spend28))
    kind: ActionType = "increase_budget" if change > 0 else "decrease_budget"
    marginal = view.curve.marginal_roas(view.current)
    why = (f"{'Raise' if change > 0 else 'Cut'} {view.memory.name} from ${view.current:,.0f} to "
           f"${new:,.0f}/day: {reason} (marginal ROAS {marginal:.2f}). Expected "
           f"{'+' if est >= 0 else '-'}${abs(est):,.0f} over 28 days net of the spend change.")
    return proposal(
        kind, "channel", str(view.memory.channel_id), view.memory.name, view.current, new,
        Interval(est, bounds[0], bounds[1]), rev * r7 - (new - view.current) * 7, why,
        "medium" if kind == "decrease_budget" else "low",
        details={"marginal_roas": round(marginal, 3), "decay_factor": round(view.decay_factor, 3)},
    )


def creative_actions(
    data: BrainData, forecasts: list[CreativeForecast], views: dict[uuid.UUID, ChannelView],
) -> list[ActionProposal]:
    """refresh_creative / pause_creative for creatives ORACLE expects to tire."""
    m = data.metrics
    recent = (m.day >= data.days - 7) & (m.creative >= 0)
    spend = np.bincount(m.creative[recent], weights=m.spend[recent],
                        minlength=len(data.creatives)) / 7.0
    revenue = np.bincount(m.creative[recent], weights=m.revenue[recent],
                          minlength=len(data.creatives)) / 7.0
    channel_spend = np.bincount(m.channel[m.day >= data.days - 7],
                                weights=m.spend[m.day >= data.days - 7],
                                minlength=len(data.channels)) / 7.0
    live_in_campaign = np.bincount(
        [data.creatives[k].campaign for k in np.flatnonzero(spend > 0)],
        minlength=len(data.campaigns)) if data.campaigns else np.zeros(0)
    index = {c.id: k for k, c in enumerate(data.creatives)}
    out: list[ActionProposal] = []
    for f in forecasts:
        p7, p14 = f.fatigue_probability_7d, f.fatigue_probability_14d
        if p7 is None or p14 is None or f.predicted_drop is None or p7 < REFRESH_P7:
            continue
        k = index.get(f.creative_id)
        if k is None or spend[k] <= 0:
            continue
        info = data.creatives[k]
        channel = data.channels[info.channel] if 0 <= info.channel < len(data.channels) else None
        view = views.get(channel.id) if channel is not None else None
        basis = "modelled incremental revenue"
        if view is not None and view.curve is not None and channel_spend[info.channel] > 0:
            daily = view.revenue(view.current) * spend[k] / channel_spend[info.channel]
        elif view is not None and view.memory.incremental_roi is not None:
            daily = view.memory.incremental_roi.estimate * spend[k]
        else:
            daily = float(revenue[k])
            basis = "platform-reported revenue (biased upwards)"
        drop = f.predicted_drop
        daily = float(daily)
        est28, est7 = daily * drop.estimate * 21, daily * drop.estimate * 7 / 4
        lo, hi = daily * drop.ci_low * 21, daily * drop.ci_high * 21
        siblings = info.campaign < live_in_campaign.size and live_in_campaign[info.campaign] > 1
        kind: ActionType = "pause_creative" if p7 >= PAUSE_P7 and siblings else "refresh_creative"
        verb = ("Pause it and let the campaign's other creatives take its spend"
                if kind == "pause_creative" else "Prepare a replacement and rotate it in")
        when = (f" by {f.recommended_refresh_date.isoformat()}"
                if f.recommended_refresh_date else "")
        factors = "; ".join(f.risk_factors[:2])
        why = (f"{info.name} will likely fatigue: {p7:.0%} within 7 days, {p14:.0%} within 14"
               + (f" ({factors})" if factors else "")
               + f". {verb}{when}. It spends ${spend[k]:,.0f}/day and brings about "
               f"${daily:,.0f}/day of {basis}; the expected {drop.estimate:.0%} drop would cost "
               f"${est28:,.0f} over 28 days.")
        out.append(proposal(
            kind, "creative", str(f.creative_id), info.name, float(spend[k]),
            0.0 if kind == "pause_creative" else float(spend[k]),
            Interval(est28, lo, hi), est7, why, "high" if p7 >= PAUSE_P7 else "medium",
            confidence=p7,
            details={"fatigue_probability_7d": p7, "fatigue_probability_14d": p14,
                     "predicted_drop": drop.estimate, "daily_value": round(daily, 2),
                     "value_basis": basis,
                     "recommended_refresh_date": (f.recommended_refresh_date.isoformat()
                                                  if f.recommended_refresh_date else None)},
        ))
    return out


def retention_action(data: BrainData, drift: list[LtvDrift]) -> ActionProposal | None:
    drifting = [d for d in drift if d.severity in ("medium", "high")]
    if not drifting or data.orders is None or len(data.orders) == 0:
        return None
    # The latest cohort with a full 90-day history tells the clearest story.
    latest = ([d for d in drifting if d.horizon_days == 90] or drifting)[-1]
    o = data.orders
    first = o.customer_first_day
    recent = (first >= data.days - 28) & (first < data.days)
    new_customers = float(recent.sum()) * data.orders_scale
    gap = max(latest.baseline - latest.ltv, 0.0)
    at_stake = gap * new_customers
    if at_stake <= 0:
        return None
    est = at_stake * RETENTION_RECOVERY
    why = (f"Cohort {latest.month:%Y-%m} is worth ${latest.ltv:,.0f} per customer over "
           f"{latest.horizon_days} days vs ${latest.baseline:,.0f} before ({latest.drift:+.0%}). "
           f"With {new_customers:,.0f} new customers every 28 days that is ${at_stake:,.0f} of "
           f"{latest.horizon_days}-day value at stake; a retention push (onboarding, "
           f"subscription save offers) recovering {RETENTION_RECOVERY:.0%} of it is worth "
           f"${est:,.0f}.")
    return proposal(
        "focus_retention", "cohort", latest.month.isoformat(), f"cohort {latest.month:%Y-%m}",
        None, None, Interval(est, 0.0, at_stake * 2 * RETENTION_RECOVERY), est / 4, why,
        "high" if latest.severity == "high" else "medium",
        force_human=(f"the recovery share ({RETENTION_RECOVERY:.0%}) is an assumption, not a "
                     "measurement"),
        details={"ltv": latest.ltv, "baseline": latest.baseline, "drift": latest.drift,
                 "new_customers_per_28d": round(new_customers), "at_stake": round(at_stake, 2)},
    )
