"""The budget optimizer: split a total daily budget over channels to maximise modelled
incremental revenue, each channel within +-`max_change` of its current budget.

Method: greedy marginal-return water-filling. Every channel starts at its lower bound and the
remaining budget is handed out in `STEPS` equal increments, each to the channel whose next
increment adds the most modelled revenue (`curve.revenue`; a heap keeps the channels ordered
by that gain), until the total is spent. For
concave response curves this converges to the optimum as the step shrinks (the KKT condition:
equal marginal ROAS across channels not at a bound); with S-shaped Hill curves the
finite step also looks past the small convex region near zero spend. It is a few
milliseconds for tens of channels, and deterministic.

Channels in `current` without a response curve keep their current budget (nothing is known
about what moving them would do). When the total cannot be met within the limits (e.g. a
much smaller total), the limits are widened proportionally and that is reported by
`feasible_total`.
"""

from __future__ import annotations

import heapq
import uuid

import numpy as np

from brain.brain_modules.contracts import ResponseCurve

STEPS = 400


def bounds(current: float, max_change: float, fallback: float) -> tuple[float, float]:
    """A channel's allowed daily budget range; a channel with no spend may start small."""
    if current > 0:
        return current * (1 - max_change), current * (1 + max_change)
    return 0.0, max_change * fallback


def optimize_budget(
    curves: list[ResponseCurve],
    current: dict[uuid.UUID, float],
    total: float,
    *,
    max_change: float = 0.3,
) -> dict[uuid.UUID, float]:
    """Recommended daily budget per channel (curves' channels and every channel in
    `current`), summing to `total` when it is reachable."""
    max_change = min(max(max_change, 0.0), 1.0)
    total = max(float(total), 0.0)
    by_id = {c.channel_id: c for c in curves}
    fixed = {cid: max(float(v), 0.0) for cid, v in current.items() if cid not in by_id}
    ids = list(by_id)
    budget = max(total - sum(fixed.values()), 0.0)
    if not ids:
        return dict(fixed)
    cur = np.array([max(float(current.get(cid, 0.0)), 0.0) for cid in ids])
    fallback = budget / len(ids)
    lo = np.empty(len(ids))
    hi = np.empty(len(ids))
    for i, value in enumerate(cur):
        lo[i], hi[i] = bounds(float(value), max_change, fallback)
    if budget < lo.sum():
        lo = lo * (budget / lo.sum()) if lo.sum() > 0 else lo
    if budget > hi.sum():
        extra = budget - hi.sum()
        room = np.maximum(hi, 1e-9)
        hi = hi + extra * room / room.sum()
    spend = [float(v) for v in lo]
    upper = [float(v) for v in hi]
    remaining = budget - sum(spend)
    if remaining > 1e-9:
        step = remaining / STEPS
        params = [(by_id[c].beta, max(by_id[c].half_saturation, 1e-9), by_id[c].shape)
                  for c in ids]

        def revenue(i: int, s: float) -> float:
            beta, half, shape = params[i]
            p = max(s, 0.0) ** shape
            return float(beta * p / (p + half**shape))

        def entry(i: int) -> tuple[float, int, float] | None:
            take = min(step, upper[i] - spend[i])
            if take <= 1e-9:
                return None
            gain = (revenue(i, spend[i] + take) - revenue(i, spend[i])) / take
            return (-gain, i, take)

        heap = [e for e in (entry(i) for i in range(len(ids))) if e is not None]
        heapq.heapify(heap)
        while heap and remaining > 1e-9:
            _, i, take = heapq.heappop(heap)
            take = min(take, remaining)
            spend[i] += take
            remaining -= take
            nxt = entry(i)
            if nxt is not None:
                heapq.heappush(heap, nxt)
    out = {cid: float(v) for cid, v in zip(ids, spend, strict=True)}
    out.update(fixed)
    return out


def allocation_revenue(curves: list[ResponseCurve], allocation: dict[uuid.UUID, float]) -> float:
    """Modelled incremental revenue per day of an allocation (steady state)."""
    return float(sum(float(c.revenue(allocation.get(c.channel_id, 0.0))) for c in curves))
