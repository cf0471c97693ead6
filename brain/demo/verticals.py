"""Parameters of the simulated demo brands, one profile per vertical.

Every number here is an input of the simulator (brain/demo/simulator.py). Curves given as
``anchors`` are piecewise-linear in "days before the last simulated day" (0 = the last day),
so a story such as "TikTok fell from 2.8 to 1.9 over the last weeks" holds whatever the
period length or the date the demo is generated on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (days before the last day, value); flat before the first anchor and after the last.
Anchors = tuple[tuple[int, float], ...]
FLAT: Anchors = ((0, 1.0),)


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign, its ad sets and how its creatives are planned and perform."""

    name: str
    objective: str
    budget_share: float
    ad_sets: tuple[str, ...]
    formats: tuple[tuple[str, float], ...]  # (format, probability)
    cpm: float  # dollars per thousand impressions
    ctr: float  # base click-through rate of an average creative
    cvr: float  # base click-to-purchase rate before the channel calibration
    audience_size: float  # people the campaign's creatives can reach (effective audience)
    initial_creatives: int  # live when the period starts (launched before it)
    launch_every_days: float  # one new creative per this many days during the period
    max_live: int  # at most this many creatives run at once
    days_to_fatigue: tuple[float, float]  # onset after this many days of typical exposure
    days_to_fade: tuple[float, float]  # from onset to the pause threshold
    never_fatigue_probability: float = 0.15


@dataclass(frozen=True)
class ChannelSpec:
    """An ad account: budget, platform-reported ROAS and its true response curve."""

    name: str
    platform: str
    monthly_budget: float  # current spend level in dollars per 30 days
    annual_spend_growth: float  # spend a year before the end was budget / (1 + growth)
    reported_roas: Anchors  # platform-attributed revenue / spend over time
    true_incremental_roas: float  # sum of incremental revenue / sum of spend over the period
    effectiveness: Anchors  # relative strength of the true response over time
    adstock_decay: float  # geometric carry-over per day
    half_saturation: float  # Hill K as a multiple of the channel's mean daily spend
    hill_shape: float  # Hill exponent
    aov: float  # platform-reported revenue per attributed conversion
    segment_tilt: tuple[tuple[str, float], ...]  # multiplies the base segment mix
    campaigns: tuple[CampaignSpec, ...]


@dataclass(frozen=True)
class SegmentSpec:
    """A latent customer segment with its own purchase process."""

    key: str
    label: str
    description: str
    share: float  # of newly acquired customers before channel tilts
    first_order_value: float  # mean of a log-normal
    repeat_order_value: float
    mean_days_between_orders: float
    gap_shape: float  # gamma shape of the gaps (high = regular, subscription-like)
    continue_probability: float  # chance of each further order


@dataclass(frozen=True)
class StoryCreativeSpec:
    """The creative whose fatigue the demo points at (conversion rate from start to end)."""

    name: str
    campaign: str
    format: str
    cvr_start: float
    cvr_end: float
    window_days: int  # fatigue starts this many days before the end
    ctr: float
    quality: float  # share-of-spend weight relative to an average creative (1.0)
    audience_size: float


@dataclass(frozen=True)
class AnomalySpec:
    """An injected incident; its window is recorded in the ground truth."""

    kind: str  # spend_spike | spend_drop | ctr_collapse | tracking_break
    channel: str
    days_before_end: int  # first day of the window
    duration_days: int
    magnitude: float  # spend multiplier for spikes and drops, remaining share otherwise


@dataclass(frozen=True)
class VerticalProfile:
    key: str
    organization_name: str
    description: str
    customer_sample_fraction: float  # simulated customers per real customer
    organic_new_customers_per_day: float  # full scale, before seasonality
    organic_growth: float  # yearly growth of organic demand
    annual_amplitude: float
    annual_peak_day_of_year: int
    bfcm_lift: float
    spring_lift: float  # a Mother's-Day-like bump in May
    weekly_orders: tuple[float, float, float, float, float, float, float]  # Mon..Sun
    weekly_spend: tuple[float, float, float, float, float, float, float]
    burn_in_days: int  # customers acquired before the period (their orders are written too)
    channels: tuple[ChannelSpec, ...]
    segments: tuple[SegmentSpec, ...]
    hero_channel: str
    story_creative: StoryCreativeSpec | None
    # Repeat-rate multipliers of the most recent monthly cohorts, oldest first; the last entry
    # is the latest cohort with 90 days of history (newer cohorts keep the last value).
    cohort_repeat_drift: tuple[float, ...]
    # Exact 90-day LTV of those same cohorts (the story); None leaves them as simulated.
    cohort_ltv90_targets: tuple[float, ...] | None
    anomalies: tuple[AnomalySpec, ...] = field(default=())


