"""The ground truth of a simulation, as written to `{vertical}-ground-truth.json`."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from brain.demo.customers import CohortMeta, cohort_ltv
from brain.demo.media import FATIGUE_FLOOR, CreativePlan, Delivery
from brain.demo.records import (
    FloatArray,
    MetricColumns,
    Simulation,
    month_end,
    rounded,
    shift_month,
)


def linear_fit_endpoints(values: list[float]) -> tuple[float, float]:
    """A least-squares line through daily values, evaluated at the first and last day."""
    x = np.arange(len(values), dtype=np.float64)
    slope, intercept = np.polyfit(x, np.array(values, dtype=np.float64), 1)
    return float(intercept), float(intercept + slope * x[-1])


def _window_roas(metrics: MetricColumns, channel: int, first: int, last: int) -> float:
    mask = (metrics.channel == channel) & (metrics.day >= first) & (metrics.day <= last)
    spend = float(metrics.spend[mask].sum())
    return float(metrics.revenue[mask].sum()) / spend if spend else 0.0


def build_truth(
    sim: Simulation,
    plans: list[CreativePlan],
    delivery: Delivery,
    channel_spend: FloatArray,
    response: dict[str, Any],
    anomalies: list[dict[str, Any]],
    cohort_meta: CohortMeta,
) -> dict[str, Any]:
    profile, metrics, days = sim.profile, sim.metrics, sim.days
    cust, orders = sim.customers, sim.orders
    fraction = profile.customer_sample_fraction
    in_period = orders.day >= 0
    first_order = np.zeros(len(orders), dtype=bool)
    # The first occurrence of each customer in (day, customer) order is the first order.
    _, first_pos = np.unique(orders.customer, return_index=True)
    first_order[first_pos] = True

    channels: dict[str, Any] = {}
    last28 = max(0, days - 28)
    for c, (ch, spec) in enumerate(zip(sim.channels, profile.channels, strict=True)):
        resp = response["channels"][c]
        spend = channel_spend[c]
        incremental = response["incremental_revenue"][c]
        mask = metrics.channel == c
        reported = float(metrics.revenue[mask].sum())
        acquired = cust.channel == c
        acquired_in_period = acquired & (cust.first_day >= 0)
        first_rev = orders.revenue[first_order & in_period & (orders.channel == c)].sum()
        all_rev = orders.revenue[in_period & acquired_in_period[orders.customer]].sum()
        mean_recent = float(spend[last28:].mean())
        k, s = resp["half_saturation"], spec.hill_shape
        eff_end = float(resp["effectiveness"][-1])
        marginal = resp["beta"] * eff_end * s * k**s * mean_recent ** (s - 1) / (
            (mean_recent**s + k**s) ** 2
        )
        total_spend = float(spend.sum())
        channels[ch.name] = {
            "platform": ch.platform,
            "external_account_id": ch.external_account_id,
            "spend": rounded(total_spend, 2),
            "reported_revenue": rounded(reported, 2),
            "reported_roas": rounded(reported / total_spend),
            "reported_roas_last_28d": rounded(_window_roas(metrics, c, last28, days - 1)),
            "true_incremental_revenue": rounded(float(incremental.sum()), 2),
            "true_incremental_roas": rounded(float(incremental.sum()) / total_spend, 6),
            "realized_incremental_roas": rounded(float(first_rev) / fraction / total_spend),
            "incremental_roas_with_repeat_orders": rounded(float(all_rev) / fraction / total_spend),
            "reported_over_true": rounded(reported / float(incremental.sum())),
            "marginal_roas_last_28d": rounded(marginal),
            "new_customers_simulated": int(acquired_in_period.sum()),
            "adstock_decay": spec.adstock_decay,
            "adstock": {
                "type": "geometric_normalized",
                "decay": spec.adstock_decay,
                "initial": rounded(resp["adstock_initial"], 6),
            },
            "saturation": {
                "type": "hill",
                "half_saturation": rounded(k, 6),
                "shape": s,
                "max_daily_revenue": rounded(resp["beta"], 6),
            },
            "effectiveness_anchors": [list(a) for a in spec.effectiveness],
            "reported_roas_anchors": [list(a) for a in spec.reported_roas],
        }

    creatives: dict[str, Any] = {}
    for k, (creative, plan) in enumerate(zip(sim.creatives, plans, strict=True)):
        onset = int(delivery.onset_day[k])
        paused = int(delivery.paused_day[k])
        campaign = sim.campaigns[creative.campaign]
        live_days = int((metrics.creative == k).sum())
        last_live = paused - 1 if paused > 0 else sim.days - 1
        daily_decay = 0.0
        if 0 <= onset < last_live:
            daily_decay = -math.log(float(delivery.multiplier[k, last_live])) / (last_live - onset)
        creatives[creative.name] = {
            "channel": sim.channels[campaign.channel].name,
            "campaign": campaign.name,
            "ad_set": sim.ad_sets[creative.ad_set].name,
            "format": creative.format,
            "launched_on": creative.launched_on.isoformat(),
            "paused_on": sim.date_at(paused).isoformat() if paused >= 0 else None,
            "live_days_in_period": live_days,
            "base_ctr": rounded(plan.ctr, 6),
            "audience_size": round(plan.audience),
            "fatigue_onset": sim.date_at(onset).isoformat() if onset >= 0 else None,
            "fatigue_threshold_frequency": (
                None if math.isinf(delivery.threshold[k]) else rounded(delivery.threshold[k])
            ),
            "decay_rate_per_frequency": rounded(delivery.rate[k], 6),
            "decay_rate_per_day": rounded(daily_decay, 6),
            "fatigue_multiplier_last_live_day": rounded(delivery.multiplier[k, last_live]),
            "story": plan.is_story,
        }

    first_month = sim.start - timedelta(days=profile.burn_in_days)
    if first_month.day != 1:
        first_month = month_end(first_month.year, first_month.month) + timedelta(days=1)
    cohorts = cohort_ltv(cust.first_day, orders.customer, orders.day, orders.revenue,
                         sim.start, sim.end, first_month)
    for key, entry in cohorts.items():
        entry["repeat_rate_multiplier"] = cohort_meta.drift.get(key, 1.0)
        entry["calibration_factor"] = rounded(cohort_meta.calibration.get(key, 1.0), 6)

    segments: dict[str, Any] = {}
    for g, seg in enumerate(profile.segments):
        members = np.flatnonzero(cust.segment == g)
        segments[seg.key] = {
            "label": seg.label,
            "description": seg.description,
            "count": int(members.size),
            "share": rounded(members.size / max(len(cust), 1)),
            "first_order_value": rounded(seg.first_order_value, 2),
            "repeat_order_value": rounded(seg.repeat_order_value, 2),
            "mean_days_between_orders": seg.mean_days_between_orders,
            "gap_shape": seg.gap_shape,
            "continue_probability": seg.continue_probability,
            "sample_external_ids": [sim.customer_external_id(int(i)) for i in members[:5]],
        }

    period_orders = float(orders.revenue[in_period].sum())
    baseline = np.bincount(orders.day[in_period], weights=orders.revenue[in_period],
                           minlength=days)
    acquired_paid = first_order & in_period & (orders.channel >= 0)
    paid_daily = np.bincount(orders.day[acquired_paid], weights=orders.revenue[acquired_paid],
                             minlength=days)
    total_spend = float(channel_spend.sum())
    daily: dict[str, Any] = {
        "dates": [sim.date_at(t).isoformat() for t in range(days)],
        "total_revenue_realized": [rounded(v / fraction, 2) for v in baseline.tolist()],
        "baseline_revenue_realized": [
            rounded((b - p) / fraction, 2) for b, p in zip(baseline.tolist(), paid_daily.tolist(),
                                                      strict=True)
        ],
        "channels": {
            ch.name: {
                "spend": [rounded(v, 2) for v in channel_spend[c].tolist()],
                "adstock": [rounded(v, 2) for v in response["channels"][c]["adstock"].tolist()],
                "effectiveness": [
                    rounded(v, 6) for v in response["channels"][c]["effectiveness"].tolist()
                ],
                "incremental_revenue": [
                    rounded(v, 2) for v in response["incremental_revenue"][c].tolist()
                ],
            }
            for c, ch in enumerate(sim.channels)
        },
    }
    return {
        "vertical": sim.vertical,
        "organization_name": profile.organization_name,
        "description": profile.description,
        "seed": sim.seed,
        "generated_for": sim.today.isoformat(),
        "period": {"start": sim.start.isoformat(), "end": sim.end.isoformat(), "days": days},
        "orders_period": {
            "start": sim.date_at(int(orders.day.min()) if len(orders) else 0).isoformat(),
            "end": sim.end.isoformat(),
        },
        "scale": {
            "ad_metrics": 1.0,
            "customer_sample_fraction": fraction,
            "real_customers_per_simulated_customer": rounded(1.0 / fraction, 2),
            "note": (
                "Ad metrics are full scale. Customers and orders are a random sample: each "
                "simulated customer stands for 1/customer_sample_fraction real ones, so order "
                "revenue must be divided by customer_sample_fraction before comparing it with "
                "spend (MER, incremental revenue)."
            ),
        },
        "definitions": {
            "true_incremental_roas": (
                "sum over the period of the channel's true incremental revenue divided by the "
                "sum of its spend; incremental revenue = max_daily_revenue * effectiveness(t) "
                "* hill(adstock(t)); carry-over after the period end is not counted"
            ),
            "adstock": "a_t = decay * a_{t-1} + (1 - decay) * spend_t, a_{-1} = initial",
            "hill": "a^shape / (a^shape + half_saturation^shape)",
            "realized_incremental_roas": (
                "first-order revenue of the customers the channel acquired in the period "
                "(sample revenue / customer_sample_fraction) divided by spend"
            ),
            "incremental_roas_with_repeat_orders": (
                "all in-period revenue of those customers, repeat orders included"
            ),
            "reported_roas": "platform-attributed revenue (the revenue column) / spend",
            "fatigue": (
                f"CTR and CVR multiplied by {FATIGUE_FLOOR} + {1 - FATIGUE_FLOOR} * "
                "exp(-decay_rate_per_frequency * (cumulative frequency - "
                "fatigue_threshold_frequency)) from fatigue_onset on; cumulative frequency = "
                "impressions since launch / audience_size"
            ),
            "frequency_column": (
                "x / (1 - exp(-x)) with x = impressions of the trailing 7 days / audience_size"
            ),
            "ltv_h": (
                "mean revenue per cohort customer of orders dated less than h days after the "
                "first order; null until every customer of the cohort has h days of history"
            ),
            "decay_rate_per_day": (
                "average daily log-decline of the fatigue multiplier from fatigue_onset to the "
                "creative's last live day"
            ),
            "story_windows": (
                "last 28 days = [end-27, end]; 4 weeks ago = [end-27, end-21]; last 7 days = "
                "[end-6, end]; the story creative's CVR start/end come from a least-squares "
                "line through its daily conversions/clicks over its fatigue window"
            ),
            "next_order_in_days": (
                "segments file: days after the period end until the customer's next order, "
                "-1 if the customer has churned (no further orders)"
            ),
        },
        "totals": {
            "spend": rounded(total_spend, 2),
            "reported_revenue": rounded(float(metrics.revenue.sum()), 2),
            "true_incremental_revenue": rounded(float(response["incremental_revenue"].sum()), 2),
            "order_revenue_sample": rounded(period_orders, 2),
            "order_revenue_full_scale": rounded(period_orders / fraction, 2),
            "annualized_revenue_full_scale": rounded(period_orders / fraction * 365.0 / days, 2),
            "mer": rounded(period_orders / fraction / total_spend),
            "customers": len(cust),
            "orders": len(orders),
            "metric_rows": len(metrics),
        },
        "channels": channels,
        "creatives": creatives,
        "anomalies": anomalies,
        "cohorts": cohorts,
        "segments": segments,
        "story": _story(sim, cohorts, cohort_meta),
        "daily": daily,
    }


def _story(
    sim: Simulation, cohorts: dict[str, dict[str, Any]], cohort_meta: CohortMeta
) -> dict[str, Any]:
    """The headline numbers, measured on the generated data exactly as the tests do."""
    metrics, days, profile = sim.metrics, sim.days, sim.profile
    names = [c.name for c in sim.channels]
    last28 = max(0, days - 28)
    story: dict[str, Any] = {
        "hero_channel": profile.hero_channel,
        "reported_roas_last_28d": {
            name: rounded(_window_roas(metrics, c, last28, days - 1), 3)
            for c, name in enumerate(names)
        },
        "reported_roas_4_weeks_ago": {
            name: rounded(_window_roas(metrics, c, days - 28, days - 22), 3)
            for c, name in enumerate(names)
        },
        "reported_roas_last_7d": {
            name: rounded(_window_roas(metrics, c, days - 7, days - 1), 3)
            for c, name in enumerate(names)
        },
    }
    spec = profile.story_creative
    if spec is not None:
        k = next(i for i, c in enumerate(sim.creatives) if c.name == spec.name)
        first = days - spec.window_days
        daily_cvr = []
        for t in range(first, days):
            mask = (metrics.creative == k) & (metrics.day == t)
            clicks = float(metrics.clicks[mask].sum())
            conversions = float(metrics.conversions[mask].sum())
            daily_cvr.append(rounded(conversions / clicks if clicks else 0.0, 5))
        fitted_start, fitted_end = linear_fit_endpoints(daily_cvr)
        prior = (metrics.creative == k) & (metrics.day >= first - 7) & (metrics.day < first)
        prior_clicks = float(metrics.clicks[prior].sum())
        prior_cvr = float(metrics.conversions[prior].sum()) / prior_clicks if prior_clicks else 0.0
        story["story_creative"] = {
            "name": spec.name,
            "channel": names[sim.campaigns[sim.creatives[k].campaign].channel],
            "window_start": sim.date_at(first).isoformat(),
            "cvr_7d_before_window": rounded(prior_cvr, 5),
            "cvr_start_fitted": rounded(fitted_start, 5),
            "cvr_end_fitted": rounded(fitted_end, 5),
            "cvr_first_3d": rounded(sum(daily_cvr[:3]) / 3, 5),
            "cvr_last_3d": rounded(sum(daily_cvr[-3:]) / 3, 5),
            "daily_cvr": daily_cvr,
        }
    year, month = cohort_meta.last_complete
    recent = []
    for i in range(len(profile.cohort_repeat_drift) - 1, -1, -1):
        y, m = shift_month(year, month, -i)
        key = f"{y:04d}-{m:02d}"
        if key in cohorts:
            recent.append({"cohort": key, "ltv_90": cohorts[key]["ltv_90"]})
    story["ltv_90_recent_cohorts"] = recent
    return story
