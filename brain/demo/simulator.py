"""Deterministic simulation of a DTC brand's ads, true media response and customers.

Pure NumPy, no database: ``simulate(vertical, days=..., seed=..., today=...)`` returns the
account structure, creative-day metrics, customers and orders as columns, plus the ground
truth that produced them. The same (vertical, days, seed, today) always gives the same result.

How the world works (full scale for ad metrics, a sample for customers):

* Spend per channel follows a budget with growth, annual/weekly seasonality and noise; it is
  split over campaigns and, by quality weight, over the creatives live that day.
* Creatives fatigue: once cumulative frequency (impressions / effective audience) crosses a
  threshold (the *onset*), CTR and CVR are multiplied by
  ``floor + (1 - floor) * exp(-rate * (frequency - threshold))``; fatigued creatives are paused
  and new ones launched (a tired campaign pulls its next launch forward).
* Platform-reported revenue (``revenue``) follows each channel's reported-ROAS curve; it is
  attribution, not truth.
* True incremental revenue of channel c on day t is
  ``beta_c * effectiveness_c(t) * hill(adstock_c(t))`` with normalised geometric adstock
  ``a_t = decay * a_{t-1} + (1 - decay) * spend_t`` and ``hill(a) = a^s / (a^s + K^s)``.
  It arrives as first orders of newly acquired customers; organic customers and repeat orders
  of all customers form the baseline.
* Customers belong to latent segments with their own order values and gamma-renewal repeat
  process; recent cohorts' repeat rates drift (the LTV story).
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta

import numpy as np

from brain.demo.customers import simulate_customers
from brain.demo.media import (
    Calendar,
    account_id,
    deliver,
    inject_anomalies,
    lognormal_mean_one,
    media_response,
    metric_columns,
    name_creatives,
    perform,
    plan_creatives,
)
from brain.demo.records import (
    CustomerColumns,
    MetricColumns,
    OrderColumns,
    SimAdSet,
    SimCampaign,
    SimChannel,
    SimCreative,
    Simulation,
)
from brain.demo.truth import build_truth
from brain.demo.verticals import CampaignSpec, VerticalProfile, get_profile

__all__ = [
    "MIN_DAYS",
    "CustomerColumns",
    "MetricColumns",
    "OrderColumns",
    "SimAdSet",
    "SimCampaign",
    "SimChannel",
    "SimCreative",
    "Simulation",
    "simulate",
]

MIN_DAYS = 30
_RNG_STREAMS = ("accounts", "spend", "creatives", "delivery", "performance", "customers")


def simulate(
    vertical: str | VerticalProfile,
    *,
    days: int = 365,
    seed: int = 7,
    today: date,
) -> Simulation:
    """Simulate `days` days ending the day before `today` (deterministic in its arguments)."""
    profile = get_profile(vertical) if isinstance(vertical, str) else vertical
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS}")
    end = today - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    root = np.random.SeedSequence([seed, zlib.crc32(profile.key.encode())])
    rngs = {
        name: np.random.default_rng(child)
        for name, child in zip(_RNG_STREAMS, root.spawn(len(_RNG_STREAMS)), strict=True)
    }
    cal = Calendar.build(start, days, profile.burn_in_days)
    season_all = cal.season(profile)
    season = season_all[cal.burn_in :]
    weekday = cal.weekday[cal.burn_in :]

    # Account structure.
    acc = rngs["accounts"]
    channels: list[SimChannel] = []
    campaigns: list[SimCampaign] = []
    ad_sets: list[SimAdSet] = []
    campaign_specs: list[tuple[int, CampaignSpec]] = []
    for c, ch in enumerate(profile.channels):
        channels.append(SimChannel(ch.name, ch.platform, account_id(ch.platform, acc)))
        for spec in ch.campaigns:
            campaigns.append(SimCampaign(spec.name, c, spec.objective))
            campaign_specs.append((c, spec))
            ad_sets.extend(SimAdSet(name, len(campaigns) - 1) for name in spec.ad_sets)
    ad_sets_of = [
        [i for i, a in enumerate(ad_sets) if a.campaign == cp] for cp in range(len(campaigns))
    ]

    # Spend plan per channel and campaign.
    srng = rngs["spend"]
    t_rel = (np.arange(days) - (days - 1)) / 365.0
    channel_plan = np.zeros((len(channels), days))
    for c, ch in enumerate(profile.channels):
        growth = (1.0 + ch.annual_spend_growth) ** t_rel
        weekly = np.array(profile.weekly_spend)[weekday]
        channel_plan[c] = (
            ch.monthly_budget / 30.0 * growth * season * weekly
            * lognormal_mean_one(srng, 0.05, days)
        )
    campaign_spend = np.zeros((len(campaigns), days))
    for c in range(len(channels)):
        idx = [i for i, (ci, _) in enumerate(campaign_specs) if ci == c]
        walk = np.cumsum(srng.normal(0.0, 0.015, (len(idx), days)), axis=1)
        shares = np.array([campaign_specs[i][1].budget_share for i in idx])[:, None] * np.exp(walk)
        campaign_spend[idx] = channel_plan[c] * shares / shares.sum(axis=0)
    cpm_season = 1.0 + 0.5 * (season - 1.0)

    # Creatives and their delivery.
    crng = rngs["creatives"]
    plans = plan_creatives(profile, campaign_specs, days, crng)
    cpm = np.array(
        [campaign_specs[p.campaign][1].cpm * crng.lognormal(0.0, 0.1) for p in plans]
    )[:, None] * cpm_season[None, :] * lognormal_mean_one(
        rngs["delivery"], 0.06, (len(plans), days)
    )
    delivery = deliver(plans, [s for _, s in campaign_specs], campaign_spend, cpm, profile)
    story_position = (
        int(profile.story_creative.name.lstrip("C")) - 1 if profile.story_creative else 0
    )
    plans, delivery = name_creatives(plans, delivery, story_position)
    creatives = [
        SimCreative(
            name=p.name,
            campaign=p.campaign,
            ad_set=ad_sets_of[p.campaign][int(crng.integers(0, len(ad_sets_of[p.campaign])))],
            format=p.format,
            copy_length=p.copy_length,
            cta=p.cta,
            launched_on=start + timedelta(days=p.launch_day),
        )
        for p in plans
    ]
    channel_of = np.array([campaign_specs[p.campaign][0] for p in plans], dtype=np.int64)

    media = perform(profile, plans, delivery, channel_of, rngs["performance"], days)
    anomalies = inject_anomalies(profile, media, plans, channel_of, channels, start, days)
    media.spend = np.round(media.spend, 2)
    media.revenue = np.round(media.revenue, 2)
    for name in ("impressions", "clicks", "conversions", "video_views"):
        setattr(media, name, np.round(getattr(media, name)))
    metrics = metric_columns(media, plans, channel_of)

    # True media response (from the spend actually delivered, anomalies included).
    channel_spend = np.zeros((len(channels), days))
    for c in range(len(channels)):
        mask = metrics.channel == c
        channel_spend[c] = np.bincount(metrics.day[mask], weights=metrics.spend[mask],
                                       minlength=days)
    response = media_response(profile, channel_spend)

    # Customers and orders.
    customers, orders, cohort_meta = simulate_customers(
        profile, cal, season_all, response["incremental_revenue"], end, rngs["customers"]
    )

    sim = Simulation(
        vertical=profile.key,
        seed=seed,
        today=today,
        start=start,
        end=end,
        profile=profile,
        channels=channels,
        campaigns=campaigns,
        ad_sets=ad_sets,
        creatives=creatives,
        metrics=metrics,
        customers=customers,
        orders=orders,
        segment_keys=tuple(s.key for s in profile.segments),
        truth={},
    )
    sim.truth = build_truth(sim, plans, delivery, channel_spend, response, anomalies, cohort_meta)
    return sim