def _meta_campaigns(broad_audience: float) -> tuple[CampaignSpec, ...]:
    mixed = (("video", 0.4), ("image", 0.35), ("carousel", 0.25))
    return (
        CampaignSpec("Prospecting - Broad", "conversions", 0.45,
                     ("Broad US 25-44", "Interest: skincare"), mixed,
                     cpm=14.0, ctr=0.011, cvr=0.035, audience_size=broad_audience,
                     initial_creatives=3, launch_every_days=55, max_live=5,
                     days_to_fatigue=(40, 130), days_to_fade=(18, 45)),
        CampaignSpec("Prospecting - Advantage+ Shopping", "sales", 0.32,
                     ("Advantage+ all",), mixed,
                     cpm=12.5, ctr=0.012, cvr=0.032, audience_size=2.2e6,
                     initial_creatives=2, launch_every_days=80, max_live=4,
                     days_to_fatigue=(45, 140), days_to_fade=(20, 50)),
        CampaignSpec("Retargeting - 30d visitors", "conversions", 0.23,
                     ("Site visitors 30d", "Add to cart 14d"), (("carousel", 0.5), ("image", 0.5)),
                     cpm=18.0, ctr=0.016, cvr=0.06, audience_size=0.45e6,
                     initial_creatives=2, launch_every_days=120, max_live=3,
                     days_to_fatigue=(30, 90), days_to_fade=(15, 40)),
    )


def _google_campaigns(brand_name: str, category: str) -> tuple[CampaignSpec, ...]:
    return (
        CampaignSpec("Brand Search", "search", 0.24,
                     (f"{brand_name} - exact", f"{brand_name} - phrase"), (("text", 1.0),),
                     cpm=110.0, ctr=0.11, cvr=0.08, audience_size=1.5e6,
                     initial_creatives=2, launch_every_days=180, max_live=3,
                     days_to_fatigue=(150, 300), days_to_fade=(40, 90),
                     never_fatigue_probability=0.6),
        CampaignSpec("Non-brand Search", "search", 0.34,
                     (f"{category} - generic", "Competitor terms"), (("text", 1.0),),
                     cpm=75.0, ctr=0.042, cvr=0.025, audience_size=4.0e6,
                     initial_creatives=2, launch_every_days=150, max_live=3,
                     days_to_fatigue=(120, 250), days_to_fade=(40, 90),
                     never_fatigue_probability=0.5),
        CampaignSpec("Shopping", "sales", 0.42,
                     ("All products", "Best sellers"), (("image", 1.0),),
                     cpm=22.0, ctr=0.015, cvr=0.03, audience_size=3.5e6,
                     initial_creatives=2, launch_every_days=150, max_live=3,
                     days_to_fatigue=(100, 220), days_to_fade=(30, 80),
                     never_fatigue_probability=0.4),
    )


def _tiktok_campaigns() -> tuple[CampaignSpec, ...]:
    return (
        CampaignSpec("Spark Ads - Creators", "conversions", 0.65,
                     ("Creators - broad", "Creators - lookalike"), (("video", 1.0),),
                     cpm=8.5, ctr=0.009, cvr=0.025, audience_size=1.6e6,
                     initial_creatives=2, launch_every_days=40, max_live=4,
                     days_to_fatigue=(15, 45), days_to_fade=(10, 25),
                     never_fatigue_probability=0.05),
        CampaignSpec("In-Feed - Product demos", "conversions", 0.35,
                     ("In-feed broad",), (("video", 1.0),),
                     cpm=7.5, ctr=0.008, cvr=0.022, audience_size=1.4e6,
                     initial_creatives=1, launch_every_days=55, max_live=3,
                     days_to_fatigue=(25, 60), days_to_fade=(10, 30),
                     never_fatigue_probability=0.05),
    )


