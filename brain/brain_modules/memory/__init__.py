"""MEMORY: what happened with the spend, and what it really caused.

`run_memory(data, period_start=..., period_end=...)` reports the period's totals and the
per channel/campaign/creative numbers (`memory.metrics`), the cohorts' LTV (`memory.clv`) and
each channel's incremental ROI from the marketing-mix model (`memory.mmm`), fitted on all the
history up to the period end and summed over the period. Whatever cannot be computed is None
with the reason in `notes` or `incremental_roi_reason`, never a made-up number.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from brain.brain_modules.contracts import (
    BrainData,
    ChannelMemory,
    FloatArray,
    Interval,
    MemoryResult,
    ResponseCurve,
)
from brain.brain_modules.memory.clv import cohort_ltv
from brain.brain_modules.memory.metrics import (
    entity_rows,
    group_sums,
    kpis,
    leaderboard,
    ratio,
    status_of,
)
from brain.brain_modules.memory.mmm import MmmFit, MmmInput, fit_mmm, trend_degree_for

__all__ = ["MIN_MMM_DAYS", "MODEL_VERSION", "run_memory"]

MODEL_VERSION = "memory-mmm-1.0"
# Fewer days than this cannot separate 2 weekly/yearly seasonal terms, trend and channels.
MIN_MMM_DAYS = 56
# Customers a channel must have acquired before their first orders calibrate its ROI.
MIN_CALIBRATION_CUSTOMERS = 30
# Allowance for the gap between "acquired by" and "caused by" on top of sampling noise.
CALIBRATION_SYSTEMATIC_SD = 0.1
RECENT_DAYS = 28
# An interval wider than twice the estimate (a relative half-width over 100 %) is withheld:
# the number would be noise. Floor for tiny estimates, in $ per $1.
MIN_ROI_FOR_WIDTH = 0.05


def channel_spend_matrix(data: BrainData, last: int) -> FloatArray:
    """Spend per channel and day for days 0..last."""
    m = data.metrics
    out = np.zeros((len(data.channels), last + 1))
    ok = m.day <= last
    for c in range(len(data.channels)):
        mask = ok & (m.channel == c)
        out[c] = np.bincount(m.day[mask], weights=m.spend[mask], minlength=last + 1)[: last + 1]
    return out


def acquisition_prior(
    data: BrainData, spend: FloatArray, channels: list[int]
) -> tuple[FloatArray, FloatArray] | None:
    """Per channel of `channels` (rows of `spend`): first-order revenue of the customers it
    acquired per $ of spend, and its standard error (sampling + a systematic allowance);
    NaN where too few customers."""
    o = data.orders
    if o is None or len(o) == 0 or not bool((o.customer_channel >= 0).any()):
        return None
    last = spend.shape[1] - 1
    is_first = (o.day == o.customer_first_day[o.customer]) & (o.day >= 0) & (o.day <= last)
    channel = o.customer_channel[o.customer]
    prior = np.full(len(channels), np.nan)
    sd = np.full(len(channels), np.nan)
    for c, index in enumerate(channels):
        values = o.revenue[is_first & (channel == index)]
        total_spend = float(spend[c].sum())
        if values.size < MIN_CALIBRATION_CUSTOMERS or total_spend <= 0:
            continue
        prior[c] = float(values.sum()) * data.orders_scale / total_spend
        cv2 = float(values.var() / values.mean() ** 2) if values.mean() > 0 else 1.0
        sd[c] = prior[c] * math.sqrt(CALIBRATION_SYSTEMATIC_SD**2 + (1.0 + cv2) / values.size)
    if not np.isfinite(prior).any():
        return None
    return prior, sd


def _calendar(data: BrainData, days: int) -> tuple[FloatArray, Any]:
    dates = [data.start + timedelta(days=i) for i in range(days)]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=np.float64)
    weekday = np.array([d.weekday() for d in dates], dtype=np.int64)
    return doy, weekday


def _fit(data: BrainData, last: int, notes: list[str]) -> tuple[MmmFit | None, str | None,
                                                                 list[int], dict[str, Any]]:
    """The MMM on days 0..last, or why not; returns the fit, the reason and fitted channels."""
    days = last + 1
    info: dict[str, Any] = {"days": max(days, 0), "calibrated": False}
    if data.total_revenue is None or days <= 0 or not len(data.metrics):
        return None, "no revenue and spend data yet", [], info
    if days < MIN_MMM_DAYS:
        return None, (f"the marketing-mix model needs {MIN_MMM_DAYS} days of revenue and "
                      f"spend; there are {days}"), [], info
    y = np.asarray(data.total_revenue[:days], dtype=np.float64)
    if float(np.abs(y).sum()) <= 0:
        return None, "total revenue is zero over the history, there is nothing to attribute", \
            [], info
    spend = channel_spend_matrix(data, last)
    active = [c for c in range(len(data.channels)) if (spend[c] > 0).sum() >= 14]
    if not active:
        return None, "no channel has 14 days with spend", [], info
    prior = acquisition_prior(data, spend[active], active)
    doy, weekday = _calendar(data, days)
    inp = MmmInput(y=y, spend=spend[active], day_of_year=doy, weekday=weekday,
                   fourier_terms=2 if days >= 180 else 1,
                   trend_degree=trend_degree_for(days / 365.25))
    if prior is not None:
        inp.prior_roas, inp.prior_sd = prior
        info["calibrated"] = True
    try:
        fit = fit_mmm(inp)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return None, f"the marketing-mix model could not be fitted ({exc})", [], info
    info.update({"r2": round(fit.r2, 4), "sigma": round(fit.sigma, 2),
                 "channels_fitted": len(active)})
    if data.revenue_source == "platforms":
        notes.append("Total revenue is the ad platforms' own attributed revenue (biased "
                     "upwards): incremental ROI is not a causal estimate until orders or "
                     "analytics revenue are connected.")
    if prior is None:
        notes.append("No acquisition channel on customers: incremental ROI comes from the "
                      "total-revenue series alone and its intervals are wide.")
    return fit, None, active, info


def run_memory(data: BrainData, *, period_start: date, period_end: date) -> MemoryResult:
    """MEMORY's answer for [period_start, period_end] (clipped to the data)."""
    notes: list[str] = []
    first = max(0, (period_start - data.start).days)
    last = min(data.days - 1, (period_end - data.start).days)
    has_days = len(data.metrics) > 0 and last >= first
    if not has_days:
        notes.append("No ad metrics in the period.")
    spend_by_channel = group_sums(data, data.metrics.channel, len(data.channels), first, last)
    totals_raw = {f: float(getattr(spend_by_channel, f).sum())
                  for f in ("spend", "revenue", "impressions", "clicks", "conversions")}
    total_revenue = None
    if data.total_revenue is not None and last >= first:
        total_revenue = float(data.total_revenue[first : last + 1].sum())
    cohorts, factor = cohort_ltv(data, last_day=max(last, 0))
    if factor is None:
        notes.append("No cohort with 90 days of orders yet: LTV-adjusted figures are not "
                     "available.")
    blended = ratio(totals_raw["revenue"], totals_raw["spend"])
    totals: dict[str, float | None] = dict(totals_raw)
    totals.update(kpis(totals_raw))
    totals["blended_roas"] = blended
    totals["total_revenue"] = total_revenue
    totals["mer"] = ratio(total_revenue, totals_raw["spend"]) if total_revenue is not None \
        else None
    totals["ltv_factor"] = factor
    totals["ltv_revenue"] = totals_raw["revenue"] * factor if factor is not None else None
    totals["ltv_roas"] = blended * factor if blended is not None and factor is not None \
        else None

    fit, reason, active, info = _fit(data, last, notes) if has_days else (
        None, "no ad metrics in the period", [], {"days": 0, "calibrated": False})
    spend_matrix = channel_spend_matrix(data, max(last, 0))
    channels: list[ChannelMemory] = []
    for c, ch in enumerate(data.channels):
        values = spend_by_channel.row(c)
        roas = ratio(values["revenue"], values["spend"])
        recent = spend_matrix[c, max(0, last - RECENT_DAYS + 1) : last + 1]
        interval, curve, why = None, None, reason
        if fit is not None:
            if c in active and values["spend"] > 0:
                cf = fit.channels[active.index(c)]
                contribution = float(cf.contribution[first : last + 1].sum())
                estimate = contribution / values["spend"]
                scale = estimate / cf.roas if cf.roas > 0 else 1.0
                low, high = cf.ci_low * scale, cf.ci_high * scale
                if high - low > 2.0 * max(estimate, MIN_ROI_FOR_WIDTH):
                    why = (f"the data cannot separate this channel's effect (95 % interval "
                           f"{low:.2f} to {high:.2f} per $1); connect orders with their "
                           "acquisition channel or vary the spend")
                else:
                    interval = Interval(estimate, low, high)
                    curve = ResponseCurve(ch.id, cf.decay, cf.half_saturation, cf.shape,
                                          cf.beta)
                    why = None
            elif values["spend"] <= 0:
                why = "no spend in the period"
            else:
                why = "fewer than 14 days with spend in the history"
        elif values["spend"] <= 0 and reason is None:
            why = "no spend in the period"
        gap = roas / interval.estimate if roas is not None and interval is not None and \
            interval.estimate > 0 else None
        channels.append(ChannelMemory(
            channel_id=ch.id, name=ch.name, platform=ch.platform, spend=values["spend"],
            revenue=values["revenue"], roas=roas,
            ltv_roas=roas * factor if roas is not None and factor is not None else None,
            status=status_of(values["spend"], roas, blended), incremental_roi=interval,
            incremental_roi_reason=why, curve=curve,
            current_daily_spend=float(recent.mean()) if recent.size else 0.0,
            reported_over_modelled=gap, conversions=values["conversions"],
            clicks=values["clicks"], impressions=values["impressions"],
        ))
    if reason is not None:
        notes.append(f"Incremental ROI not estimated: {reason}.")
    if totals_raw["spend"] <= 0 and has_days:
        notes.append("No spend in the period: ROAS, MER and CPA are not defined.")
    creatives = entity_rows(data, "creative", first, last, blended, factor)
    return MemoryResult(
        period_start=max(period_start, data.start), period_end=min(period_end, data.end),
        totals=totals, channels=channels,
        campaigns=entity_rows(data, "campaign", first, last, blended, factor),
        creatives=creatives, cohorts=cohorts, ltv_factor=factor, model_version=MODEL_VERSION,
        notes=notes, leaderboard=leaderboard(creatives), revenue_source=data.revenue_source,
        mmm=info,
    )
