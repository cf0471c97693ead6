"""Ad delivery: spend plans, creatives and their fatigue, platform metrics, incidents, and the
true media response (adstock and saturation)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from brain.demo.records import FloatArray, IntArray, MetricColumns, SimChannel
from brain.demo.verticals import Anchors, AnomalySpec, CampaignSpec, VerticalProfile

CTAS = ("Shop Now", "Learn More", "Subscribe", "Get Offer", "Order Now", "Sign Up")
# Fatigue never takes a creative below this share of its fresh CTR/CVR.
FATIGUE_FLOOR = 0.3
# A tired campaign pulls its next planned launch forward if it is at most this far away.
REFRESH_LOOKAHEAD_DAYS = 45


def fatigue_multiplier(over: FloatArray, rate: FloatArray | float) -> FloatArray:
    """CTR/CVR multiplier at `over` units of cumulative frequency past the onset threshold."""
    decay = np.exp(-np.asarray(rate) * np.maximum(over, 0.0))
    return np.asarray(
        np.where(over > 0, FATIGUE_FLOOR + (1.0 - FATIGUE_FLOOR) * decay, 1.0), dtype=np.float64
    )


def anchor_curve(anchors: Anchors, days: int) -> FloatArray:
    """Piecewise-linear curve over the period from (days-before-end, value) anchors."""
    points = sorted(anchors, key=lambda p: -p[0])
    before_end = np.arange(days - 1, -1, -1, dtype=np.float64)
    xs = np.array([-p[0] for p in points], dtype=np.float64)
    ys = np.array([p[1] for p in points], dtype=np.float64)
    return np.asarray(np.interp(-before_end, xs, ys), dtype=np.float64)


def geometric_adstock(spend: FloatArray, decay: float, initial: float) -> FloatArray:
    """Normalised geometric adstock: a_t = decay * a_{t-1} + (1 - decay) * spend_t."""
    out = np.empty_like(spend)
    level = initial
    for t, x in enumerate(spend.tolist()):
        level = decay * level + (1.0 - decay) * x
        out[t] = level
    return out


def hill(adstock: FloatArray, half_saturation: float, shape: float) -> FloatArray:
    powered = np.power(np.maximum(adstock, 0.0), shape)
    return np.asarray(powered / (powered + half_saturation**shape), dtype=np.float64)


def lognormal_mean_one(rng: np.random.Generator, sigma: float, size: Any) -> FloatArray:
    return np.asarray(rng.lognormal(-0.5 * sigma * sigma, sigma, size), dtype=np.float64)


def weekly_normalized_noise(rng: np.random.Generator, sigma: float, days: int) -> FloatArray:
    """Daily log-normal noise whose mean is exactly 1 in every week counted back from the end."""
    noise = lognormal_mean_one(rng, sigma, days)
    for stop in range(days, 0, -7):
        block = slice(max(0, stop - 7), stop)
        noise[block] = noise[block] / noise[block].mean()
    return noise


@dataclass(frozen=True)
class Calendar:
    start: date
    days: int
    burn_in: int
    day_of_year: IntArray  # index t + burn_in for t in [-burn_in, days)
    weekday: IntArray

    @classmethod
    def build(cls, start: date, days: int, burn_in: int) -> Calendar:
        first = start - timedelta(days=burn_in)
        dates = [first + timedelta(days=i) for i in range(days + burn_in)]
        return cls(
            start=start,
            days=days,
            burn_in=burn_in,
            day_of_year=np.array([d.timetuple().tm_yday for d in dates], dtype=np.int64),
            weekday=np.array([d.weekday() for d in dates], dtype=np.int64),
        )

    def season(self, profile: VerticalProfile) -> FloatArray:
        """Annual demand multiplier for every day from the burn-in start to the end."""
        doy = self.day_of_year.astype(np.float64)
        annual = profile.annual_amplitude * np.cos(
            2 * math.pi * (doy - profile.annual_peak_day_of_year) / 365.25
        )
        bfcm = profile.bfcm_lift * np.exp(-0.5 * ((doy - 331.0) / 5.0) ** 2)
        spring = profile.spring_lift * np.exp(-0.5 * ((doy - 128.0) / 6.0) ** 2)
        return np.asarray(1.0 + annual + bfcm + spring, dtype=np.float64)


@dataclass
class CreativePlan:
    campaign: int
    launch_day: int
    format: str
    copy_length: int
    cta: str
    quality: float
    ctr: float
    cvr: float
    audience: float
    threshold_days: float
    fade_days: float
    pause_at: float
    never_fatigues: bool
    view_rate: float
    is_story: bool = False
    name: str = ""


def plan_creatives(
    profile: VerticalProfile,
    campaigns: list[tuple[int, CampaignSpec]],
    days: int,
    rng: np.random.Generator,
) -> list[CreativePlan]:
    plans: list[CreativePlan] = []
    for cp_index, (_, spec) in enumerate(campaigns):
        launches = [-int(rng.integers(5, 151)) for _ in range(spec.initial_creatives)]
        in_period = int(days // spec.launch_every_days)
        launches += [
            int((i + rng.uniform(0.15, 0.85)) * days / in_period) for i in range(in_period)
        ]
        formats = [f for f, _ in spec.formats]
        probabilities = np.array([p for _, p in spec.formats]) / sum(p for _, p in spec.formats)
        for launch in launches:
            fmt = formats[int(rng.choice(len(formats), p=probabilities))]
            lo, hi = {"text": (60, 300), "video": (20, 150)}.get(fmt, (40, 220))
            fatigue_days = float(rng.uniform(*spec.days_to_fatigue))
            if launch < 0:
                fatigue_days = max(fatigue_days, -launch + float(rng.uniform(5, 60)))
            plans.append(
                CreativePlan(
                    campaign=cp_index,
                    launch_day=launch,
                    format=fmt,
                    copy_length=int(rng.integers(lo, hi + 1)),
                    cta=CTAS[int(rng.integers(0, len(CTAS)))],
                    quality=float(rng.lognormal(0.0, 0.35)),
                    ctr=spec.ctr * float(rng.lognormal(0.0, 0.2)),
                    cvr=spec.cvr * float(rng.lognormal(0.0, 0.2)),
                    audience=spec.audience_size * float(rng.uniform(0.6, 1.4)),
                    threshold_days=fatigue_days,
                    fade_days=float(rng.uniform(*spec.days_to_fade)),
                    pause_at=float(rng.uniform(0.45, 0.65)),
                    never_fatigues=bool(rng.random() < spec.never_fatigue_probability),
                    view_rate=float(rng.uniform(0.18, 0.42)),
                )
            )
    plans.sort(key=lambda p: (p.launch_day, p.campaign))
    story = profile.story_creative
    if story is not None:
        cp_index = next(i for i, (_, s) in enumerate(campaigns) if s.name == story.campaign)
        position = int(story.name.lstrip("C")) - 1
        latest_launch = days - story.window_days - 21
        launch = plans[position].launch_day if position < len(plans) else latest_launch
        plans.insert(
            min(position, len(plans)),
            CreativePlan(
                campaign=cp_index,
                launch_day=min(launch, latest_launch),
                format=story.format,
                copy_length=int(rng.integers(40, 160)),
                cta="Shop Now",
                quality=story.quality,
                ctr=story.ctr,
                cvr=story.cvr_start,
                audience=story.audience_size,
                threshold_days=math.inf,
                fade_days=1.0,
                pause_at=0.0,
                never_fatigues=True,
                view_rate=0.35,
                is_story=True,
            ),
        )
    return plans


def name_creatives(
    plans: list[CreativePlan], delivery: Delivery, story_position: int
) -> tuple[list[CreativePlan], Delivery]:
    """Name creatives C1, C2, ... by final launch day (the story creative keeps its slot)."""
    launch = delivery.launch_day
    others = sorted(
        (k for k, p in enumerate(plans) if not p.is_story),
        key=lambda k: (int(launch[k]), plans[k].campaign, k),
    )
    story = [k for k, p in enumerate(plans) if p.is_story]
    if story:
        others.insert(min(story_position, len(others)), story[0])
    perm = np.array(others, dtype=np.int64)
    ordered = [plans[k] for k in others]
    for number, plan in enumerate(ordered, start=1):
        plan.name = f"C{number}"
        plan.launch_day = int(launch[perm[number - 1]])
    reordered = Delivery(**{
        name: getattr(delivery, name)[perm] for name in Delivery.__dataclass_fields__
    })
    return ordered, reordered


@dataclass
class Delivery:
    spend: FloatArray  # creatives x days
    impressions: FloatArray
    multiplier: FloatArray  # fatigue multiplier on CTR and CVR
    cumulative_frequency: FloatArray  # before the day's impressions
    threshold: FloatArray  # cumulative frequency at onset (inf: never)
    rate: FloatArray  # decay per unit of cumulative frequency
    onset_day: IntArray  # -1: no onset within the period
    paused_day: IntArray  # -1: still live at the end (or never launched)
    launch_day: IntArray  # planned launches can move earlier to refresh a tired campaign


def deliver(
    plans: list[CreativePlan],
    campaign_specs: list[CampaignSpec],
    campaign_spend: FloatArray,
    cpm: FloatArray,
    profile: VerticalProfile,
) -> Delivery:
    k_count, days = len(plans), campaign_spend.shape[1]
    launch = np.array([p.launch_day for p in plans], dtype=np.int64)
    quality = np.array([p.quality for p in plans])
    audience = np.array([p.audience for p in plans])
    campaign_of = np.array([p.campaign for p in plans], dtype=np.int64)
    pause_at = np.array([p.pause_at for p in plans])
    story = next((i for i, p in enumerate(plans) if p.is_story), -1)

    # Fatigue parameters from each creative's expected daily exposure.
    expected_live = np.array([(s.max_live + 1) / 2 for s in campaign_specs])
    mean_cpm = cpm.mean(axis=1)
    daily_imps = (
        campaign_spend.mean(axis=1)[campaign_of] / expected_live[campaign_of] / mean_cpm * 1000
    )
    daily_freq = daily_imps / audience
    threshold = np.array(
        [math.inf if p.never_fatigues else p.threshold_days for p in plans]
    ) * daily_freq
    rate = -np.log(np.maximum(pause_at - FATIGUE_FLOOR, 1e-3) / (1.0 - FATIGUE_FLOOR)) / (
        daily_freq * np.array([p.fade_days for p in plans])
    )
    cumulative = np.where(launch < 0, -launch * daily_imps, 0.0)

    spend = np.zeros((k_count, days))
    impressions = np.zeros((k_count, days))
    multiplier = np.ones((k_count, days))
    cumfreq = np.zeros((k_count, days))
    onset = np.full(k_count, -1, dtype=np.int64)
    paused = np.full(k_count, -1, dtype=np.int64)
    members = [np.flatnonzero(campaign_of == c).tolist() for c in range(len(campaign_specs))]

    for t in range(days):
        freq_now = cumulative / audience
        over = freq_now - threshold
        mult_now = fatigue_multiplier(over, rate)
        crossed = (onset < 0) & (over >= 0) & (launch <= t)
        onset[crossed] = t
        cumfreq[:, t] = freq_now
        multiplier[:, t] = mult_now
        for c, member_list in enumerate(members):
            live = [k for k in member_list if launch[k] <= t and paused[k] < 0]
            for k in list(live):
                if k != story and mult_now[k] < pause_at[k] and len(live) > 1:
                    paused[k] = t
                    live.remove(k)
            while len(live) > campaign_specs[c].max_live:
                older = [k for k in live if k != story and launch[k] < t]
                victim = min(older or live, key=lambda k: (mult_now[k], launch[k]))
                paused[victim] = t
                live.remove(victim)
            if not live:
                continue
            if all(k != story and mult_now[k] < pause_at[k] for k in live):
                upcoming = [
                    k for k in member_list if t + 1 < launch[k] <= t + REFRESH_LOOKAHEAD_DAYS
                ]
                if upcoming:
                    launch[min(upcoming, key=lambda k: launch[k])] = t + 1
            idx = np.array(live, dtype=np.int64)
            ramp = np.minimum(1.0, (t - launch[idx] + 1) / 4.0)
            weights = quality[idx] * ramp
            spend[idx, t] = campaign_spend[c, t] * weights / weights.sum()
        impressions[:, t] = spend[:, t] / cpm[:, t] * 1000.0
        cumulative = cumulative + impressions[:, t]

    if story >= 0 and profile.story_creative is not None:
        spec = profile.story_creative
        start_day = days - spec.window_days
        threshold[story] = cumfreq[story, start_day]
        span = cumfreq[story, days - 1] - threshold[story]
        remaining = (spec.cvr_end / spec.cvr_start - FATIGUE_FLOOR) / (1.0 - FATIGUE_FLOOR)
        rate[story] = -math.log(remaining) / max(span, 1e-9)
        multiplier[story] = fatigue_multiplier(cumfreq[story] - threshold[story], rate[story])
        onset[story] = start_day
    rate = np.where(np.isinf(threshold), 0.0, rate)
    return Delivery(
        spend, impressions, multiplier, cumfreq, threshold, rate, onset, paused, launch
    )


@dataclass
class Media:
    """Creative-day matrices after performance and anomalies (creatives x days)."""

    spend: FloatArray
    impressions: FloatArray
    clicks: FloatArray
    conversions: FloatArray
    revenue: FloatArray
    video_views: FloatArray
    frequency: FloatArray


def account_id(platform: str, rng: np.random.Generator) -> str:
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, 19))
    if platform == "meta":
        return f"act_{digits[:10]}"
    if platform in ("google", "youtube"):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:10]}"
    return f"7{digits[:18]}"


def perform(
    profile: VerticalProfile,
    plans: list[CreativePlan],
    delivery: Delivery,
    channel_of: IntArray,
    rng: np.random.Generator,
    days: int,
) -> Media:
    """Clicks, conversions and platform-reported revenue of every creative-day."""
    imps = np.round(delivery.impressions)
    mult = delivery.multiplier
    base_ctr = np.array([p.ctr for p in plans])[:, None]
    clicks = rng.poisson(imps * base_ctr * mult * lognormal_mean_one(rng, 0.08, imps.shape))
    clicks = np.minimum(clicks, imps).astype(np.float64)
    story = np.array([p.is_story for p in plans])
    base_cvr = np.array([p.cvr for p in plans])[:, None] * mult
    conversions = np.zeros_like(clicks)
    revenue = np.zeros_like(clicks)
    spend = np.round(delivery.spend, 2)
    for c, ch in enumerate(profile.channels):
        rows = channel_of == c
        reported_roas = anchor_curve(ch.reported_roas, days)
        target_revenue = reported_roas * spend[rows].sum(axis=0) * weekly_normalized_noise(
            rng, 0.07, days
        )
        story_rows = rows & story
        story_expected = (clicks[story_rows] * base_cvr[story_rows]).sum(axis=0)
        other_rows = rows & ~story
        raw = (clicks[other_rows] * base_cvr[other_rows]).sum(axis=0)
        needed = np.maximum(target_revenue / ch.aov - story_expected, 0.0)
        scale = np.divide(needed, raw, out=np.zeros(days), where=raw > 0)
        cvr = np.where(story[:, None], base_cvr, base_cvr * scale[None, :])
        channel_conv = rng.poisson(clicks[rows] * np.minimum(cvr[rows], 0.6)).astype(np.float64)
        conversions[rows] = channel_conv
        total = channel_conv.sum(axis=0)
        aov = np.divide(target_revenue, total, out=np.zeros(days), where=total > 0)
        revenue[rows] = channel_conv * aov[None, :] * lognormal_mean_one(
            rng, 0.04, channel_conv.shape
        )
    is_video = np.array([p.format == "video" for p in plans])[:, None]
    view_rate = np.array([p.view_rate for p in plans])[:, None]
    video_views = np.where(is_video, rng.poisson(imps * view_rate), -1).astype(np.float64)
    audience = np.array([p.audience for p in plans])[:, None]
    trailing = np.cumsum(imps, axis=1)
    trailing[:, 7:] = trailing[:, 7:] - trailing[:, :-7]
    x = trailing / audience
    frequency = np.asarray(
        np.where(x > 1e-9, x / -np.expm1(-np.maximum(x, 1e-12)), 1.0), dtype=np.float64
    )
    return Media(
        spend=spend,
        impressions=imps,
        clicks=clicks,
        conversions=conversions,
        revenue=revenue,
        video_views=video_views,
        frequency=np.round(frequency, 3),
    )


def inject_anomalies(
    profile: VerticalProfile,
    media: Media,
    plans: list[CreativePlan],
    channel_of: IntArray,
    channels: list[SimChannel],
    start: date,
    days: int,
) -> list[dict[str, Any]]:
    """Apply the profile's incidents to the matrices; return their ground-truth records."""
    names = [c.name for c in channels]
    records: list[dict[str, Any]] = []
    for spec in profile.anomalies:
        first = days - 1 - spec.days_before_end
        if first < 7:
            continue
        last = min(first + spec.duration_days - 1, days - 1)
        window = slice(first, last + 1)
        c = names.index(spec.channel)
        rows = np.flatnonzero(channel_of == c)
        entity_type, entity, metric, direction = "channel", spec.channel, "", "down"
        if spec.kind == "ctr_collapse":
            live = [k for k in rows.tolist() if not plans[k].is_story]
            target = max(live, key=lambda k: float(media.spend[k, first]))
            rows = np.array([target])
            entity_type, entity, metric = "creative", plans[target].name, "ctr"
        _apply_anomaly(spec, media, rows, window)
        if spec.kind == "spend_spike":
            metric, direction = "spend", "up"
        elif spec.kind == "spend_drop":
            metric = "spend"
        elif spec.kind == "tracking_break":
            metric = "conversions"
        records.append(
            {
                "kind": spec.kind,
                "metric": metric,
                "direction": direction,
                "entity_type": entity_type,
                "entity": entity,
                "channel": spec.channel,
                "start": (start + timedelta(days=first)).isoformat(),
                "end": (start + timedelta(days=last)).isoformat(),
                "magnitude": spec.magnitude,
            }
        )
    records.sort(key=lambda r: (r["start"], r["entity"]))
    return records