def _youtube_campaigns() -> tuple[CampaignSpec, ...]:
    return (
        CampaignSpec("Awareness - In-stream", "awareness", 0.6,
                     ("In-market", "Custom intent"), (("video", 1.0),),
                     cpm=11.0, ctr=0.0045, cvr=0.015, audience_size=6.0e6,
                     initial_creatives=1, launch_every_days=150, max_live=2,
                     days_to_fatigue=(80, 200), days_to_fade=(30, 70)),
        CampaignSpec("Shorts - Consideration", "consideration", 0.4,
                     ("Shorts broad",), (("video", 1.0),),
                     cpm=7.0, ctr=0.006, cvr=0.012, audience_size=4.0e6,
                     initial_creatives=1, launch_every_days=150, max_live=2,
                     days_to_fatigue=(60, 160), days_to_fade=(25, 60)),
    )


def _segments(
    subscribers: float, bargain: float, once: float, vip: float, *, aov_scale: float = 1.0,
    subscriber_gap: float = 30.0,
) -> tuple[SegmentSpec, ...]:
    return (
        SegmentSpec("loyal_subscribers", "Loyal subscribers",
                    "Subscribe-and-save customers reordering about monthly.",
                    subscribers, 64.0 * aov_scale, 56.0 * aov_scale,
                    subscriber_gap, 9.0, 0.86),
        SegmentSpec("bargain_hunters", "Bargain hunters",
                    "Buy on discount, low basket, irregular and often lapse.",
                    bargain, 38.0 * aov_scale, 35.0 * aov_scale, 60.0, 1.4, 0.55),
        SegmentSpec("one_and_done", "One-and-done",
                    "A single trial purchase, rarely a second.",
                    once, 54.0 * aov_scale, 48.0 * aov_scale, 110.0, 1.0, 0.1),
        SegmentSpec("lapsed_vips", "Lapsed VIPs",
                    "Big baskets every five to six weeks, then they drift away.",
                    vip, 118.0 * aov_scale, 108.0 * aov_scale, 36.0, 4.0, 0.68),
    )


BEAUTY = VerticalProfile(
    key="beauty",
    organization_name="Aurora Skin (demo)",
    description="A $65M/yr skincare and beauty subscription brand.",
    customer_sample_fraction=0.05,
    organic_new_customers_per_day=300.0,
    organic_growth=0.08,
    annual_amplitude=0.1,
    annual_peak_day_of_year=345,
    bfcm_lift=0.55,
    spring_lift=0.12,
    weekly_orders=(1.06, 1.03, 1.0, 0.98, 0.96, 0.93, 1.04),
    weekly_spend=(1.02, 1.01, 1.0, 1.0, 0.99, 0.98, 1.0),
    burn_in_days=180,
    channels=(
        ChannelSpec("Meta Ads", "meta", 600_000, 0.12,
                    reported_roas=((365, 3.3), (120, 3.5), (40, 3.6)),
                    true_incremental_roas=1.3, effectiveness=FLAT,
                    adstock_decay=0.45, half_saturation=1.4, hill_shape=1.1, aov=62.0,
                    segment_tilt=(("loyal_subscribers", 1.1),),
                    campaigns=_meta_campaigns(broad_audience=3.0e6)),
        ChannelSpec("Google Ads", "google", 300_000, 0.05,
                    reported_roas=((365, 2.3),),
                    true_incremental_roas=0.85, effectiveness=FLAT,
                    adstock_decay=0.2, half_saturation=2.5, hill_shape=1.0, aov=58.0,
                    segment_tilt=(("loyal_subscribers", 1.25), ("lapsed_vips", 1.2)),
                    campaigns=_google_campaigns("Aurora", "Skincare")),
        ChannelSpec("TikTok Ads", "tiktok", 200_000, 0.45,
                    reported_roas=((365, 3.2), (60, 2.9), (21, 2.8), (3, 1.9), (0, 1.76)),
                    true_incremental_roas=0.5,
                    effectiveness=((365, 1.15), (60, 1.05), (21, 1.0), (3, 0.72), (0, 0.66)),
                    adstock_decay=0.3, half_saturation=0.9, hill_shape=1.2, aov=44.0,
                    segment_tilt=(("bargain_hunters", 1.8), ("one_and_done", 1.3),
                                  ("loyal_subscribers", 0.7)),
                    campaigns=_tiktok_campaigns()),
        ChannelSpec("YouTube", "youtube", 110_000, 0.1,
                    reported_roas=((365, 0.6),),
                    true_incremental_roas=0.75, effectiveness=FLAT,
                    adstock_decay=0.7, half_saturation=1.5, hill_shape=1.3, aov=60.0,
                    segment_tilt=(),
                    campaigns=_youtube_campaigns()),
    ),
    segments=_segments(0.36, 0.22, 0.31, 0.11, aov_scale=1.07, subscriber_gap=28.0),
    hero_channel="Meta Ads",
    story_creative=StoryCreativeSpec(
        name="C12", campaign="Prospecting - Broad", format="video",
        cvr_start=0.08, cvr_end=0.05, window_days=14, ctr=0.012, quality=3.2,
        audience_size=3.2e6,
    ),
    cohort_repeat_drift=(1.0, 0.97, 0.85, 0.79, 0.735),
    cohort_ltv90_targets=(128.0, 119.0, 115.0, 112.0),
    anomalies=(
        AnomalySpec("tracking_break", "Meta Ads", 61, 2, 0.02),
        AnomalySpec("spend_spike", "Google Ads", 47, 1, 3.2),
        AnomalySpec("ctr_collapse", "TikTok Ads", 95, 3, 0.25),
        AnomalySpec("spend_drop", "TikTok Ads", 150, 2, 0.12),
        AnomalySpec("spend_spike", "YouTube", 3, 1, 3.5),
    ),
)

