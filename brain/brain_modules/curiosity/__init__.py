"""CURIOSITY: what to do tomorrow — ranked, priced actions with an uncertainty gate.

`run_curiosity(data, memory, oracle, feedback=..., total_budget=...)`:

1. Reallocates the daily budget across channels with MEMORY's response curves
   (`optimize_budget`, within +-30 % per channel), after scaling the curves of channels ORACLE
   sees decaying to their current return; the moves become `shift_budget` actions (and
   `increase_budget` / `decrease_budget` when `total_budget` differs from today's spend, or,
   without a total, when a channel's marginal ROAS is far above 1.5 / below 0.5).
2. Turns ORACLE's tiring creatives into `refresh_creative` / `pause_creative` and its cohort
   LTV drift into `focus_retention`.
3. Prices each over 7 and 28 days with an interval (`actions.py`), gates wide or possibly
   negative ones to a human, drops proposals the tenant rejected before (same fingerprint), and
   ranks by expected 28-day value x the tenant's learned acceptance rate for the action type.

Without response curves (no MMM yet) there are no budget actions, and the notes say why.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from brain.brain_modules.contracts import (
    BrainData,
    CuriosityResult,
    MemoryResult,
    OracleResult,
    ResponseCurve,
)
from brain.brain_modules.curiosity.actions import (
    DECREASE_MARGINAL_ROAS,
    INCREASE_MARGINAL_ROAS,
    STEP_CHANGE,
    ChannelView,
    budget_change,
    creative_actions,
    retention_action,
    shift_actions,
)
from brain.brain_modules.curiosity.feedback import FeedbackStats
from brain.brain_modules.curiosity.optimizer import allocation_revenue, optimize_budget

__all__ = [
    "MAX_CHANGE",
    "MODEL_VERSION",
    "FeedbackStats",
    "allocation_revenue",
    "optimize_budget",
    "run_curiosity",
]

MODEL_VERSION = "curiosity-1"
MAX_CHANGE = 0.3
DECAY_ADJUST = 0.375
MIN_DECAY_FACTOR = 0.3


def channel_views(
    memory: MemoryResult, oracle: OracleResult | None
) -> dict[uuid.UUID, ChannelView]:
    decay = {c.channel_id: c for c in (oracle.channels if oracle else [])}
    views: dict[uuid.UUID, ChannelView] = {}
    for cm in memory.channels:
        curve = cm.curve
        factor = 1.0
        d = decay.get(cm.channel_id)
        if curve is not None and d is not None and d.decay_severity in ("medium", "high"):
            factor = max(MIN_DECAY_FACTOR, 1.0 + DECAY_ADJUST * d.roas_trend)
            curve = ResponseCurve(curve.channel_id, curve.decay, curve.half_saturation,
                                  curve.shape, curve.beta * factor)
        lo_ratio, hi_ratio = 1.0, 1.0
        roi = cm.incremental_roi
        if roi is not None and roi.estimate > 0:
            lo_ratio = max(roi.ci_low, 0.0) / roi.estimate
            hi_ratio = max(roi.ci_high, roi.estimate) / roi.estimate
        views[cm.channel_id] = ChannelView(
            memory=cm, curve=curve, current=max(cm.current_daily_spend, 0.0),
            ci_low_ratio=lo_ratio, ci_high_ratio=hi_ratio, decay_factor=factor,
        )
    return views


def run_curiosity(
    data: BrainData,
    memory: MemoryResult,
    oracle: OracleResult,
    *,
    feedback: FeedbackStats | None = None,
    total_budget: float | None = None,
    now: datetime | None = None,
) -> CuriosityResult:
    """Ranked actions and the recommended daily budget per channel."""
    feedback = feedback or FeedbackStats()
    now = now or datetime.now(UTC)
    notes: list[str] = []
    views = channel_views(memory, oracle)
    current = {cid: v.current for cid, v in views.items()}
    total = float(total_budget) if total_budget is not None else sum(current.values())
    curves = [v.curve for v in views.values() if v.curve is not None]
    decaying = {
        d.channel_id: f"is decaying (ROAS {d.roas_trend:+.0%} per 28 days)"
        for d in oracle.channels if d.decay_severity in ("medium", "high")
    }
    allocation: dict[str, float] = {}
    candidates = []
    if not curves:
        reasons = sorted({cm.incremental_roi_reason for cm in memory.channels
                          if cm.incremental_roi_reason})
        notes.append("No response curves from MEMORY"
                     + (f" ({'; '.join(reasons)})" if reasons else "")
                     + ": budget actions are not proposed.")
    elif total <= 0:
        notes.append("No current spend and no total budget: nothing to allocate.")
    else:
        plan = optimize_budget(curves, current, total, max_change=MAX_CHANGE)
        allocation = {str(cid): round(v, 2) for cid, v in plan.items()}
        shifts, leftover = shift_actions(views, plan, total, decaying)
        candidates.extend(shifts)
        moved = {uuid.UUID(a.details["from_channel_id"]) for a in shifts}
        moved |= {uuid.UUID(a.details["to_channel_id"]) for a in shifts}
        for cid, change in leftover.items():
            reason = ("the total budget is higher than today's spend" if change > 0
                      else "the total budget is lower than today's spend")
            candidates.append(budget_change(views[cid], change, reason))
        if total_budget is None:
            for cid, view in views.items():
                if view.curve is None or view.current <= 0 or cid in moved:
                    continue
                marginal = view.curve.marginal_roas(plan.get(cid, view.current))
                if marginal >= INCREASE_MARGINAL_ROAS:
                    candidates.append(budget_change(
                        view, STEP_CHANGE * view.current,
                        f"each extra dollar still returns ${marginal:.2f}"))
                elif marginal < DECREASE_MARGINAL_ROAS:
                    candidates.append(budget_change(
                        view, -STEP_CHANGE * view.current,
                        f"each dollar at the margin returns only ${marginal:.2f}"))
        gain = allocation_revenue(curves, plan) - allocation_revenue(curves, current)
        notes.append(f"Budget plan: ${total:,.0f}/day reallocated for +${gain:,.0f}/day of "
                     "modelled incremental revenue at steady state.")
    candidates.extend(creative_actions(data, oracle.creatives, views))
    retention = retention_action(data, oracle.ltv_drift)
    if retention is not None:
        candidates.append(retention)
    withheld = [a for a in candidates if feedback.is_rejected(a.fingerprint, now)]
    if withheld:
        notes.append(f"{len(withheld)} proposals withheld: the same action was rejected before.")
    kept = [a for a in candidates if a.expected_value > 0
            and not feedback.is_rejected(a.fingerprint, now)]
    for a in kept:
        rate = feedback.acceptance_rate(a.type)
        a.details["acceptance_rate"] = round(rate, 3)
        a.details["score"] = round(a.expected_value * rate, 2)
    kept.sort(key=lambda a: (-a.expected_value * float(a.details["acceptance_rate"]),
                             a.fingerprint))
    return CuriosityResult(actions=kept, allocation=allocation, model_version=MODEL_VERSION,
                           notes=notes)