def _apply_anomaly(spec: AnomalySpec, media: Media, rows: IntArray, window: slice) -> None:
    m = spec.magnitude
    factors: dict[str, float]
    if spec.kind == "spend_spike":
        factors = {"spend": m, "impressions": m * 0.85, "clicks": m * 0.6,
                   "conversions": 1.1, "revenue": 1.1, "video_views": m * 0.85}
    elif spec.kind == "spend_drop":
        factors = dict.fromkeys(
            ("spend", "impressions", "clicks", "conversions", "revenue", "video_views"), m
        )
    elif spec.kind == "ctr_collapse":
        factors = {"clicks": m, "conversions": m, "revenue": m}
    elif spec.kind == "tracking_break":
        factors = {"conversions": m, "revenue": m}
    else:
        raise ValueError(f"unknown anomaly kind {spec.kind!r}")
    for name, factor in factors.items():
        matrix = getattr(media, name)
        block = matrix[rows, window]
        matrix[rows, window] = np.where(block >= 0, block * factor, block)


def metric_columns(
    media: Media, plans: list[CreativePlan], channel_of: IntArray
) -> MetricColumns:
    live = media.spend > 0
    creative_idx, day_idx = np.nonzero(live)
    order = np.lexsort((creative_idx, day_idx))
    k, t = creative_idx[order].astype(np.int64), day_idx[order].astype(np.int64)
    campaign_of = np.array([p.campaign for p in plans], dtype=np.int64)
    return MetricColumns(
        day=t,
        creative=k,
        channel=channel_of[k],
        campaign=campaign_of[k],
        impressions=media.impressions[k, t].astype(np.int64),
        clicks=media.clicks[k, t].astype(np.int64),
        spend=media.spend[k, t],
        conversions=media.conversions[k, t],
        revenue=media.revenue[k, t],
        frequency=media.frequency[k, t],
        video_views=media.video_views[k, t].astype(np.int64),
    )


def media_response(profile: VerticalProfile, channel_spend: FloatArray) -> dict[str, Any]:
    """Adstock, saturation and the calibrated true incremental revenue per channel-day."""
    days = channel_spend.shape[1]
    out: dict[str, Any] = {"incremental_revenue": np.zeros_like(channel_spend), "channels": []}
    for c, ch in enumerate(profile.channels):
        spend = channel_spend[c]
        mean_spend = float(spend.mean())
        initial = float(spend[: min(14, days)].mean())
        adstock = geometric_adstock(spend, ch.adstock_decay, initial)
        half = ch.half_saturation * mean_spend
        effectiveness = anchor_curve(ch.effectiveness, days)
        shape_only = effectiveness * hill(adstock, half, ch.hill_shape)
        beta = ch.true_incremental_roas * float(spend.sum()) / float(shape_only.sum())
        incremental = beta * shape_only
        out["incremental_revenue"][c] = incremental
        out["channels"].append(
            {
                "adstock": adstock,
                "adstock_initial": initial,
                "half_saturation": half,
                "beta": beta,
                "effectiveness": effectiveness,
            }
        )
    return out