SUPPLEMENTS = VerticalProfile(
    key="supplements",
    organization_name="Vital Stack (demo)",
    description="A $36M/yr supplements brand: search-led, strong and improving subscriptions.",
    customer_sample_fraction=0.06,
    organic_new_customers_per_day=125.0,
    organic_growth=0.12,
    annual_amplitude=0.12,
    annual_peak_day_of_year=10,  # New-Year resolutions
    bfcm_lift=0.35,
    spring_lift=0.0,
    weekly_orders=(1.08, 1.04, 1.0, 0.98, 0.95, 0.92, 1.03),
    weekly_spend=(1.03, 1.01, 1.0, 1.0, 0.98, 0.97, 1.01),
    burn_in_days=180,
    channels=(
        ChannelSpec("Google Ads", "google", 320_000, 0.1,
                    reported_roas=((365, 3.0), (90, 3.2)),
                    true_incremental_roas=1.0, effectiveness=FLAT,
                    adstock_decay=0.2, half_saturation=1.6, hill_shape=1.0, aov=64.0,
                    segment_tilt=(("loyal_subscribers", 1.3),),
                    campaigns=_google_campaigns("VitalStack", "Supplements")),
        ChannelSpec("Meta Ads", "meta", 260_000, 0.05,
                    reported_roas=((365, 2.5), (60, 2.4)),
                    true_incremental_roas=0.8, effectiveness=FLAT,
                    adstock_decay=0.4, half_saturation=1.2, hill_shape=1.1, aov=60.0,
                    segment_tilt=(),
                    campaigns=_meta_campaigns(broad_audience=2.4e6)),
        ChannelSpec("TikTok Ads", "tiktok", 100_000, 0.2,
                    reported_roas=((365, 2.0),),
                    true_incremental_roas=0.4, effectiveness=FLAT,
                    adstock_decay=0.3, half_saturation=1.0, hill_shape=1.2, aov=46.0,
                    segment_tilt=(("bargain_hunters", 1.7), ("one_and_done", 1.2)),
                    campaigns=_tiktok_campaigns()),
        ChannelSpec("YouTube", "youtube", 120_000, 0.15,
                    reported_roas=((365, 0.7),),
                    true_incremental_roas=0.7, effectiveness=FLAT,
                    adstock_decay=0.75, half_saturation=1.6, hill_shape=1.3, aov=66.0,
                    segment_tilt=(("lapsed_vips", 1.3),),
                    campaigns=_youtube_campaigns()),
    ),
    segments=_segments(0.42, 0.2, 0.28, 0.10, aov_scale=1.08, subscriber_gap=32.0),
    hero_channel="Google Ads",
    story_creative=StoryCreativeSpec(
        name="C9", campaign="Non-brand Search", format="text",
        cvr_start=0.045, cvr_end=0.03, window_days=12, ctr=0.05, quality=1.8,
        audience_size=6.0e6,
    ),
    cohort_repeat_drift=(1.0, 1.04, 1.08, 1.12, 1.16),
    cohort_ltv90_targets=None,
    anomalies=(
        AnomalySpec("spend_spike", "Meta Ads", 33, 1, 3.0),
        AnomalySpec("tracking_break", "Google Ads", 80, 2, 0.03),
        AnomalySpec("ctr_collapse", "Meta Ads", 120, 2, 0.3),
        AnomalySpec("spend_drop", "YouTube", 12, 2, 0.1),
    ),
)

