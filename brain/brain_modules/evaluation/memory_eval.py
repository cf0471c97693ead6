"""MEMORY's scores on data whose truth is known.

* Channel incremental ROI: MAPE of each channel's modelled incremental ROAS over the whole
  simulated period against the simulator's `true_incremental_roas`, with the interval
  coverage; also for the MMM *without* the acquisition-channel calibration, to show what the
  total-revenue series alone can tell.
* CLV: the 90-day LTV predicted for cohorts that are still young 90 days before the end
  (data cut there), against their realised 90-day LTV in the simulator's truth; relative RMSE.
* The public weekly data set `mmm_roas_data.csv` (pymc-marketing): the pure MMM (no
  calibration exists there) against the true ROAS 93.388 and 171.409 from the data's README.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from brain.brain_modules.contracts import BrainData, MemoryResult
from brain.brain_modules.data import from_simulation
from brain.brain_modules.memory import run_memory
from brain.brain_modules.memory.clv import cohort_ltv
from brain.brain_modules.memory.mmm import MmmInput, fit_mmm, trend_degree_for
from brain.demo.records import Simulation

TARGETS = {"channel_roi_mape": 0.10, "clv_rmse": 0.15}
SPECIFIED = {"channel_roi_mape": 0.20, "clv_rmse": 0.25}
CLV_HOLDOUT_DAYS = 90
MMM_CSV_TRUE_ROAS = {"x1": 93.388, "x2": 171.409}  # ../shared/data/README.md, section 2


def _uncalibrated(data: BrainData) -> BrainData:
    """The same tenant as if its customers carried no acquisition channel."""
    if data.orders is None:
        return data
    orders = dataclasses.replace(
        data.orders, customer_channel=np.full_like(data.orders.customer_channel, -1)
    )
    return dataclasses.replace(data, orders=orders)


def _roi_errors(sim: Simulation, result: MemoryResult) -> list[dict[str, Any]]:
    rows = []
    for ch in result.channels:
        truth = float(sim.truth["channels"][ch.name]["true_incremental_roas"])
        roi = ch.incremental_roi
        rows.append({
            "channel": ch.name,
            "true_incremental_roas": truth,
            "estimate": None if roi is None else round(roi.estimate, 4),
            "ci_low": None if roi is None else round(roi.ci_low, 4),
            "ci_high": None if roi is None else round(roi.ci_high, 4),
            "ape": None if roi is None else abs(roi.estimate - truth) / truth,
            "covered": None if roi is None else roi.ci_low <= truth <= roi.ci_high,
            "reported_roas": None if ch.roas is None else round(ch.roas, 4),
            "reason": ch.incremental_roi_reason,
        })
    return rows


def clv_errors(sim: Simulation, data: BrainData) -> list[dict[str, Any]]:
    """Predicted 90-day LTV of cohorts young at the cut vs their realised value."""
    cut = data.days - 1 - CLV_HOLDOUT_DAYS
    if cut < 0:
        return []
    cohorts, _ = cohort_ltv(data, last_day=cut)
    truth = sim.truth["cohorts"]
    rows = []
    for c in cohorts:
        key = f"{c.month.year:04d}-{c.month.month:02d}"
        actual = truth.get(key, {}).get("ltv_90")
        if c.ltv90 is None and c.predicted_ltv90 is not None and actual:
            rows.append({"cohort": key, "customers": c.customers,
                         "predicted_ltv90": round(c.predicted_ltv90, 2),
                         "actual_ltv90": actual,
                         "relative_error": (c.predicted_ltv90 - actual) / actual})
    return rows


def evaluate_simulation(sim: Simulation) -> tuple[dict[str, Any], MemoryResult]:
    data = from_simulation(sim)
    started = time.perf_counter()
    result = run_memory(data, period_start=data.start, period_end=data.end)
    latency = time.perf_counter() - started
    pure = run_memory(_uncalibrated(data), period_start=data.start, period_end=data.end)
    return {
        "vertical": sim.vertical,
        "seed": sim.seed,
        "memory_seconds": round(latency, 3),
        "mmm_r2": result.mmm.get("r2"),
        "channels": _roi_errors(sim, result),
        "channels_uncalibrated": _roi_errors(sim, pure),
        "clv": clv_errors(sim, data),
    }, result


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarize(per_sim: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled metrics over a set of simulations."""
    ape = [c["ape"] for s in per_sim for c in s["channels"] if c["ape"] is not None]
    pure = [c for s in per_sim for c in s["channels_uncalibrated"]]
    ape_pure = [c["ape"] for c in pure if c["ape"] is not None]
    covered = [bool(c["covered"]) for s in per_sim for c in s["channels"]
               if c["covered"] is not None]
    clv = [r["relative_error"] for s in per_sim for r in s["clv"]]
    seconds = [s["memory_seconds"] for s in per_sim]
    return {
        "simulations": len(per_sim),
        "channel_roi_mape": _mean(ape),
        "channel_roi_max_ape": max(ape) if ape else None,
        "channel_roi_ci95_coverage": _mean([float(c) for c in covered]),
        "channel_roi_mape_uncalibrated": _mean(ape_pure),
        "channels_withheld_uncalibrated": len(pure) - len(ape_pure),
        "channels_withheld": sum(c["ape"] is None for s in per_sim for c in s["channels"]),
        "channels": sum(len(s["channels"]) for s in per_sim),
        "clv_rmse": math.sqrt(float(np.mean(np.square(clv)))) if clv else None,
        "clv_cohorts": len(clv),
        "memory_seconds_max": max(seconds) if seconds else None,
    }


def evaluate_mmm_csv(path: Path) -> dict[str, Any]:
    """The pure MMM on the pymc-marketing weekly data set (date, x1, x2, z -> y)."""
    if not path.is_file():
        return {"status": "not evaluated", "reason": f"{path} not found"}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def column(name: str) -> np.ndarray:
        return np.array([float(r[name]) for r in rows], dtype=np.float64)

    dates = [date.fromisoformat(r["date"]) for r in rows]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=np.float64)
    years = (dates[-1] - dates[0] + timedelta(days=7)).days / 365.25
    spend = np.vstack([column("x1"), column("x2")])
    started = time.perf_counter()
    fit = fit_mmm(MmmInput(y=column("y"), spend=spend, day_of_year=doy,
                           controls=column("z")[None, :], fourier_terms=2,
                           trend_degree=trend_degree_for(years)))
    seconds = time.perf_counter() - started
    channels = []
    for name, cf in zip(("x1", "x2"), fit.channels, strict=True):
        truth = MMM_CSV_TRUE_ROAS[name]
        channels.append({"channel": name, "true_roas": truth, "estimate": round(cf.roas, 3),
                         "ci_low": round(cf.ci_low, 3), "ci_high": round(cf.ci_high, 3),
                         "ape": abs(cf.roas - truth) / truth,
                         "covered": cf.ci_low <= truth <= cf.ci_high})
    mape = float(np.mean([c["ape"] for c in channels]))
    return {"status": "evaluated", "path": str(path), "weeks": len(rows), "r2": fit.r2,
            "seconds": round(seconds, 3), "channels": channels, "mape": mape,
            "target": TARGETS["channel_roi_mape"],
            "meets_target": mape <= TARGETS["channel_roi_mape"]}
