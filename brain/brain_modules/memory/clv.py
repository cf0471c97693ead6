"""Customer lifetime value per monthly acquisition cohort (30 and 90 days), with a prediction
of the 90-day value for cohorts too young to have it.

LTV at h days = mean over the cohort's customers of the revenue of their orders dated less than
h days after their first order; it is known once every customer of the cohort has h days of
history (the same definition as the simulator's ground truth, so they can be compared).

Prediction for a young cohort (chain ladder, per customer): each customer's revenue observed
so far, within w = min(90, age) days, is scaled by R(90) / R(w), the ratio of cumulative
revenue at 90 and at w days over the customers of the latest mature cohorts. Why per customer:
a cohort's customers have different ages (day 1 vs day 30 of the month), and the ratio for a
one-week-old customer is very different from a two-month-old one. Using only the latest
mature cohorts lets a drift in repeat behaviour show through.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from brain.brain_modules.contracts import BrainData, CohortLtv, FloatArray, OrderRows

HORIZON = 90
SHORT = 30
# Mature cohorts used as the reference for predictions and for the LTV factor.
REFERENCE_COHORTS = 3
MIN_COHORT_CUSTOMERS = 5


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _per_customer(o: OrderRows, elapsed: np.ndarray, limit: np.ndarray, n: int) -> FloatArray:
    """Revenue per customer of orders with elapsed < limit (limit given per customer)."""
    ok = (elapsed >= 0) & (elapsed < limit[o.customer])
    return np.bincount(o.customer[ok], weights=o.revenue[ok], minlength=n)[:n].astype(np.float64)


def cohort_ltv(
    data: BrainData, last_day: int | None = None
) -> tuple[list[CohortLtv], float | None]:
    """Cohorts from the orders (days up to `last_day`, default the data's end) and the LTV
    factor (90-day / 30-day LTV over the latest mature cohorts); empty without orders."""
    orders = data.orders
    if orders is None or len(orders) == 0:
        return [], None
    end = data.days - 1 if last_day is None else last_day
    keep = orders.day <= end
    o = OrderRows(orders.customer[keep], orders.day[keep], orders.revenue[keep],
                  orders.customer_first_day, orders.customer_channel)
    n = o.customer_first_day.size
    seen = np.zeros(n, dtype=bool)
    seen[o.customer] = True
    first = o.customer_first_day
    elapsed = o.day - first[o.customer]
    age = end - first + 1  # days of history per customer
    rev90 = _per_customer(o, elapsed, np.full(n, HORIZON), n)
    rev30 = _per_customer(o, elapsed, np.full(n, SHORT), n)
    observed = _per_customer(o, elapsed, np.clip(age, 0, HORIZON), n)
    observed30 = _per_customer(o, elapsed, np.clip(age, 0, SHORT), n)

    if not seen.any():
        return [], None
    cohorts: list[CohortLtv] = []
    month = _month_start(data.date_at(int(first[seen].min())))
    end_date = data.date_at(end)
    ordinal_first = data.start.toordinal() + first
    months: list[tuple[date, np.ndarray]] = []
    while month <= end_date:
        nxt = _next_month(month)
        members = seen & (ordinal_first >= month.toordinal()) & (ordinal_first < nxt.toordinal())
        if members.any():
            months.append((month, members))
        month = nxt

    def mature(members: np.ndarray, h: int) -> bool:
        return bool((age[members] >= h).all())

    mature_refs = [m for _, m in months if mature(m, HORIZON)
                   and int(m.sum()) >= MIN_COHORT_CUSTOMERS][-REFERENCE_COHORTS:]
    curve = None
    factor = None
    if mature_refs:
        ref = np.logical_or.reduce(mature_refs)
        in_ref = ref[o.customer] & (elapsed >= 0) & (elapsed < HORIZON)
        # R(w): cumulative revenue of the reference customers at w = 1..90 days.
        curve = np.cumsum(np.bincount(elapsed[in_ref], weights=o.revenue[in_ref],
                                      minlength=HORIZON)[:HORIZON])
        if curve[SHORT - 1] > 0:
            factor = float(curve[HORIZON - 1] / curve[SHORT - 1])
    for month_start, members in months:
        count = int(members.sum())
        ltv90 = float(rev90[members].sum()) / count if mature(members, HORIZON) else None
        # A cohort younger than 30 days shows the revenue seen so far.
        ltv30 = float((rev30 if mature(members, SHORT) else observed30)[members].sum()) / count
        predicted = ltv90
        if ltv90 is None and curve is not None and curve[-1] > 0:
            window = np.clip(age[members], 1, HORIZON)
            scale = curve[HORIZON - 1] / np.maximum(curve[window - 1], 1e-12)
            predicted = float((observed[members] * scale).sum()) / count
        cohorts.append(CohortLtv(month=month_start, customers=count, ltv30=ltv30, ltv90=ltv90,
                                 predicted_ltv90=predicted))
    return cohorts, factor
