"""LTV drift: are recent cohorts worth less than the cohorts before them?

Cohorts with 90 days of history (at least `MIN_CUSTOMERS` customers) are compared on their
observed 90-day LTV: the latest `RECENT` against the median of up to `BASELINE` cohorts
before them. Cohorts younger than 90 days but with 30 days of history are compared on their
30-day LTV against the same baseline cohorts' 30-day LTV (an observed number, not a
prediction). Severity of a decline: >= 10 % high, >= 5 % medium, >= 2 % low; a rise is "none".
"""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

from brain.brain_modules.contracts import BrainData, CohortLtv, LtvDrift, MemoryResult, Severity
from brain.brain_modules.memory.clv import cohort_ltv

RECENT = 4
BASELINE = 6
MIN_CUSTOMERS = 20


def severity_of(drift: float) -> Severity:
    if drift <= -0.10:
        return "high"
    if drift <= -0.05:
        return "medium"
    if drift <= -0.02:
        return "low"
    return "none"


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def ltv_drift(data: BrainData, memory: MemoryResult | None) -> tuple[list[LtvDrift], list[str]]:
    cohorts: list[CohortLtv]
    if memory is not None and memory.cohorts:
        cohorts = list(memory.cohorts)
    else:
        cohorts = cohort_ltv(data)[0] if data.days > 0 else []
    cohorts = sorted((c for c in cohorts if c.customers >= MIN_CUSTOMERS), key=lambda c: c.month)
    mature = [c for c in cohorts if c.ltv90 is not None]
    if len(mature) < 2:
        return [], [
            f"ORACLE needs at least 2 cohorts with 90 days of history to measure LTV drift "
            f"(has {len(mature)})."
        ]
    if len(mature) > RECENT:
        recent, pool = mature[-RECENT:], mature[:-RECENT][-BASELINE:]
    else:
        recent, pool = mature[1:], mature[:1]
    base90 = median(float(c.ltv90 or 0.0) for c in pool)
    base30 = median(c.ltv30 for c in pool)
    out: list[LtvDrift] = []
    for c in recent:
        ltv = float(c.ltv90 or 0.0)
        drift = ltv / base90 - 1 if base90 > 0 else 0.0
        out.append(LtvDrift(c.month, round(ltv, 2), round(base90, 2), round(drift, 4),
                            severity_of(drift), horizon_days=90, source="ltv90"))
    young = [c for c in cohorts if c.ltv90 is None
             and _month_end(c.month) + timedelta(days=29) <= data.end]
    for c in young:
        drift = c.ltv30 / base30 - 1 if base30 > 0 else 0.0
        out.append(LtvDrift(c.month, round(c.ltv30, 2), round(base30, 2), round(drift, 4),
                            severity_of(drift), horizon_days=30, source="ltv30"))
    return out, []