WELLNESS = VerticalProfile(
    key="wellness",
    organization_name="Calm Ritual (demo)",
    description="A $23M/yr health and wellness brand riding TikTok; retention slowly eroding.",
    customer_sample_fraction=0.08,
    organic_new_customers_per_day=110.0,
    organic_growth=0.05,
    annual_amplitude=0.08,
    annual_peak_day_of_year=20,
    bfcm_lift=0.4,
    spring_lift=0.05,
    weekly_orders=(1.05, 1.03, 1.0, 0.99, 0.96, 0.94, 1.03),
    weekly_spend=(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    burn_in_days=180,
    channels=(
        ChannelSpec("TikTok Ads", "tiktok", 200_000, 0.8,
                    reported_roas=((365, 2.4), (90, 2.9), (14, 3.3)),
                    true_incremental_roas=1.4,
                    effectiveness=((365, 0.85), (90, 1.0), (14, 1.1)),
                    adstock_decay=0.3, half_saturation=1.3, hill_shape=1.1, aov=48.0,
                    segment_tilt=(("bargain_hunters", 1.4),),
                    campaigns=_tiktok_campaigns()),
        ChannelSpec("Meta Ads", "meta", 180_000, 0.0,
                    reported_roas=((365, 2.6), (60, 2.4)),
                    true_incremental_roas=0.9, effectiveness=FLAT,
                    adstock_decay=0.45, half_saturation=1.2, hill_shape=1.1, aov=55.0,
                    segment_tilt=(("loyal_subscribers", 1.1),),
                    campaigns=_meta_campaigns(broad_audience=2.0e6)),
        ChannelSpec("Google Ads", "google", 110_000, 0.05,
                    reported_roas=((365, 2.1),),
                    true_incremental_roas=0.8, effectiveness=FLAT,
                    adstock_decay=0.2, half_saturation=1.7, hill_shape=1.0, aov=52.0,
                    segment_tilt=(("loyal_subscribers", 1.2),),
                    campaigns=_google_campaigns("CalmRitual", "Wellness")),
        ChannelSpec("YouTube", "youtube", 60_000, 0.0,
                    reported_roas=((365, 0.6),),
                    true_incremental_roas=0.7, effectiveness=FLAT,
                    adstock_decay=0.7, half_saturation=1.5, hill_shape=1.3, aov=55.0,
                    segment_tilt=(),
                    campaigns=_youtube_campaigns()),
    ),
    segments=_segments(0.28, 0.3, 0.32, 0.10, aov_scale=0.9, subscriber_gap=35.0),
    hero_channel="TikTok Ads",
    story_creative=StoryCreativeSpec(
        name="C7", campaign="Spark Ads - Creators", format="video",
        cvr_start=0.04, cvr_end=0.026, window_days=10, ctr=0.011, quality=2.0,
        audience_size=2.5e6,
    ),
    cohort_repeat_drift=(1.0, 0.96, 0.92, 0.88, 0.84),
    cohort_ltv90_targets=None,
    anomalies=(
        AnomalySpec("spend_spike", "TikTok Ads", 26, 1, 2.8),
        AnomalySpec("tracking_break", "Meta Ads", 70, 1, 0.02),
        AnomalySpec("ctr_collapse", "TikTok Ads", 110, 2, 0.2),
        AnomalySpec("spend_drop", "Google Ads", 5, 2, 0.15),
    ),
)

PROFILES: dict[str, VerticalProfile] = {p.key: p for p in (BEAUTY, SUPPLEMENTS, WELLNESS)}


def get_profile(vertical: str) -> VerticalProfile:
    """The profile of a vertical, or ValueError naming the known ones."""
    try:
        return PROFILES[vertical]
    except KeyError:
        raise ValueError(
            f"unknown vertical {vertical!r}; choose one of {', '.join(PROFILES)}"
        ) from None
