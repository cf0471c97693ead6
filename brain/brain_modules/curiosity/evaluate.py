"""CURIOSITY's evaluation: how much return its budget plan leaves on the table, and how fast
it decides.

Regret is measured with the simulator's TRUE response curves (truth JSON: Hill saturation
`half_saturation`, `shape`, `max_daily_revenue`, times the channel's effectiveness on the last
day; at steady state normalised adstock equals the daily spend). The true optimum is the best
allocation of the same total under the same per-channel limits (+-30 %), found by the same
water-filling on the true curves and polished with SciPy SLSQP. Two numbers:

* `regret` = (R(true optimum) - R(plan)) / R(true optimum), R = true incremental revenue/day
  (the usual definition; the target is <= 5 %);
* `uplift_regret` = the share of the achievable gain over today's allocation that the plan
  misses (stricter: 0 = all of the possible improvement captured; negative gain = worse than
  doing nothing).

Latency is the wall time of `run_curiosity` alone (MEMORY and ORACLE answers given), p50/p95
over repeated calls on every simulation.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import numpy as np
from scipy.optimize import minimize

from brain.brain_modules.contracts import MemoryResult, ResponseCurve
from brain.brain_modules.curiosity import MAX_CHANGE, run_curiosity
from brain.brain_modules.curiosity.optimizer import allocation_revenue, bounds, optimize_budget
from brain.brain_modules.data import from_simulation
from brain.brain_modules.oracle import default_fatigue_model, run_oracle
from brain.brain_modules.oracle.seeds import HELD_OUT_SEED
from brain.demo.records import Simulation

TARGETS = {"regret": 0.05, "latency_p95_ms": 50.0}
SPECIFIED = {"regret": 0.15, "latency_p95_ms": 300.0}
LATENCY_REPEATS = 15


def true_curves(sim: Simulation, channels: list[tuple[uuid.UUID, str]]) -> list[ResponseCurve]:
    """The simulator's response per channel (id, name) as of the last day."""
    out = []
    for channel_id, name in channels:
        truth = sim.truth["channels"][name]
        sat = truth["saturation"]
        effectiveness = float(sim.truth["daily"]["channels"][name]["effectiveness"][-1])
        out.append(ResponseCurve(
            channel_id=channel_id, decay=float(truth["adstock"]["decay"]),
            half_saturation=float(sat["half_saturation"]), shape=float(sat["shape"]),
            beta=float(sat["max_daily_revenue"]) * effectiveness,
        ))
    return out


def true_optimum(curves: list[ResponseCurve], current: dict[uuid.UUID, float],
                 total: float) -> dict[uuid.UUID, float]:
    start = optimize_budget(curves, current, total, max_change=MAX_CHANGE)
    ids = [c.channel_id for c in curves]
    fallback = total / max(len(ids), 1)
    limits = [bounds(current.get(i, 0.0), MAX_CHANGE, fallback) for i in ids]

    def negative(x: np.ndarray) -> float:
        return -float(sum(float(c.revenue(v)) for c, v in zip(curves, x, strict=True)))

    x0 = np.array([start[i] for i in ids])
    res = minimize(negative, x0, method="SLSQP", bounds=limits,
                   constraints=[{"type": "eq", "fun": lambda x: float(x.sum()) - x0.sum()}],
                   options={"maxiter": 200, "ftol": 1e-10})
    if res.success and -float(res.fun) > -negative(x0):
        return {i: float(v) for i, v in zip(ids, res.x, strict=True)}
    return start


def evaluate_curiosity(
    sims: list[Simulation], memory_results: list[MemoryResult] | None = None
) -> dict[str, Any]:
    """Regret vs the true optimal allocation and decision latency on `sims`."""
    from brain.brain_modules.memory import run_memory

    model = default_fatigue_model()
    per_sim: list[dict[str, Any]] = []
    latencies: list[float] = []
    for i, sim in enumerate(sims):
        data = from_simulation(sim)
        if memory_results is not None:
            memory = memory_results[i]
        else:
            memory = run_memory(data, period_start=data.end - timedelta(days=27),
                                period_end=data.end)
        oracle = run_oracle(data, memory, model=model)
        result = run_curiosity(data, memory, oracle)
        for _ in range(LATENCY_REPEATS):
            started = time.perf_counter()
            run_curiosity(data, memory, oracle)
            latencies.append((time.perf_counter() - started) * 1000)
        curves = true_curves(sim, [(c.channel_id, c.name) for c in memory.channels])
        current = {c.channel_id: c.current_daily_spend for c in memory.channels}
        total = sum(current.values())
        entry: dict[str, Any] = {"vertical": sim.vertical, "seed": sim.seed,
                                 "held_out": sim.seed == HELD_OUT_SEED}
        if not result.allocation or total <= 0:
            entry["regret"] = None
            entry["note"] = "; ".join(result.notes) or "no allocation"
            per_sim.append(entry)
            continue
        plan = {uuid.UUID(k): v for k, v in result.allocation.items()}
        best = true_optimum(curves, current, total)
        r_best = allocation_revenue(curves, best)
        r_plan = allocation_revenue(curves, plan)
        r_now = allocation_revenue(curves, current)
        possible = r_best - r_now
        entry.update({
            "true_revenue_per_day": {"current": round(r_now, 2), "plan": round(r_plan, 2),
                                     "optimum": round(r_best, 2)},
            "regret": round((r_best - r_plan) / r_best, 4) if r_best > 0 else None,
            "uplift_regret": round(1 - (r_plan - r_now) / possible, 4) if possible > 1e-6
            else None,
        })
        per_sim.append(entry)
    held = [e for e in per_sim if e["held_out"]] or per_sim
    regrets = [e["regret"] for e in held if e.get("regret") is not None]
    uplift = [e["uplift_regret"] for e in held if e.get("uplift_regret") is not None]
    lat = np.array(latencies) if latencies else np.zeros(1)
    metrics = {
        "regret": round(float(np.mean(regrets)), 4) if regrets else None,
        "regret_max": round(float(np.max(regrets)), 4) if regrets else None,
        "uplift_regret": round(float(np.mean(uplift)), 4) if uplift else None,
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 2),
        "latency_p95_ms": round(float(np.percentile(lat, 95)), 2),
        "latency_calls": len(latencies),
    }
    return {
        "module": "curiosity",
        "headline_on": "held_out_seed" if any(e["held_out"] for e in per_sim)
        else "all_given_simulations",
        "metrics": metrics,
        "targets": TARGETS,
        "specified": SPECIFIED,
        "meets_targets": {
            "regret": metrics["regret"] is not None and metrics["regret"] <= TARGETS["regret"],
            "latency_p95_ms": float(metrics["latency_p95_ms"] or 0.0)
            <= TARGETS["latency_p95_ms"],
        },
        "per_simulation": per_sim,
    }
